"""Window claims and the claimed run of a window, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scheduler_helpers import BASE, config_mapping, monitor_entry, stored_runs

from driftwatch import TimeWindow
from driftwatch.config import load_config
from driftwatch.results import RunOutcome
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.scheduler.status import monitor_statuses
from driftwatch.store import Store
from driftwatch.store.claims import (
    claim_window,
    claims_of,
    release_claim,
    renew_claim,
    window_done,
)
from tests.helpers import FakeClock

WINDOW = TimeWindow(BASE, BASE + timedelta(hours=1))
TTL = timedelta(seconds=30)


def test_the_first_claim_of_a_window_wins_and_the_second_owner_learns_who_holds_it(
    store: Store,
) -> None:
    first = claim_window(store, "m", WINDOW, owner="a", now=BASE, ttl=TTL)
    second = claim_window(store, "m", WINDOW, owner="b", now=BASE, ttl=TTL)
    assert first.acquired
    assert not second.acquired
    assert (second.owner, second.expires_at) == ("a", BASE + TTL)


def test_an_expired_claim_is_taken_over(store: Store) -> None:
    claim_window(store, "m", WINDOW, owner="dead", now=BASE, ttl=TTL)
    later = claim_window(store, "m", WINDOW, owner="b", now=BASE + TTL, ttl=TTL)
    assert later.acquired and later.taken_over
    assert claims_of(store, "m") == [(WINDOW, "b", BASE + 2 * TTL)]


def test_a_renewed_claim_is_not_taken_over(store: Store) -> None:
    claim_window(store, "m", WINDOW, owner="a", now=BASE, ttl=TTL)
    assert renew_claim(store, "m", WINDOW, owner="a", now=BASE + TTL / 2, ttl=TTL)
    assert not claim_window(store, "m", WINDOW, owner="b", now=BASE + TTL, ttl=TTL).acquired


def test_only_the_owner_releases_a_claim(store: Store) -> None:
    claim_window(store, "m", WINDOW, owner="a", now=BASE, ttl=TTL)
    release_claim(store, "m", WINDOW, owner="b")
    assert len(claims_of(store, "m")) == 1
    release_claim(store, "m", WINDOW, owner="a")
    assert claims_of(store, "m") == []


def test_racing_threads_get_one_claim_between_them(store: Store) -> None:
    barrier = threading.Barrier(6)
    winners: list[str] = []

    def race(owner: str) -> None:
        barrier.wait()
        if claim_window(store, "m", WINDOW, owner=owner, now=BASE, ttl=TTL).acquired:
            winners.append(owner)

    threads = [threading.Thread(target=race, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(winners) == 1


@pytest.fixture
def runner_for(
    tmp_path: Path, live_history: Path, write_config: Callable[..., Path], database_url: str
) -> Callable[..., WindowRunner]:
    """A WindowRunner on an hourly monitor ``m`` over the 2024 history, with a fake clock."""
    stores: list[Store] = []

    def make(clock: FakeClock, **options: Any) -> WindowRunner:
        schedule = options.pop("schedule", {"interval": "1h"})
        entry = monitor_entry("m", schedule) | options.pop("monitor", {})
        config = load_config(write_config(config_mapping(database_url, entry)))
        store = Store.open(database_url)
        stores.append(store)
        return WindowRunner(config, store, owner="me", clock=clock, **options)

    yield make
    for store in stores:
        store.close()


def test_a_computed_window_is_stored_with_its_claimer_and_the_claim_released(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    runner = runner_for(FakeClock(BASE + timedelta(hours=5)))
    result = runner.run_window("m", WINDOW, "scheduled")
    assert result.action == "computed" and result.status == "succeeded"
    runs = stored_runs(database_url, "m")
    assert [(r.trigger, r.claimed_by, r.results) for r in runs] == [("scheduled", "me", 4)]
    assert claims_of(runner.store, "m") == []


def test_a_done_window_is_not_computed_again(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    runner = runner_for(FakeClock(BASE + timedelta(hours=5)))
    runner.run_window("m", WINDOW, "scheduled")
    again = runner.run_window("m", WINDOW, "catchup")
    assert again.action == "done"
    assert [r.trigger for r in stored_runs(database_url, "m")] == ["scheduled"]


def test_a_window_claimed_by_a_live_scheduler_is_left_to_it(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    clock = FakeClock(BASE + timedelta(hours=5))
    runner = runner_for(clock, claim_wait=timedelta(seconds=0.3), poll=0.05)
    claim_window(runner.store, "m", WINDOW, owner="other", now=clock.now, ttl=TTL)
    assert runner.run_window("m", WINDOW, "scheduled").action == "busy"
    assert stored_runs(database_url, "m") == []


def test_the_window_of_a_crashed_scheduler_is_computed_once_its_claim_expires(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    clock = FakeClock(BASE + timedelta(hours=5))
    runner = runner_for(clock)
    claim_window(runner.store, "m", WINDOW, owner="crashed", now=clock.now - TTL, ttl=TTL)
    assert runner.run_window("m", WINDOW, "catchup").status == "succeeded"
    assert [r.claimed_by for r in stored_runs(database_url, "m")] == ["me"]


def test_a_run_that_raises_is_recorded_as_failed(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    def broken_run(*args: Any, **kwargs: Any) -> list[RunOutcome]:
        raise RuntimeError("bug in a run")

    runner = runner_for(FakeClock(BASE + timedelta(hours=5)), run=broken_run)
    result = runner.run_window("m", WINDOW, "scheduled")
    assert result.status == "failed"
    (run,) = stored_runs(database_url, "m")
    assert (run.status, run.window_start, run.window_end) == ("failed", WINDOW.start, WINDOW.end)
    assert claims_of(runner.store, "m") == []


def test_catch_up_computes_the_missed_windows_in_order_after_the_last_one(
    runner_for: Callable[..., WindowRunner], database_url: str
) -> None:
    clock = FakeClock(BASE + timedelta(hours=2, minutes=10))
    runner = runner_for(clock)
    runner.catch_up("m", startup=True)  # nothing ever ran: only the latest window
    clock.now = BASE + timedelta(hours=6, minutes=1)
    report = runner.catch_up("m")
    runs = stored_runs(database_url, "m")
    assert [(r.window_end - BASE, r.trigger) for r in runs] == [
        (timedelta(hours=2), "catchup"),
        (timedelta(hours=3), "catchup"),
        (timedelta(hours=4), "catchup"),
        (timedelta(hours=5), "catchup"),
        (timedelta(hours=6), "scheduled"),
    ]
    assert report.computed == 4


def test_catch_up_beyond_max_catchup_reports_the_skipped_windows(
    runner_for: Callable[..., WindowRunner], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(BASE + timedelta(hours=1))
    runner = runner_for(clock, monitor={"max_catchup": 2})
    runner.catch_up("m", startup=True)
    clock.now = BASE + timedelta(hours=10, minutes=30)
    with caplog.at_level(logging.WARNING, logger="driftwatch.scheduler"):
        report = runner.catch_up("m", startup=True)
    assert report.skipped == 7
    assert [r.window_end - BASE for r in stored_runs(database_url, "m")] == [
        timedelta(hours=1),
        timedelta(hours=9),
        timedelta(hours=10),
    ]
    assert "skipped=7" in caplog.text and "exceed max_catchup=2" in caplog.text


def test_window_done_ignores_failed_runs(
    runner_for: Callable[..., WindowRunner],
) -> None:
    def broken_run(*args: Any, **kwargs: Any) -> list[RunOutcome]:
        raise RuntimeError("boom")

    runner = runner_for(FakeClock(BASE + timedelta(hours=5)), run=broken_run)
    runner.run_window("m", WINDOW, "scheduled")
    assert not window_done(runner.store, "m", WINDOW)


def test_status_counts_owed_windows_and_the_gaps_left_beyond_max_catchup(
    runner_for: Callable[..., WindowRunner],
) -> None:
    clock = FakeClock(BASE + timedelta(hours=1))
    runner = runner_for(clock, monitor={"max_catchup": 2})
    runner.catch_up("m", startup=True)
    clock.now = BASE + timedelta(hours=10, minutes=30)
    (before,), _ = monitor_statuses(runner.config, runner.store, clock=clock)
    runner.catch_up("m", startup=True)
    (after,), outbox = monitor_statuses(runner.config, runner.store, clock=clock)
    assert (before.owed, before.beyond_catchup, before.gaps) == (9, 7, 9)
    assert (after.owed, after.beyond_catchup, after.gaps) == (0, 0, 7)
    assert after.last is not None and after.last.window_end == BASE + timedelta(hours=10)
    assert after.job_state == "scheduled" and outbox == {}
    assert after.next_fire == BASE + timedelta(hours=11)  # the config's schedule, nothing stored
