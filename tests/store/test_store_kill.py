"""``kill -9`` while a SQLite schema is created or migrated: the file is left as it was (no file,
an empty one, the old revision with its rows) or at head, never half-built, and the next command
on it works.

Each command runs in a child forked from a server that has imported driftwatch, its data stack
and Alembic once (multiprocessing's forkserver), so a child starts the command at once and 50
kills fit in about a minute: ``python -m driftwatch`` would spend most of each try importing.
How long the migration's transaction lasts is measured first, on one traced command per case;
four kills in five are drawn (seeded) over that length from the moment the migration begins (the
start-up varies more than the migration lasts), the rest over the command's first second.
"""

from __future__ import annotations

import multiprocessing
import random
import shutil
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from store_helpers import PRELOAD, cli_in_child
from test_store_migrations import populate

from driftwatch.store import database as schema
from tests.reliability.harness import BASE_CONFIG, LIVE_CSV, REF_CSV

pytestmark = pytest.mark.slow

SEED = 6
KILLS = {"first-run": 20, "upgrade-new": 15, "upgrade-0001": 15}  # 50 in all
FORKS = multiprocessing.get_context("forkserver")
OK_EXITS = (0, 1)  # no drift, drift: anything but 2 (refused) or 3 (internal error)


@dataclass(frozen=True)
class Case:
    command: list[str]
    """The command that is killed; ``{db}`` and ``{config}`` are filled in."""
    start: str | None
    """The revision the file is at before it (None: no file)."""
    then: list[list[str]]
    """The commands a user runs next, each of which must succeed."""


# The 0001 file's rows include a pending notification to a sink the config lacks: not dispatched.
RUN = ["run", "--config", "{config}", "--database", "{db}", "--no-dispatch"]
UPGRADE = ["db", "upgrade", "--database", "{db}"]
CASES = {
    "first-run": Case(RUN, None, [RUN]),
    "upgrade-new": Case(UPGRADE, None, [RUN]),
    "upgrade-0001": Case(UPGRADE, "0001", [UPGRADE, RUN]),
}


def objects(path: Path) -> dict[str, list[str]]:
    """Each table and view with its columns, each index with its table; sqlite3 alone reads it
    (opening the file rolls back what a killed transaction left in its journal)."""
    connection = sqlite3.connect(path)
    try:
        found = {}
        for kind, name, table in connection.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ):
            if kind == "index":
                found[f"index {name}"] = [table]
            else:
                info = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
                found[f"{kind} {name}"] = sorted(row[1] for row in info)
        return found
    finally:
        connection.close()


