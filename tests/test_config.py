"""The config file: interpolation, the settings cascade, and one precise line per mistake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from driftwatch.config import DEFAULT_THRESHOLDS, load_config, resolve_features
from driftwatch.errors import ConfigError

MONITOR = """
monitors:
  - name: m
    reference: {type: csv, path: ref.csv}
    live: {type: csv, path: live.csv, timestamp_column: ts, window: 1h}
    features: {numeric: [a], categorical: [b]}
"""


def test_example_config_loads(repo_root: Path) -> None:
    config = load_config(repo_root / "config" / "example.yaml")
    assert [m.name for m in config.monitors] == ["seattle-weather", "car-loan"]


def test_relative_paths_resolve_against_the_config_file(write_config: Callable[..., Path]) -> None:
    path = write_config(MONITOR)
    config = load_config(path)
    assert config.monitors[0].reference.path == path.parent / "ref.csv"  # type: ignore[union-attr]


def test_environment_variables_are_interpolated(write_config: Callable[..., Path]) -> None:
    path = write_config("database: ${RESULTS_DB}\n" + MONITOR)
    config = load_config(path, env={"RESULTS_DB": "sqlite:///x.db"})
    assert config.database == "sqlite:///x.db"


def test_interpolation_default_applies_when_variable_unset(
    write_config: Callable[..., Path],
) -> None:
    path = write_config("database: ${RESULTS_DB:-sqlite:///fallback.db}\n" + MONITOR)
    # the default, written in the file, is next to the file (as relative data paths are)
    assert load_config(path, env={}).database == f"sqlite:///{path.parent / 'fallback.db'}"


def test_dollar_dollar_escapes_interpolation(write_config: Callable[..., Path]) -> None:
    path = write_config(MONITOR.replace("name: m", "name: m\n    description: cost $${PRICE}"))
    assert load_config(path, env={}).monitors[0].description == "cost ${PRICE}"


def test_override_replaces_only_the_keys_it_names(write_config: Callable[..., Path]) -> None:
    text = (
        MONITOR + "    overrides:\n      a: {thresholds: {js: {warn: 0.02}}, binning: {bins: 20}}\n"
    )
    config = load_config(write_config(text))
    spec_a, spec_b = resolve_features(config, config.monitors[0])
    assert (spec_a.thresholds["js"].warn, spec_a.thresholds["js"].critical) == (
        0.02,
        DEFAULT_THRESHOLDS["js"].critical,
    )
    assert (spec_a.binning.strategy, spec_a.binning.bins) == ("quantile", 20)
    assert spec_b.thresholds["js"].warn == DEFAULT_THRESHOLDS["js"].warn
    assert spec_b.binning.bins == 10


def test_defaults_cascade_into_monitors(write_config: Callable[..., Path]) -> None:
    text = "defaults:\n  metrics: [psi, tvd]\n  thresholds: {psi: {critical: 0.5}}\n" + MONITOR
    config = load_config(write_config(text))
    spec = resolve_features(config, config.monitors[0])[0]
    assert spec.metrics == ("psi", "tvd")
    assert (spec.thresholds["psi"].warn, spec.thresholds["psi"].critical) == (
        DEFAULT_THRESHOLDS["psi"].warn,
        0.5,
    )


def test_correction_defaults_to_benjamini_hochberg(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(MONITOR))
    assert (config.defaults.correction, config.monitors[0].correction) == ("bh", None)


@pytest.mark.parametrize(
    ("defaults", "monitor", "used"),
    [
        pytest.param("none", None, "none", id="defaults-none"),
        pytest.param("bh", None, "bh", id="defaults-bh"),
        pytest.param(None, "none", "none", id="monitor-none"),
        pytest.param("none", "bh", "bh", id="monitor-overrides"),
    ],
)
def test_correction_accepts_none_and_bh_and_the_monitor_overrides(
    write_config: Callable[..., Path], defaults: str | None, monitor: str | None, used: str
) -> None:
    text = (f"defaults: {{correction: {defaults}}}\n" if defaults else "") + MONITOR
    text += f"    correction: {monitor}\n" if monitor else ""
    config = load_config(write_config(text))
    assert (config.monitors[0].correction or config.defaults.correction) == used


def test_an_unknown_correction_names_the_accepted_ones(write_config: Callable[..., Path]) -> None:
    with pytest.raises(ConfigError, match="expected 'none' or 'bh'"):
        load_config(write_config("defaults: {correction: holm}\n" + MONITOR))


BAD_CONFIGS = [
    pytest.param(
        MONITOR.replace("window: 1h", "window: soon"),
        "monitors[0].live.window: expected a duration such as '90s', '15m', '1h', '1h30m' or "
        "'7d', found 'soon'",
        id="bad-duration",
    ),
    pytest.param(
        MONITOR.replace("window: 1h", "windw: 1h"),
        "monitors[0].live.windw: unknown key 'windw'; did you mean 'window'?",
        id="misspelt-key",
    ),
    pytest.param(
        MONITOR.replace("type: csv, path: ref.csv", "type: excel, path: ref.csv"),
        "monitors[0].reference.type: unknown type 'excel'; expected one of: 'csv', 'parquet', "
        "'sql', 'dataframe'",
        id="unknown-source-type",
    ),
    pytest.param(
        MONITOR + "    metrics: [jsd]\n",
        "monitors[0].metrics: unknown metric 'jsd'; choose one of: hellinger, js, kl, psi, tvd",
        id="unknown-metric",
    ),
    pytest.param(
        MONITOR + "    schedule: {cron: '0 * * *'}\n",
        "monitors[0].schedule: cron '0 * * *' must have 5 fields (minute hour day month "
        "weekday), found 4",
        id="cron-field-count",
    ),
    pytest.param(
        MONITOR + "    schedule: {cron: '61 * * * *'}\n",
        "monitors[0].schedule: invalid cron '61 * * * *'",
        id="cron-out-of-range",
    ),
    pytest.param(
        MONITOR + "    schedule: {interval: 1h, timezone: Mars/Olympus}\n",
        "monitors[0].schedule: unknown timezone 'Mars/Olympus'; use an IANA name such as 'UTC' "
        "or 'Europe/Paris'",
        id="bad-timezone",
    ),
    pytest.param(
        MONITOR + "    binning: {strategy: quantile, bins: 0}\n",
        "monitors[0].binning.bins: expected greater than or equal to 1, found 0",
        id="zero-bins",
    ),
    pytest.param(
        MONITOR + "    binning: {strategy: fixed}\n",
        "monitors[0].binning: strategy 'fixed' needs 'edges' with at least two numbers",
        id="fixed-without-edges",
    ),
    pytest.param(
        MONITOR + "    thresholds: {js: {warn: 0.3, critical: 0.1}}\n",
        "monitors[0].thresholds.js: 'warn' (0.3) must not exceed 'critical' (0.1)",
        id="warn-above-critical",
    ),
    pytest.param(
        MONITOR + "    overrides: {c: {metrics: [js]}}\n",
        "monitors[0]: overrides names 'c', which is not a listed feature",
        id="override-unknown-feature",
    ),
    pytest.param(
        MONITOR + "    alerts: [pager]\n",
        "monitor 'm' sends alerts to unknown sink 'pager'; choose one of: none are defined "
        "under alerts.sinks",
        id="unknown-sink",
    ),
    pytest.param(
        MONITOR.replace("timestamp_column: ts, ", ""),
        "monitors[0].live: 'start', 'end' and 'window' need 'timestamp_column' to be set",
        id="window-without-timestamp",
    ),
    pytest.param(
        MONITOR.replace("timestamp_column: ts, window: 1h", "") + "    schedule: {interval: 1h}\n",
        "monitors[0]: monitor 'm' has a schedule but its live source has no 'timestamp_column'",
        id="schedule-without-timestamp",
    ),
    pytest.param(
        MONITOR.replace("features: {numeric: [a], categorical: [b]}", "features: {}"),
        "monitors[0].features: list at least one feature under 'numeric' or 'categorical'",
        id="no-features",
    ),
    pytest.param(
        MONITOR + "    overrides: {a: {thresholds: {js: {kind: constant, warn: 0.9}}}}\n",
        "monitor 'm' overrides.a.thresholds.js: 'warn' (0.9) must not exceed 'critical'",
        id="override-warn-above-inherited-critical",
    ),
    pytest.param(
        MONITOR.replace("categorical: [b]", "categorical: [a]"),
        "monitors[0].features: features listed more than once: a",
        id="duplicate-feature",
    ),
    pytest.param(
        MONITOR.replace("    reference: {type: csv, path: ref.csv}\n", ""),
        "monitors[0].reference: required key is missing",
        id="missing-reference",
    ),
    pytest.param("monitors: []\n", "monitors: ", id="no-monitors"),
    pytest.param("- just\n- a list\n", "expected a YAML mapping", id="not-a-mapping"),
    pytest.param(
        "monitors:\n  - name: m\n   reference: x\n",
        "not valid YAML at line 3, column 4",
        id="bad-indentation",
    ),
    pytest.param(
        "database: ${NOT_SET_ANYWHERE}\n" + MONITOR,
        "database: environment variable NOT_SET_ANYWHERE is not set; export it, or write "
        "${NOT_SET_ANYWHERE:-default} to give a default",
        id="unset-variable",
    ),
    pytest.param("", "the file is empty", id="empty-file"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_gives_one_line_naming_file_and_key(
    write_config: Callable[..., Path], text: str, expected: str
) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_missing_config_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found; pass --config"):
        load_config(tmp_path / "nope.yaml")


def test_secret_from_environment_never_appears_in_errors(
    write_config: Callable[..., Path],
) -> None:
    text = 'alerts:\n  sinks:\n    - {name: s, type: webhook, url: x, timeout: "${TOKEN}"}\n'
    path = write_config(text + MONITOR)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"TOKEN": "hunter2-very-secret"})
    assert "hunter2-very-secret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_cron_field_out_of_range_is_a_config_error(write_config: Callable[..., Path]) -> None:
    scheduled = MONITOR.replace("features:", 'schedule: {cron: "61 * * * *"}\n    features:')
    expected = r"monitors\[0\]\.schedule: invalid cron '61 \* \* \* \*'"
    with pytest.raises(ConfigError, match=expected):
        load_config(write_config(scheduled))
