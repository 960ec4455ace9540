"""CLI misuse: a wrong command line is exit 2 with the option named, and nothing is written.

click words its own usage errors (``Error: ...`` under the usage line); driftwatch's own checks
give one ``driftwatch: error:`` line. ``validate`` catches what ``run`` would fail on.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.reliability.harness import (
    BASE_CONFIG,
    LIVE_CSV,
    REF_CSV,
    Backend,
    Case,
    DbState,
    case_params,
    config_with,
)

RUN = ("run", "--config", "{config}")
VALIDATE = ("validate", "--config", "{config}")


def usage(id: str, args: tuple[str, ...], stderr: str, **kwargs: object) -> Case:
    """A usage error click reports: exit 2, its ``Error:`` line, no driftwatch error line."""
    return Case(id, 2, None, args=args, stderr=stderr, db=DbState(), **kwargs)  # type: ignore[arg-type]


def user(id: str, args: tuple[str, ...], message: str, **kwargs: object) -> Case:
    return Case(id, 2, message, args=args, db=DbState(), **kwargs)  # type: ignore[arg-type]


USAGE = [
    usage("unknown-command", ("rnu",), r"Error: No such command 'rnu'"),
    usage("unknown-option", (*RUN, "--colour"), r"Error: No such option '--colour'"),
    usage(
        "window-start-without-end",
        (*RUN, "--window-start", "2024-01-01"),
        r"give both --window-start and --window-end",
    ),
    usage(
        "window-end-before-start",
        (*RUN, "--window-start", "2024-02-01", "--window-end", "2024-01-01"),
        r"Invalid value for --window-end: must be after --window-start",
    ),
    usage(
        "window-start-not-a-date",
        (*RUN, "--window-start", "yesterday", "--window-end", "2024-01-01"),
        r"Invalid value for --window-start: 'yesterday' is not an ISO date",
    ),
    usage(
        "window-start-impossible-date",
        (*RUN, "--window-start", "2024-13-45", "--window-end", "2025-01-01"),
        r"'2024-13-45' is not an ISO date",
    ),
    usage(
        "fail-on-unknown-level", (*RUN, "--fail-on", "sometimes"), r"Invalid value for '--fail-on'"
    ),
    usage("format-unknown", (*RUN, "--format", "xml"), r"Invalid value for '--format'"),
    usage(
        "no-store-with-pushgateway",
        (*RUN, "--no-store", "--pushgateway", "http://pg:9091"),
        r"--pushgateway pushes stored results; drop --no-store",
    ),
    usage("log-level-unknown", ("--log-level", "loud", *RUN), r"Invalid value for '--log-level'"),
    usage(
        "history-without-monitor",
        ("history", "--config", "{config}", "--feature", "a"),
        r"Missing option '--monitor'",
    ),
    usage(
        "db-downgrade-without-revision",
        ("db", "downgrade", "--database", "{db}"),
        r"Missing argument 'REVISION'",
    ),
    usage("config-is-a-directory", ("run", "--config", "{dir}"), r"is a directory"),
    usage(
        "backfill-since-nonsense",
        ("backfill", "--config", "{config}", "--monitor", "m1", "--since", "lately"),
        r"'lately' is neither a duration",
    ),
    usage(
        "report-format-unknown",
        ("report", "--database", "{db}", "--format", "yaml"),
        r"Invalid value for '--format'",
    ),
    usage(
        "alerts-silence-bad-duration",
        ("alerts", "silence", "--config", "{config}", "--monitor", "m1", "--for", "a while"),
        r"(--for|Invalid value)",
    ),
]

OVERFLOWING = [
    usage(
        "history-since-before-year-one",
        ("history", "--config", "{config}", "-m", "m1", "--feature", "a", "--since", "999999d"),
        r"Invalid value for --since: '999999d' reaches back before the year 1",
    ),
    usage(
        "backfill-since-before-year-one",
        ("backfill", "--config", "{config}", "-m", "m1", "--since", "999999d"),
        r"'999999d' reaches back before the year 1",
    ),
    usage(
        "silence-past-year-9999",
        ("alerts", "--config", "{config}", "silence", "-m", "m1", "--for", "9999999d"),
        r"Invalid value for '--for': '9999999d' reaches past the year 9999",
    ),
    usage(
        "since-too-large-to-represent",
        ("history", "--config", "{config}", "-m", "m1", "--feature", "a", "--since", "1e30d"),
        r"Invalid value for --since",
    ),
]

USER = [
    user(
        "config-not-found",
        ("run", "--config", "{dir}/missing.yaml"),
        r"config file '.*missing\.yaml' not found; pass --config",
    ),
    user(
        "config-from-the-environment-not-found",
        ("run",),
        r"config file '.*gone\.yaml' not found",
        env={"DRIFTWATCH_CONFIG": "{dir}/gone.yaml"},
    ),
    user(
        "unknown-monitor",
        (*RUN, "--monitor", "m9"),
        r"no monitor named 'm9' in .*driftwatch\.yaml; choose one of: m1",
    ),
    user(
        "unknown-monitor-among-known",
        (*RUN, "--monitor", "m1", "--monitor", "m2"),
        r"no monitor named 'm2'",
    ),
    user(
        "config-not-utf8",
        RUN,
        r"config file '.*driftwatch\.yaml' cannot be read",
        config=None,
        files={
            "ref.csv": REF_CSV,
            "live.csv": LIVE_CSV,
            "driftwatch.yaml": b"monitors: \xff\xfe\n",
        },
    ),
    user(
        "backfill-of-a-monitor-without-schedule",
        ("backfill", "--config", "{config}", "--monitor", "m1", "--since", "2024-01-01"),
        r"m1",
    ),
]

VALIDATE_CASES = [
    Case(
        "validate-a-good-config",
        0,
        args=VALIDATE,
        db=DbState(),
        stdout=r"driftwatch\.yaml: valid; results database",
    ),
    Case("validate-never-writes", 0, args=VALIDATE, db=DbState(), absent_paths=("results.db",)),
    Case(
        "validate-ragged-live-csv",
        2,
        r"monitor 'm1' live: csv file '.*live\.csv' line 3 has 4 fields where the header has 3",
        args=VALIDATE,
        files={
            "ref.csv": REF_CSV,
            "live.csv": LIVE_CSV.replace("\n", ",9\n", 3).replace(",9\n", "\n", 2),
        },
        db=DbState(),
        stdout=r"1 problem \(below\)",
    ),
    Case(
        "validate-wrong-delimiter",
        2,
        r"it looks ';'-delimited, not ','",
        args=VALIDATE,
        files={"ref.csv": REF_CSV, "live.csv": LIVE_CSV.replace(",", ";")},
        db=DbState(),
    ),
    Case(
        "validate-missing-columns",
        2,
        r"monitor 'm1' live: columns absent from the data: b",
        args=VALIDATE,
        files={"ref.csv": REF_CSV, "live.csv": LIVE_CSV.replace("a,b,c", "a,x,c", 1)},
        db=DbState(),
    ),
    Case(
        "validate-missing-file",
        2,
        r"monitor 'm1' live: file '.*live\.csv' not found",
        args=VALIDATE,
        files={"ref.csv": REF_CSV},
        db=DbState(),
    ),
    Case(
        "validate-both-sources-bad",
        2,
        r"monitor 'm1' reference: file",
        args=VALIDATE,
        files={},
        db=DbState(),
        error_lines=2,
    ),
    user(
        "validate-nan-fixed-edges",
        VALIDATE,
        r"'edges' must be finite numbers, found \[0\.0, nan, 1\.0\]",
        config=config_with(
            "    metrics: [js]",
            "    metrics: [js]\n    binning: {strategy: fixed, edges: [0, .nan, 1]}",
        ),
    ),
    user(
        "validate-long-feature-name",
        VALIDATE,
        r"the results database stores at most 300",
        config=config_with("numeric: [a, b]", f"numeric: [a, {'z' * 310}]"),
    ),
    user(
        "validate-cron-never-fires",
        VALIDATE,
        r"never fires",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: ts}",
        ).replace("features:", "schedule: {cron: '0 0 31 2 *'}\n    features:"),
    ),
]

VALIDATE_DATABASE = [
    Case(
        f"validate-database-{label}",
        2,
        message,
        args=VALIDATE,
        config=BASE_CONFIG.replace("{db}", url),
        db=None,
        backends=("any",),
        hidden=hidden,
    )
    for label, url, message, hidden in [
        (
            "port-not-a-number",
            "'postgresql://u@h:5x/db'",
            r"has a port that is not a number; fix the 'database' key of .*driftwatch\.yaml",
            (),
        ),
        (
            "at-sign-in-the-password",
            "'postgresql://u:p@ss@h/db'",
            r"has an '@' in its password",
            ("p@ss", "ss@h"),
        ),
        (
            "not-a-url",
            "results.db",
            r"database URL 'results\.db' is not a valid SQLAlchemy URL",
            (),
        ),
    ]
]

RUNS = [
    Case(
        "no-store-writes-nothing",
        0,
        args=(*RUN, "--no-store"),
        db=DbState(),
        absent_paths=("results.db",),
    ),
    Case(
        "json-output-of-a-failed-run-is-still-json",
        2,
        r"live\.csv' not found",
        args=(*RUN, "--format", "json"),
        files={"ref.csv": REF_CSV},
        db=DbState(runs=("failed",)),
        stdout=r'"status": "failed"',
    ),
    Case(
        "one-bad-monitor-never-stops-the-other",
        2,
        r"monitor 'm2' live: file '.*gone\.csv' not found",
        config=BASE_CONFIG
        + BASE_CONFIG.split("monitors:\n")[1]
        .replace("name: m1", "name: m2")
        .replace("path: live.csv", "path: gone.csv"),
        db=DbState(runs=("failed", "succeeded")),
    ),
    Case(
        "quiet-still-prints-the-error",
        2,
        r"live\.csv' not found",
        args=("--quiet", *RUN),
        files={"ref.csv": REF_CSV},
        db=DbState(runs=("failed",)),
    ),
    Case(
        "json-logs-still-one-error-line",
        2,
        r"live\.csv' not found",
        args=("--log-format", "json", *RUN),
        files={"ref.csv": REF_CSV},
        db=DbState(runs=("failed",)),
    ),
    Case(
        "explicit-window-on-data-without-timestamps",
        2,
        r"live: a time window \[2024-01-01T00:00:00\+00:00, 2024-01-02T00:00:00\+00:00\) was "
        r"requested but csv file .* has no 'timestamp_column'; set it",
        args=(*RUN, "--window-start", "2024-01-01", "--window-end", "2024-01-02"),
        db=DbState(runs=("failed",)),
    ),
]

CASES = USAGE + OVERFLOWING + USER + VALIDATE_CASES + VALIDATE_DATABASE + RUNS


@pytest.mark.parametrize(("case", "backend"), case_params(CASES))
def test_cli_misuse(
    case: Case, backend: Backend, check_case: Callable[[Case, Backend], None]
) -> None:
    check_case(case, backend)


def test_the_cli_area_has_enough_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 35
