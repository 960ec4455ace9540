"""Real ``driftwatch schedule`` processes on a real database: stop, crash, restart, two replicas.

A 1 s interval schedule over a live CSV with 50 rows a second around now keeps these to seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scheduler_helpers import (
    CliProcess,
    assert_consecutive,
    config_mapping,
    monitor_entry,
    stored_runs,
    wait_for,
)

from driftwatch import TimeWindow
from driftwatch.store import Store
from driftwatch.store.claims import claims_of

pytestmark = pytest.mark.slow  # `driftwatch schedule` in real processes

SECOND = timedelta(seconds=1)
START_TIMEOUT = 60  # a loaded CI machine imports pandas slowly


def schedule_args(config: Path) -> list[str]:
    return ["schedule", "--config", str(config), "--claim-ttl", "1s", "--log-format", "json"]


def log_records(process: CliProcess, event: str) -> list[dict[str, Any]]:
    records = []
    for line in process.output().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == event:
                records.append(record)
    return records


def wait_for_runs(url: str, monitor: str, count: int, timeout: float = 30) -> None:
    wait_for(lambda: len(stored_runs(url, monitor)) >= count, timeout, f"{count} runs")


def test_sigterm_exits_zero_leaving_consecutive_windows_each_once(
    live_now: Path,
    write_config: Callable[..., Path],
    database_url: str,
    cli_process: Callable[..., CliProcess],
) -> None:
    config = write_config(
        config_mapping(
            database_url,
            monitor_entry("good", {"interval": "1s"}),
            monitor_entry("broken", {"interval": "1s"}, live="missing.csv"),
        )
    )
    process = cli_process(*schedule_args(config))
    process.wait_for_line('"event": "started"', timeout=START_TIMEOUT)
    wait_for_runs(database_url, "good", 4)

    assert process.terminate() == 0, process.output()

    good = stored_runs(database_url, "good")
    assert_consecutive(good, SECOND)
    assert {(r.status, r.results) for r in good} == {("succeeded", 4)}
    broken = stored_runs(database_url, "broken")
    assert broken and {r.status for r in broken} == {"failed"}
    assert '"event": "stopped"' in process.output()


def test_each_run_logs_one_structured_json_line(
    live_now: Path,
    write_config: Callable[..., Path],
    sqlite_database: str,
    cli_process: Callable[..., CliProcess],
) -> None:
    config = write_config(config_mapping(sqlite_database, monitor_entry("m", {"interval": "1s"})))
    process = cli_process(*schedule_args(config))
    process.wait_for_line('"event": "started"', timeout=START_TIMEOUT)
    wait_for_runs(sqlite_database, "m", 3)
    assert process.terminate() == 0

    lines = log_records(process, "run")
    runs = stored_runs(sqlite_database, "m")
    assert [(line["window_start"], line["window_end"]) for line in lines] == [
        (r.window_start.isoformat(), r.window_end.isoformat()) for r in runs
    ]
    for line in lines:
        assert line["monitor"] == "m" and line["status"] == "succeeded"
        assert line["rows"] == 50 and line["features_drifted"] == 0 and line["alerts_sent"] == 0
        assert 0 < line["duration_s"] < 10


def _stuck_claim(url: str, monitor: str) -> TimeWindow | None:
    """A window claimed but not stored: the run is in flight."""
    store = Store.open(url)
    try:
        held = [window for window, _, _ in claims_of(store, monitor)]
    finally:
        store.close()
    stored = {(r.window_start, r.window_end) for r in stored_runs(url, monitor)}
    pending = [w for w in held if (w.start, w.end) not in stored]
    return pending[0] if pending else None


def test_kill_9_mid_run_leaves_no_partial_run_and_a_restart_computes_it_and_catches_up(
    live_now: Path,
    write_config: Callable[..., Path],
    database_url: str,
    cli_process: Callable[..., CliProcess],
    tmp_path: Path,
) -> None:
    config = write_config(config_mapping(database_url, monitor_entry("m", {"interval": "1s"})))
    first = cli_process(*schedule_args(config), log_name="first.log")
    first.wait_for_line('"event": "started"', timeout=START_TIMEOUT)
    wait_for_runs(database_url, "m", 2)

    # The live file becomes a FIFO with no writer: the next run blocks inside its read, mid-run.
    shutil.copy(live_now, tmp_path / "live.bak")
    os.mkfifo(tmp_path / "live.fifo")
    os.replace(tmp_path / "live.fifo", live_now)
    killed = wait_for(lambda: _stuck_claim(database_url, "m"), 15, "a run in flight")
    time.sleep(0.3)
    assert _stuck_claim(database_url, "m") == killed
    first.process.kill()
    first.process.wait(timeout=10)

    assert (killed.start, killed.end) not in {
        (r.window_start, r.window_end) for r in stored_runs(database_url, "m")
    }
    assert {r.results for r in stored_runs(database_url, "m")} == {4}  # no partial run

    os.replace(tmp_path / "live.bak", live_now)
    time.sleep(1.5)  # windows pass while no scheduler runs
    second = cli_process(*schedule_args(config), log_name="second.log")
    second.wait_for_line('"event": "started"', timeout=START_TIMEOUT)
    wait_for(
        lambda: stored_runs(database_url, "m")[-1].window_end >= killed.end + 3 * SECOND,
        30,
        "runs after the killed window",
    )
    assert second.terminate() == 0

    runs = stored_runs(database_url, "m")
    assert_consecutive(runs, SECOND)
    assert {(r.status, r.results) for r in runs} == {("succeeded", 4)}
    redone = next(r for r in runs if r.window_start == killed.start)
    assert redone.trigger == "catchup"
    assert "took over the expired claim" in second.output()
    assert sum(1 for r in runs if r.trigger == "catchup" and r.window_start > killed.start) >= 1


@pytest.mark.postgresql
def test_two_schedulers_on_one_postgresql_database_compute_every_window_once(
    live_now: Path,
    write_config: Callable[..., Path],
    pg_database: str,
    cli_process: Callable[..., CliProcess],
) -> None:
    Store.open(pg_database).close()  # `driftwatch db upgrade` before the replicas start
    config = write_config(config_mapping(pg_database, monitor_entry("m", {"interval": "1s"})))
    replicas = [cli_process(*schedule_args(config), log_name=f"replica{i}.log") for i in (1, 2)]
    for replica in replicas:
        replica.wait_for_line('"event": "started"', timeout=START_TIMEOUT)
    wait_for_runs(pg_database, "m", 6)
    assert [replica.terminate() for replica in replicas] == [0, 0]

    computed: dict[tuple[str, str], str] = {}
    for replica in replicas:
        (sync,) = log_records(replica, "sync")
        for line in log_records(replica, "run"):
            window = (line["window_start"], line["window_end"])
            assert window not in computed, f"{window} computed twice"
            computed[window] = sync["owner"]
    runs = stored_runs(pg_database, "m")
    assert_consecutive(runs, SECOND)
    assert {
        (r.window_start.isoformat(), r.window_end.isoformat()): r.claimed_by for r in runs
    } == computed


def test_schedule_refuses_a_config_without_any_schedule_in_one_line(
    live_now: Path,
    write_config: Callable[..., Path],
    sqlite_database: str,
    cli_process: Callable[..., CliProcess],
) -> None:
    unscheduled = monitor_entry("m", {"interval": "1s"}) | {"schedule": None}
    config = write_config(config_mapping(sqlite_database, unscheduled))
    process = cli_process("schedule", "--config", str(config))
    assert process.process.wait(timeout=60) == 2
    (line,) = [line for line in process.output().splitlines() if "error" in line]
    assert line.startswith("driftwatch: error: no monitor in ")
    assert "has a schedule; add `schedule: {cron:" in line
