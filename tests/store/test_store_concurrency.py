"""Two real processes writing to one PostgreSQL database at once: no error, no duplicate, no loss.

Each process meets the other at a barrier right before every write, so the writes really overlap.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
import sqlalchemy as sa
from store_helpers import open_store_in_child, save_windows_in_child

from driftwatch.store import Store
from driftwatch.store import database as schema

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]  # spawned processes

WINDOWS = list(range(8))
SPAWN = multiprocessing.get_context("spawn")


def run_both(target: Any, args_a: tuple[Any, ...], args_b: tuple[Any, ...]) -> list[Any]:
    """Run ``target`` in two spawned processes at once; return what each reported."""
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=target, args=(*args, barrier, results)) for args in (args_a, args_b)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    errors = [detail for status, detail in reports if status == "error"]
    assert errors == [], errors
    return [detail for _, detail in reports]


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def migrated(pg_database: str) -> str:
    Store.open(pg_database).close()
    return pg_database


def test_two_processes_writing_different_monitors_lose_nothing(migrated: str) -> None:
    reports = run_both(
        save_windows_in_child,
        (migrated, "a", WINDOWS, 0.01, "replace"),
        (migrated, "b", WINDOWS, 0.02, "replace"),
    )

    assert reports == [["inserted"] * len(WINDOWS)] * 2
    counts = rows(migrated, "SELECT monitor, count(*) FROM runs GROUP BY monitor ORDER BY 1")
    assert counts == [("a", len(WINDOWS)), ("b", len(WINDOWS))]
    assert rows(migrated, "SELECT count(*) FROM feature_results") == [(2 * len(WINDOWS) * 40,)]


@pytest.mark.parametrize(("on_rerun", "second"), [("replace", "replaced"), ("skip", "skipped")])
def test_two_processes_writing_the_same_windows_leave_one_whole_run_each(
    migrated: str, on_rerun: str, second: str
) -> None:
    first_actions, second_actions = run_both(
        save_windows_in_child,
        (migrated, "m", WINDOWS, 0.01, on_rerun),
        (migrated, "m", WINDOWS, 0.02, on_rerun),
    )

    for pair in zip(first_actions, second_actions, strict=True):
        assert sorted(pair) == sorted(["inserted", second])
    assert rows(migrated, "SELECT count(*) FROM runs") == [(len(WINDOWS),)]
    per_run = rows(
        migrated,
        "SELECT r.id, count(f.id), count(DISTINCT f.value) FROM runs r "
        "JOIN feature_results f ON f.run_id = r.id GROUP BY r.id",
    )
    assert len(per_run) == len(WINDOWS)
    assert all(n == 40 and distinct == 1 for _, n, distinct in per_run), "rows of one writer"
    assert rows(migrated, "SELECT count(*) FROM histograms") == [(len(WINDOWS) * 20,)]


def test_two_processes_opening_a_brand_new_database_both_migrate_it(pg_database: str) -> None:
    run_both(open_store_in_child, (pg_database,), (pg_database,))

    engine = schema.connect(pg_database)
    try:
        assert schema.current_revision(engine) == schema.HEAD_REVISION
    finally:
        engine.dispose()
