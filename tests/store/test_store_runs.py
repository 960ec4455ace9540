"""Runs are atomic and idempotent: a crash leaves the whole run or none, a window is one run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from store_helpers import count_rows, outcome, window

from driftwatch.errors import StoreError
from driftwatch.results import RunOutcome
from driftwatch.store import Store, queries
from driftwatch.store.models import FeatureResult, Run

FIRST = {"age": {"js": 0.01, "kl": 0.02}, "income": {"js": 0.03, "kl": 0.04}}
SECOND = {"age": {"js": 0.2, "kl": 0.4}, "income": {"js": 0.06, "kl": 0.15}}
SIX_FEATURES = {f"f{i}": {"js": 0.01 * i, "kl": 0.02 * i} for i in range(6)}  # 12 result rows


class Crash(Exception):
    """Stands for the process dying half-way through a write."""


def stored_values(store: Store, monitor: str = "m") -> dict[tuple[str, str], float | None]:
    with store.session() as session:
        rows = session.execute(
            sa.select(FeatureResult.feature, FeatureResult.metric, FeatureResult.value).where(
                FeatureResult.monitor == monitor
            )
        )
        return {(feature, metric): value for feature, metric, value in rows}


def values_of(features: dict[str, dict[str, float]]) -> dict[tuple[str, str], float]:
    return {(f, m): v for f, metrics in features.items() for m, v in metrics.items()}


@contextmanager
def crash_after_half_the_result_rows() -> Iterator[None]:
    """Raise inside the flush once half of a run's feature_results rows have been INSERTed."""
    written = 0

    def after_insert(*_: Any) -> None:
        nonlocal written
        written += 1
        if written == 6:
            raise Crash("killed after 6 of 12 result rows")

    sa.event.listen(FeatureResult, "after_insert", after_insert)
    try:
        yield
    finally:
        sa.event.remove(FeatureResult, "after_insert", after_insert)


def test_a_run_writes_its_run_row_results_and_histograms(store: Store) -> None:
    saved = store.save_run(outcome("m", 0, FIRST))

    assert saved.action == "inserted"
    assert count_rows(store, "runs") == 1
    assert count_rows(store, "feature_results") == 4
    assert count_rows(store, "histograms") == 2
    assert stored_values(store) == values_of(FIRST)


def test_a_crash_half_way_through_the_result_rows_leaves_no_partial_rows(store: Store) -> None:
    with crash_after_half_the_result_rows(), pytest.raises(Crash):
        store.save_run(outcome("m", 0, SIX_FEATURES))

    for table in ("runs", "feature_results", "histograms"):
        assert count_rows(store, table) == 0, table


def test_a_crash_while_replacing_a_run_keeps_the_previous_run_whole(store: Store) -> None:
    good = store.save_run(outcome("m", 0, FIRST))
    with crash_after_half_the_result_rows(), pytest.raises(Crash):
        store.save_run(outcome("m", 0, SIX_FEATURES))

    assert queries.runs(store)["run_id"].tolist() == [good.run_id]
    assert stored_values(store) == values_of(FIRST)
    assert count_rows(store, "histograms") == 2


def test_a_failing_in_transaction_hook_rolls_the_whole_run_back(store: Store) -> None:
    def hook(session: Session, run_id: int, outcome: RunOutcome) -> None:
        session.flush()  # every row of the run is now written inside the transaction
        assert count_rows_in(session, "feature_results") == 4
        raise Crash("the alert step died")

    with pytest.raises(Crash):
        store.save_run(outcome("m", 0, FIRST), in_transaction=hook)

    for table in ("runs", "feature_results", "histograms"):
        assert count_rows(store, table) == 0, table


def count_rows_in(session: Session, table: str) -> int:
    return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_rows_of_the_hook_commit_with_the_run(store: Store) -> None:
    def hook(session: Session, run_id: int, outcome: RunOutcome) -> None:
        session.execute(
            sa.text("UPDATE runs SET claimed_by = 'hook' WHERE id = :id"), {"id": run_id}
        )

    saved = store.save_run(outcome("m", 0, FIRST), in_transaction=hook)

    with store.session() as session:
        assert session.get(Run, saved.run_id).claimed_by == "hook"  # type: ignore[union-attr]


def test_rerunning_a_window_replaces_its_results_without_duplicates(store: Store) -> None:
    store.save_run(outcome("m", 0, FIRST))
    saved = store.save_run(outcome("m", 0, SECOND), on_rerun="replace")

    assert saved.action == "replaced"
    assert queries.runs(store)["run_id"].tolist() == [saved.run_id]
    assert stored_values(store) == values_of(SECOND)
    assert count_rows(store, "histograms") == 2


