"""The ``alertmanager`` sink against a real Alertmanager (Debian's ``prometheus-alertmanager``)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.config import Config, parse_config
from driftwatch.errors import ConfigError
from driftwatch.store import Store
from tests.alerts.conftest import config_dict, free_port, run_levels
from tests.helpers import FakeClock

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
LINKS = {"report_url": "https://reports.example.com/{monitor}/{feature}"}


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager on a free loopback port, clustering off; its base URL."""
    if shutil.which(ALERTMANAGER) is None:
        pytest.fail(f"{ALERTMANAGER} is missing: apt-get install prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        "route: {receiver: blackhole, group_by: [monitor, feature]}\n"
        "receivers: [{name: blackhole}]\n"
    )
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(
                    "alertmanager did not start: " + (tmp_path / "alertmanager.log").read_text()
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def active_alerts(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v2/alerts", timeout=5)
    response.raise_for_status()
    return [a for a in response.json() if a["labels"].get("alertname") == "DriftwatchDrift"]


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_alertmanager_shows_the_alert_firing_then_resolved(
    sqlite_store: Store, alertmanager: str, alert_config: Callable[..., Config]
) -> None:
    # Alertmanager keeps real time. The fake clock starts a minute behind it, so a resolution
    # (endsAt = the notification's time) is in the past when it arrives; a clock running ahead
    # would post resolutions that end in the future, which Alertmanager rightly keeps active.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    clock = FakeClock(start)
    sink = {"name": "am", "type": "alertmanager", "url": alertmanager}
    config = alert_config(sinks=[sink], alerts={"links": LINKS})
    step = timedelta(seconds=1)
    run_levels(config, sqlite_store, clock, step=step, x="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    wait_for(lambda: len(active_alerts(alertmanager)) == 1, "the firing alert")
    (alert,) = active_alerts(alertmanager)
    assert alert["labels"] == {
        "alertname": "DriftwatchDrift",
        "monitor": "model",
        "feature": "x",
        "metric": "js",
        "severity": "warning",
    }
    assert alert["status"]["state"] == "active"
    assert alert["annotations"]["summary"].startswith("monitor model, feature x: js = 0.108")
    assert "n_live" in alert["annotations"]["description"]
    assert alert["annotations"]["report_url"] == "https://reports.example.com/model/x"
    ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
    assert ends - clock() == pytest.approx(timedelta(hours=49), abs=timedelta(seconds=5))

    run_levels(config, sqlite_store, clock, step=step, x="critical")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    wait_for(
        lambda: [a["labels"]["severity"] for a in active_alerts(alertmanager)] == ["critical"],
        "the escalation to replace the warning",
    )

    run_levels(config, sqlite_store, clock, step=step)
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    wait_for(lambda: active_alerts(alertmanager) == [], "the alert to be resolved")


@pytest.mark.slow
def test_a_path_alertmanager_does_not_serve_makes_the_notification_dead_at_once(
    sqlite_store: Store, alertmanager: str, alert_config: Callable[..., Config]
) -> None:
    clock = FakeClock(datetime.now(UTC))
    sink = {"name": "am", "type": "alertmanager", "url": f"{alertmanager}/nowhere"}
    config = alert_config(sinks=[sink])
    run_levels(config, sqlite_store, clock, step=timedelta(seconds=1), x="warn")
    report = dispatch_pending(sqlite_store, config, clock=clock)
    assert (report.delivered, report.retried, report.dead) == (0, 0, 1)


def test_ends_after_not_longer_than_repeat_interval_is_refused() -> None:
    sink = {
        "name": "am",
        "type": "alertmanager",
        "url": "http://127.0.0.1:9093",
        "ends_after": "12h",
    }
    with pytest.raises(
        ConfigError, match=r"ends_after \(12:00:00\) must be longer than alerts.repeat_interval"
    ):
        parse_config(config_dict(sinks=[sink], alerts={"repeat_interval": "24h"}))
