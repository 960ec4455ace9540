"""The Prometheus metrics read from the results database: names, labels, values, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ops_helpers import free_port, make_monitor_files
from prometheus_client.parser import text_string_to_metric_families

from driftwatch.cli import cli
from driftwatch.exporter import exposition
from driftwatch.store import Store


def samples(store: Store) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Metric sample name → {sorted labels: value}, parsed back from the exposition text."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(exposition(store)):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[labels] = sample.value
    return found


def fml(monitor: str, feature: str, metric: str) -> tuple[tuple[str, str], ...]:
    return (("feature", feature), ("metric", metric), ("monitor", monitor))


def test_one_value_and_severity_series_per_feature_metric_of_the_latest_run(
    example_store: Store,
) -> None:
    found = samples(example_store)
    assert found["driftwatch_drift_value"] == {
        fml("credit", "age", "js"): 0.12,
        fml("credit", "age", "kl"): 0.3,
        fml("credit", "cat_state", "js"): 0.06,
        fml("credit", "cat_state", "kl"): 0.11,
        fml("legacy", "age", "js"): 0.03,
    }  # churn's tenure is no_data: no value, and legacy's dropped `income` is gone
    assert found["driftwatch_drift_severity"] == {
        fml("credit", "age", "js"): 2,
        fml("credit", "age", "kl"): 2,
        fml("credit", "cat_state", "js"): 1,
        fml("credit", "cat_state", "kl"): 1,
        fml("churn", "tenure", "js"): -1,
        fml("legacy", "age", "js"): 0,
    }


def test_runs_are_counted_per_monitor_and_status(example_store: Store) -> None:
    runs = samples(example_store)["driftwatch_runs_total"]
    assert runs[(("monitor", "credit"), ("status", "succeeded"))] == 3  # the rerun replaced one
    assert runs[(("monitor", "credit"), ("status", "failed"))] == 1
    assert runs[(("monitor", "churn"), ("status", "no_data"))] == 1
    assert runs[(("monitor", "legacy"), ("status", "failed"))] == 0


def test_every_monitor_with_a_success_has_its_timestamp_and_duration(
    example_store: Store,
) -> None:
    found = samples(example_store)
    monitors = {(("monitor", m),) for m in ("credit", "churn", "legacy")}
    assert set(found["driftwatch_run_last_success_timestamp_seconds"]) == monitors
    assert set(found["driftwatch_run_duration_seconds"]) == monitors
    assert all(v > 1.7e9 for v in found["driftwatch_run_last_success_timestamp_seconds"].values())


def test_notifications_are_counted_per_state_even_when_none(example_store: Store) -> None:
    assert samples(example_store)["driftwatch_notifications"] == {
        (("state", "pending"),): 0,
        (("state", "sent"),): 0,
        (("state", "dead"),): 0,
    }


def test_metrics_command_refuses_a_missing_database_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(cli, ["metrics", "--database", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert "no results database at" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not missing.exists()


def test_metrics_command_prints_the_exposition(example_store: Store, tmp_path: Path) -> None:
    if example_store.engine.dialect.name != "sqlite":
        pytest.skip("the command is the same on every backend; the store tests cover them")
    result = CliRunner().invoke(cli, ["metrics", "--database", example_store.url])
    assert result.exit_code == 0, result.output
    assert (
        'driftwatch_drift_value{feature="age",metric="js",monitor="credit"} 0.12' in result.output
    )


def test_run_with_an_unreachable_pushgateway_is_one_line_exit_2(
    tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_monitor_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    config: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'r.db'}",
        "monitors": [
            {
                "name": "batch",
                "reference": {"type": "csv", "path": "ref.csv"},
                "live": {"type": "csv", "path": "live.csv"},
                "features": {"numeric": ["x"]},
            }
        ],
    }
    gateway = f"http://127.0.0.1:{free_port()}"
    args = ["run", "--config", str(write_config(config)), "--pushgateway", gateway]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"cannot push metrics to the Pushgateway at {gateway}" in result.output
    assert "Traceback" not in result.output