def test_rerunning_a_window_with_on_rerun_skip_keeps_the_first_results(store: Store) -> None:
    first = store.save_run(outcome("m", 0, FIRST))
    saved = store.save_run(outcome("m", 0, SECOND), on_rerun="skip")

    assert saved == type(saved)(first.run_id, "skipped")
    assert stored_values(store) == values_of(FIRST)
    assert count_rows(store, "runs") == 1


@pytest.mark.parametrize("on_rerun", ["replace", "skip"])
def test_a_failed_recomputation_never_erases_a_good_run(store: Store, on_rerun: Any) -> None:
    good = store.save_run(outcome("m", 0, FIRST))
    failed = outcome("m", 0, status="failed", error="live file missing")

    saved = store.save_run(failed, on_rerun=on_rerun)

    assert saved.action == "skipped"
    runs = queries.runs(store)
    assert runs[["run_id", "status"]].values.tolist() == [[good.run_id, "succeeded"]]
    assert stored_values(store) == values_of(FIRST)


def test_a_failed_run_is_stored_with_its_error_and_no_result_rows(store: Store) -> None:
    store.save_run(outcome("m", 0, status="failed", error="live file missing"))

    runs = queries.runs(store)
    assert runs[["status", "error"]].values.tolist() == [["failed", "live file missing"]]
    assert count_rows(store, "feature_results") == 0


@pytest.mark.parametrize("on_rerun", ["replace", "skip"])
def test_a_good_rerun_replaces_a_failed_run(store: Store, on_rerun: Any) -> None:
    store.save_run(outcome("m", 0, status="failed", error="live file missing"))

    saved = store.save_run(outcome("m", 0, FIRST), on_rerun=on_rerun)

    assert saved.action == "replaced"
    assert queries.runs(store)["status"].tolist() == ["succeeded"]


def test_windows_and_monitors_are_separate_runs(store: Store) -> None:
    store.save_run(outcome("m", 0, FIRST))
    store.save_run(outcome("m", 1, FIRST))
    store.save_run(outcome("other", 0, FIRST))
    assert count_rows(store, "runs") == 3
    assert count_rows(store, "feature_results") == 12


def test_the_unique_window_key_is_enforced_by_the_database(store: Store) -> None:
    store.save_run(outcome("m", 0, FIRST))
    start, end = window(0)
    with pytest.raises(StoreError, match="results database"), store.session() as session:
        session.add(
            Run(monitor="m", window_start=start, window_end=end, status="succeeded",
                trigger="manual", started_at=end)
        )  # fmt: skip


# --- time zones ---------------------------------------------------------------------------------

KOLKATA = timezone(timedelta(hours=5, minutes=30))
LOS_ANGELES_WINTER = timezone(timedelta(hours=-8))


@pytest.mark.parametrize("zone", [UTC, KOLKATA, LOS_ANGELES_WINTER], ids=["utc", "+0530", "-0800"])
def test_timestamps_come_back_timezone_aware_in_utc(store: Store, zone: timezone) -> None:
    start = datetime(2024, 3, 1, 9, 30, tzinfo=zone)
    store.save_run(outcome("m", 0, FIRST, start=start, end=start + timedelta(hours=1)))

    with store.session() as session:
        run = session.scalars(sa.select(Run)).one()
    frame = queries.runs(store)

    assert run.window_start == start and run.window_start.tzinfo == UTC
    assert run.window_end - run.window_start == timedelta(hours=1)
    assert frame["window_start"].iloc[0] == start
    assert str(frame["window_start"].dt.tz) == "UTC"


def test_timestamps_are_stored_in_utc(store: Store) -> None:
    start = datetime(2024, 3, 1, 9, 30, tzinfo=KOLKATA)  # 04:00 UTC
    store.save_run(outcome("m", 0, FIRST, start=start, end=start + timedelta(hours=1)))

    with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")  # not what we stored in
            stored = connection.exec_driver_sql(
                "SELECT to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM runs"
            ).scalar_one()
        else:
            stored = connection.exec_driver_sql("SELECT window_start FROM runs").scalar_one()[:16]
    assert stored == "2024-03-01 04:00"


def test_the_same_window_given_in_another_time_zone_is_the_same_run(store: Store) -> None:
    start, end = window(0)
    store.save_run(outcome("m", 0, FIRST))
    saved = store.save_run(
        outcome("m", 0, SECOND, start=start.astimezone(KOLKATA), end=end.astimezone(KOLKATA))
    )
    assert saved.action == "replaced"
    assert count_rows(store, "runs") == 1


def test_a_naive_timestamp_is_refused_rather_than_guessed(store: Store) -> None:
    naive = datetime(2024, 3, 1)  # a TimeWindow makes its bounds UTC; the run's clock times not
    with pytest.raises(StoreError, match="naive datetime"):
        store.save_run(replace(outcome("m", 0, FIRST), started_at=naive, finished_at=naive))
    assert count_rows(store, "runs") == 0