def read(path: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def revision_of(path: Path) -> str | None:
    if "table alembic_version" not in objects(path):
        return None
    rows = read(path, "SELECT version_num FROM alembic_version")
    assert len(rows) <= 1, rows
    return rows[0][0] if rows else None


def rows_of(path: Path, tables: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of ``tables`` (name → columns), in those columns only."""
    return {
        name: read(path, f'SELECT {", ".join(columns)} FROM "{name}" ORDER BY id')
        for name, columns in tables.items()
    }


@pytest.fixture(scope="module")
def forks() -> Any:
    FORKS.set_forkserver_preload(PRELOAD)
    return FORKS


@pytest.fixture(scope="module")
def at_revision(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Path]:
    """A file at each revision a kill may leave (0001 holding rows), to compare with."""
    folder = tmp_path_factory.mktemp("revisions")
    files: dict[str | None, Path] = {}
    for revision in ("0001", schema.HEAD_REVISION):
        path = folder / f"{revision}.db"
        engine = schema.connect(f"sqlite:///{path}")
        schema.upgrade(engine, revision)
        if revision == "0001":
            populate(engine)
        engine.dispose()
        files[revision] = path
    empty = folder / "empty.db"
    sqlite3.connect(empty).close()
    files[None] = empty
    return files


def command(args: list[str], folder: Path) -> list[str]:
    db = f"sqlite:///{folder / 'results.db'}"
    return [
        a.replace("{db}", db).replace("{config}", str(folder / "driftwatch.yaml")) for a in args
    ]


def prepare(folder: Path, case: Case, at_revision: dict[str | None, Path]) -> Path:
    folder.mkdir(parents=True)
    (folder / "ref.csv").write_text(REF_CSV, encoding="utf-8")
    (folder / "live.csv").write_text(LIVE_CSV, encoding="utf-8")
    config = BASE_CONFIG.replace("{db}", "sqlite:///unused.db")
    (folder / "driftwatch.yaml").write_text(config, encoding="utf-8")
    path = folder / "results.db"
    if case.start is not None:
        shutil.copyfile(at_revision[case.start], path)
    return path


def launch(
    forks: Any, args: list[str], output: Path, trace: Path | None = None, stop: int | None = None
) -> Any:
    process = forks.Process(
        target=cli_in_child, args=(args, str(output), None if trace is None else str(trace), stop)
    )
    process.start()
    return process


def migration_length(forks: Any, folder: Path, case: Case, at_revision: Any) -> float:
    """How long the command's migration transaction lasts, from its BEGIN to its COMMIT (s)."""
    prepare(folder, case, at_revision)
    trace = folder / "trace.txt"
    process = launch(forks, command(case.command, folder), folder / "out.txt", trace)
    process.join(120)
    assert process.exitcode in OK_EXITS, (folder / "out.txt").read_text()
    events = [line.split() for line in trace.read_text().splitlines()]
    begin = next(float(t) for t, word in events if word == "BEGIN")
    return next(float(t) for t, word in events if word == "COMMIT" and float(t) > begin) - begin


@dataclass(frozen=True)
class Kill:
    delay: float
    """Seconds to wait before the kill."""
    in_migration: bool
    """Whether the delay counts from the migration's BEGIN (else from the command's start)."""


def kills(rng: random.Random, n: int, length: float) -> list[Kill]:
    """Four in five spread over the migration (from its BEGIN to half its length after its
    COMMIT), one in five anywhere in the command's first second."""
    return [
        Kill(rng.uniform(0.0, 1.5 * length), True)
        if rng.random() < 0.8
        else Kill(rng.uniform(0.0, 1.0), False)
        for _ in range(n)
    ]


def test_kill_9_during_schema_creation_or_migration_leaves_a_usable_file(
    forks: Any, at_revision: dict[str | None, Path], tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    old_tables = {
        key.split(" ", 1)[1]: columns
        for key, columns in objects(at_revision["0001"]).items()
        if key.startswith("table ") and key != "table alembic_version"
    }
    old_rows = rows_of(at_revision["0001"], old_tables)
    expected = {revision: objects(path) for revision, path in at_revision.items()}
    outcomes: dict[str, Counter[str]] = {}
    started = time.monotonic()
    for name, case in CASES.items():
        length = migration_length(forks, tmp_path / f"{name}-calibration", case, at_revision)
        outcomes[name] = Counter()
        for index, kill in enumerate(kills(rng, KILLS[name], length)):
            folder = tmp_path / f"{name}-{index}"
            path = prepare(folder, case, at_revision)
            trace = folder / "trace.txt"
            process = launch(forks, command(case.command, folder), folder / "out.txt", trace)
            if kill.in_migration:  # the start-up varies more than the migration lasts
                wait_for(trace, "BEGIN", process)
            time.sleep(kill.delay)
            process.kill()
            process.join(60)
            where = f"{name} #{index}, killed {kill}"
            journal = path.with_name(path.name + "-journal")
            hot = journal.is_file() and journal.stat().st_size > 0
            revision = revision_of(path) if path.is_file() else None

            if process.exitcode != -9:
                outcome = "finished before the kill"
                assert process.exitcode in OK_EXITS, (where, (folder / "out.txt").read_text())
            elif revision == case.start:
                outcome = "inside the migration's writes" if hot else "before the migration wrote"
            else:
                outcome = "after the migration's commit"
            outcomes[name][outcome] += 1
            assert revision in (case.start, schema.HEAD_REVISION), where
            if path.is_file():
                assert objects(path) == expected[revision], where
            if case.start is not None:
                assert rows_of(path, old_tables) == old_rows, where

            for then in case.then:
                process = launch(forks, command(then, folder), folder / "next.txt")
                process.join(120)
                assert process.exitcode in OK_EXITS, (where, (folder / "next.txt").read_text())
            assert revision_of(path) == schema.HEAD_REVISION, where
            assert read(path, "SELECT count(*) FROM runs")[0][0] >= 1, where
    elapsed = time.monotonic() - started
    print(f"\n{sum(KILLS.values())} kills in {elapsed:.0f} s:", dict(outcomes))

    inside = sum(counts["inside the migration's writes"] for counts in outcomes.values())
    assert inside >= 10, f"too few kills landed inside a migration: {outcomes}"


def test_a_migration_killed_midway_leaves_its_journal_and_the_old_file(
    forks: Any, at_revision: dict[str | None, Path], tmp_path: Path
) -> None:
    """What the test above counts on: a kill inside the migration leaves SQLite's journal, the
    file reads as it was, and `db upgrade` then works. No luck involved: the command stops itself
    after its third CREATE (0002's two views, 0003's first) and is killed while stopped."""
    case = CASES["upgrade-0001"]
    folder = tmp_path / "journal"
    path = prepare(folder, case, at_revision)
    trace = folder / "trace.txt"
    process = launch(forks, command(case.command, folder), folder / "out.txt", trace, stop=3)
    wait_for(trace, "STOPPED", process)
    process.kill()
    process.join(60)
    assert process.exitcode == -9
    journal = path.with_name(path.name + "-journal")
    assert journal.is_file() and journal.stat().st_size > 0
    assert revision_of(path) == "0001"
    assert objects(path) == objects(at_revision["0001"])
    process = launch(forks, command(UPGRADE, folder), folder / "next.txt")
    process.join(120)
    assert process.exitcode == 0, (folder / "next.txt").read_text()
    assert revision_of(path) == schema.HEAD_REVISION


def wait_for(trace: Path, word: str, process: Any) -> None:
    """Until the child's trace shows ``word``."""
    deadline = time.monotonic() + 60
    while not (trace.is_file() and word in trace.read_text()):
        assert process.is_alive() and time.monotonic() < deadline, "never reached"
        time.sleep(0.0005)


def test_two_first_runs_on_one_new_file_both_succeed(
    forks: Any, at_revision: dict[str | None, Path], tmp_path: Path
) -> None:
    """Both find the file empty; BEGIN IMMEDIATE makes the second wait for the first's schema,
    then find it at head (before, the second failed with "table ... already exists")."""
    for attempt in range(3):
        folder = tmp_path / f"race-{attempt}"
        path = prepare(folder, CASES["first-run"], at_revision)
        both = [
            launch(forks, command(RUN, folder), folder / f"out-{i}.txt", folder / f"trace-{i}.txt")
            for i in range(2)
        ]
        for i, process in enumerate(both):
            process.join(120)
            assert process.exitcode in OK_EXITS, (folder / f"out-{i}.txt").read_text()
        migrated = [
            "CREATE" in (folder / f"trace-{i}.txt").read_text().split("COMMIT")[0] for i in range(2)
        ]
        assert revision_of(path) == schema.HEAD_REVISION
        assert objects(path) == objects(at_revision[schema.HEAD_REVISION])
        assert migrated.count(True) <= 1, "both created the schema"
