"""Config sync: on start the scheduler's jobs (in memory) are the config's; `driftwatch status`
shows the next fire times the config's schedules give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from scheduler_helpers import CliProcess, config_mapping, monitor_entry, wait_for

from driftwatch.config import Config, load_config
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.scheduler.service import SchedulerService, SyncReport
from driftwatch.store import Store
from driftwatch.store.models import Notification
from tests.helpers import run_cli


class RecordingHandlers:
    """Job handlers that only record what fired (the scheduler under test stays paused)."""

    def __init__(self) -> None:
        self.fired: list[str] = []

    def fire(self, monitor: str) -> None:
        self.fired.append(monitor)

    def startup(self, monitor: str) -> None:
        self.fired.append(f"startup {monitor}")

    def dispatch(self) -> None:
        self.fired.append("outbox")


@dataclass(frozen=True)
class Started:
    """What a start of the scheduler did: its sync report and its monitors' next fire times."""

    report: SyncReport
    next_fire: dict[str, datetime | None]


@pytest.fixture
def start_with(
    live_now: Path, write_config: Callable[..., Path], database_url: str
) -> Iterator[Callable[..., Started]]:
    """Start (paused) and stop a scheduler on a config of the given monitors."""
    stores: list[Store] = []

    def start(*monitors: dict[str, Any]) -> Started:
        config = load_config(write_config(config_mapping(database_url, *monitors)))
        store = Store.open(database_url)
        stores.append(store)
        service = SchedulerService(config, RecordingHandlers())
        try:
            report = service.start()
            return Started(report, service.next_fire_times())
        finally:
            service.shutdown()

    yield start
    for store in stores:
        store.close()


HOURLY = {"cron": "0 * * * *"}


def test_the_first_start_adds_a_job_per_scheduled_monitor(
    start_with: Callable[..., Started],
) -> None:
    unscheduled = monitor_entry("manual", HOURLY) | {"schedule": None}
    started = start_with(
        monitor_entry("a", HOURLY), monitor_entry("b", {"interval": "5m"}), unscheduled
    )
    assert (started.report.added, started.report.removed) == (("a", "b"), ())
    assert set(started.next_fire) == {"a", "b"}


def test_a_monitor_removed_from_the_config_has_no_job_after_a_restart(
    start_with: Callable[..., Started],
) -> None:
    start_with(monitor_entry("a", HOURLY), monitor_entry("b", HOURLY))
    restarted = start_with(monitor_entry("a", HOURLY))
    assert restarted.report.added == ("a",)  # the jobs are the config's, whatever ran before
    assert set(restarted.next_fire) == {"a"}


def test_a_changed_cron_changes_the_next_fire_time(start_with: Callable[..., Started]) -> None:
    start_with(monitor_entry("a", HOURLY))
    next_fire = start_with(monitor_entry("a", {"cron": "30 * * * *"})).next_fire["a"]
    assert next_fire is not None and next_fire.minute == 30


def test_sync_adds_updates_and_removes_jobs_to_match_the_config(
    live_now: Path, write_config: Callable[..., Path], sqlite_database: str
) -> None:
    def config_of(*monitors: dict[str, Any]) -> Config:
        return load_config(write_config(config_mapping(sqlite_database, *monitors)))

    service = SchedulerService(
        config_of(monitor_entry("a", HOURLY), monitor_entry("b", HOURLY)), RecordingHandlers()
    )
    try:
        service.start()
        service.config = config_of(
            monitor_entry("a", HOURLY),
            monitor_entry("b", {"cron": "30 * * * *"}),
            monitor_entry("c", HOURLY),
        )
        assert service.sync() == SyncReport(added=("c",), updated=("b",), unchanged=("a",))
        service.config = config_of(monitor_entry("c", HOURLY))
        assert service.sync() == SyncReport(removed=("a", "b"), unchanged=("c",))
        assert set(service.next_fire_times()) == {"c"}
    finally:
        service.shutdown()


@pytest.mark.slow
def test_status_shows_the_next_fire_time_of_the_config_the_scheduler_restarted_with(
    live_now: Path,
    write_config: Callable[..., Path],
    sqlite_database: str,
    cli_process: Callable[..., CliProcess],
    tmp_path: Path,
) -> None:
    def restart_with(*monitors: dict[str, Any], runs: int = 0) -> CliProcess:
        """Start a scheduler, wait for its start and ``runs`` run lines, and stop it."""
        config = write_config(config_mapping(sqlite_database, *monitors))
        process = cli_process("schedule", "--config", str(config), "--log-format", "json")
        process.wait_for_line('"event": "started"', timeout=60)
        wait_for(lambda: process.output().count('"event": "run"') >= runs, 60, f"{runs} runs")
        assert process.terminate() == 0
        return process

    started = datetime.now(UTC)
    # The first start's catch-up computes each monitor's latest window; it is stopped once both
    # have run (a SIGTERM before a catch-up run begins rightly skips it).
    restart_with(monitor_entry("a", HOURLY), monitor_entry("b", HOURLY), runs=2)
    second = restart_with(monitor_entry("a", {"cron": "30 * * * *"}))
    assert '"added": ["a"], "updated": [], "removed": []' in second.output()

    status = run_cli(
        "status",
        "--config",
        "driftwatch.yaml",
        cwd=tmp_path,
        env={"COLUMNS": "250"},
        clean_env=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    (row,) = [line for line in status.stdout.splitlines() if line.startswith("a ")]

    def next_half_hour(after: datetime) -> str:
        fire = after.replace(minute=30, second=0, microsecond=0)
        fire += timedelta(hours=1) if fire <= after else timedelta()
        return fire.strftime("%Y-%m-%d %H:%M")

    assert next_half_hour(started) in row or next_half_hour(datetime.now(UTC)) in row
    assert " catchup " in row  # the startup computed the latest window
    assert not [line for line in status.stdout.splitlines() if line.startswith("b ")]


def test_the_outbox_job_delivers_pending_notifications_while_the_scheduler_runs(
    live_now: Path, write_config: Callable[..., Path], database_url: str
) -> None:
    mapping = config_mapping(database_url, monitor_entry("a", HOURLY) | {"alerts": ["audit"]})
    mapping["alerts"] = {"sinks": [{"name": "audit", "type": "log"}]}
    config: Config = load_config(write_config(mapping))
    store = Store.open(database_url)
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(
            Notification(
                idempotency_key="test-1", sink="audit", event="firing", monitor="a",
                payload={"monitor": "a"}, status="pending", attempts=0,
                next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    runner = WindowRunner(config, store)
    service = SchedulerService(config, runner, dispatch_interval=timedelta(seconds=0.2))
    try:
        service.start()
        service.resume()

        def sent() -> bool:
            with store.session() as session:
                return session.scalar(sa.select(Notification.status)) == "sent"

        wait_for(sent, 10, "the notification to be sent")
    finally:
        service.shutdown()
        store.close()
