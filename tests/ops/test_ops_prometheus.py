"""A real Prometheus scrapes ``driftwatch schedule --metrics-port`` and a real Pushgateway fed by
``driftwatch run --pushgateway``; its HTTP API must answer with the figures in the results DB.

Debian's ``prometheus`` and ``prometheus-pushgateway`` binaries are required (the test fails, it
does not skip, when they are missing: CI installs them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ops_helpers import free_port, make_monitor_files, wait_until

from driftwatch.exporter import SEVERITY_VALUE
from driftwatch.store.prometheus import snapshot
from driftwatch.store.queries import open_readonly
from tests.helpers import python_env, run_cli

PROMETHEUS = "/usr/bin/prometheus"
PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"

pytestmark = pytest.mark.slow


class Processes:
    """Subprocesses of one test, output in files, all terminated in teardown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(
        self, name: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, env=env
        )
        self.started.append((process, log))
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process, log in reversed(self.started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _binary(path: str) -> str:
    if shutil.which(path) is None:
        pytest.fail(f"{path} is missing: apt-get install {Path(path).name}")
    return path


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def by_labels(result: list[dict[str, Any]], *names: str) -> dict[tuple[str, ...], float]:
    return {tuple(r["metric"][n] for n in names): float(r["value"][1]) for r in result}


def test_prometheus_scrapes_the_scheduler_and_the_pushgateway_with_the_db_figures(
    tmp_path: Path, processes: Processes, write_config: Callable[..., Path]
) -> None:
    prometheus_bin, pushgateway_bin = _binary(PROMETHEUS), _binary(PUSHGATEWAY)
    make_monitor_files(tmp_path)
    scheduled_db = f"sqlite:///{tmp_path / 'scheduled.db'}"
    batch_db = f"sqlite:///{tmp_path / 'batch.db'}"
    scheduled = write_config(_config(scheduled_db, "scheduled"), "scheduled.yaml")
    batch = write_config(_config(batch_db, "batch"), "batch.yaml")
    cli = [sys.executable, "-m", "driftwatch"]
    first = run_cli("run", "--config", str(scheduled), cwd=tmp_path)
    assert first.returncode == 0, first.stderr

    metrics_port, gateway_port, prometheus_port = free_port(), free_port(), free_port()
    processes.start(
        "schedule",
        *cli,
        "schedule",
        "--config",
        str(scheduled),
        "--metrics-port",
        str(metrics_port),
        env=python_env(),
    )
    processes.start(
        "pushgateway", pushgateway_bin, f"--web.listen-address=127.0.0.1:{gateway_port}"
    )
    gateway = f"http://127.0.0.1:{gateway_port}"
    wait_until(lambda: _ready(f"{gateway}/-/ready"), "the pushgateway", processes.log)
    pushed = run_cli("run", "--config", str(batch), "--pushgateway", gateway, cwd=tmp_path)
    assert pushed.returncode == 0, pushed.stderr

    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: driftwatch-scheduler\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n"
        "  - job_name: pushgateway\n    honor_labels: true\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{gateway_port}']}}]\n"
    )
    processes.start(
        "prometheus",
        prometheus_bin,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    )
    prometheus = f"http://127.0.0.1:{prometheus_port}"

    def both_seen() -> bool:
        try:
            found = query(prometheus, "count by (monitor) (driftwatch_drift_severity)")
        except httpx.HTTPError:
            return False
        return {r["metric"].get("monitor") for r in found} == {"scheduled", "batch"}

    wait_until(both_seen, "Prometheus to scrape both targets", processes.log, timeout=60)

    for name, url, job in (
        ("scheduled", scheduled_db, "driftwatch-scheduler"),
        ("batch", batch_db, "driftwatch"),
    ):
        store = open_readonly(url)
        try:
            data = snapshot(store, name)
        finally:
            store.close()
        where = f'{{monitor="{name}",job="{job}"}}'
        values = by_labels(query(prometheus, f"driftwatch_drift_value{where}"), "feature", "metric")
        assert values == pytest.approx(
            {(r.feature, r.metric): r.value for r in data.latest if r.value is not None}
        )
        severities = by_labels(
            query(prometheus, f"driftwatch_drift_severity{where}"), "feature", "metric"
        )
        assert severities == {(r.feature, r.metric): SEVERITY_VALUE[r.status] for r in data.latest}
        assert 2 in severities.values()  # the data drifts: the test would see a wrong mapping
        p_values = by_labels(
            query(prometheus, f"driftwatch_drift_p_value{where}"), "feature", "metric"
        )
        assert p_values == pytest.approx(
            {(r.feature, r.metric): r.p_value for r in data.latest if r.p_value is not None}
        )
        thresholds = by_labels(
            query(prometheus, f"driftwatch_drift_decision_threshold{where}"),
            "feature",
            "metric",
        )
        assert thresholds == pytest.approx(
            {
                (r.feature, r.metric): r.decision_threshold
                for r in data.latest
                if r.decision_threshold is not None
            }
        )
        (runs,) = data.monitors
        success = by_labels(
            query(prometheus, f"driftwatch_run_last_success_timestamp_seconds{where}"), "monitor"
        )
        assert runs.last_success_at is not None
        assert success == pytest.approx({(name,): runs.last_success_at.timestamp()})
        counts = by_labels(query(prometheus, f"driftwatch_runs_total{where}"), "status")
        expected = {(s,): runs.runs_by_status.get(s, 0) for s in ("succeeded", "no_data", "failed")}
        assert counts == expected
        assert counts[("succeeded",)] >= 1
    outbox = by_labels(
        query(prometheus, 'driftwatch_notifications{job="driftwatch-scheduler"}'), "state"
    )
    assert outbox == {("pending",): 0, ("sent",): 0, ("dead",): 0}
    assert query(prometheus, 'driftwatch_notifications{job="driftwatch"}') == []  # not per monitor


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _config(database: str, name: str) -> dict[str, Any]:
    return {
        "database": database,
        "defaults": {"metrics": ["js", "kl"], "min_rows": 5},
        "monitors": [
            {
                "name": name,
                # once a year, nothing to catch up: the scheduler serves what `run` stored
                "schedule": {"cron": "0 0 1 1 *"},
                "max_catchup": 0,
                "reference": {"type": "csv", "path": "ref.csv"},
                "live": {"type": "csv", "path": "live.csv", "timestamp_column": "ts"},
                "features": {"numeric": ["x", "shifted"], "categorical": ["c"]},
            }
        ],
    }
