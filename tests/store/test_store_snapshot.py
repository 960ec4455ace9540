"""A new database is created from the head snapshot: exactly what the migrations execute, without
Alembic. The snapshot must be what the migrations execute today, and the database it creates the
migrated one; an out-of-date snapshot is never used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pg_helpers import created_pg_database

from driftwatch.errors import StoreError
from driftwatch.store import Store
from driftwatch.store import database as schema
from driftwatch.store.snapshot import record

REGENERATE = "python -m driftwatch.store.snapshot --postgresql <server URL>"


@pytest.fixture
def other_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    with created_pg_database(str(request.getfixturevalue("pg_server_url"))) as url:
        yield url


def schema_of(url: str) -> dict[str, Any]:
    """Tables (columns, keys, indexes, constraints), views and their definitions, the revision."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {
            name: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in inspector.get_columns(name)
                ],
                "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(name)
                ),
                "unique": sorted(
                    (str(u["name"]), tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(name)
                ),
                "foreign keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(name)
                ),
            }
            for name in sorted(inspector.get_table_names())
        }
        views = {v: inspector.get_view_definition(v) for v in sorted(inspector.get_view_names())}
        return {"tables": tables, "views": views, "revision": schema.current_revision(engine)}
    finally:
        engine.dispose()


def committed(dialect: str) -> dict[str, Any]:
    return dict(json.loads((schema.SNAPSHOTS / f"{dialect}.json").read_text(encoding="utf-8")))


def test_the_snapshot_is_what_the_migrations_execute_today(database_url: str) -> None:
    recorded = record(database_url)
    assert recorded == committed(recorded["dialect"]), f"regenerate it: {REGENERATE}"


def test_a_database_created_from_the_snapshot_is_the_migrated_one(
    database_url: str, other_url: str
) -> None:
    created = schema.connect(database_url)
    try:
        assert schema.create_at_head(created)
    finally:
        created.dispose()
    schema.upgrade(migrated := schema.connect(other_url))
    migrated.dispose()
    from_snapshot, from_alembic = schema_of(database_url), schema_of(other_url)
    assert from_snapshot["revision"] == schema.head_revision()
    assert from_snapshot == from_alembic


def test_a_snapshot_of_another_revision_is_not_used(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration added without re-recording: Alembic creates the database, at head."""
    dialect = sa.engine.make_url(database_url).get_backend_name()
    stale = {**committed(dialect), "revision": "0005"}
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / f"{dialect}.json").write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(schema, "SNAPSHOTS", tmp_path / "snapshots")
    assert schema.head_snapshot(dialect) is None
    store = Store.open(database_url)
    store.close()
    assert schema_of(database_url)["revision"] == schema.head_revision()


def test_a_database_created_meanwhile_by_another_process_is_left_as_it_is(
    database_url: str,
) -> None:
    Store.open(database_url).close()  # the other process
    before = schema_of(database_url)
    engine = schema.connect(database_url)
    try:
        assert schema.create_at_head(engine)  # finds alembic_version: nothing replayed
    finally:
        engine.dispose()
    assert schema_of(database_url) == before


@pytest.mark.postgresql
def test_a_failing_statement_is_one_error_and_leaves_the_database_empty(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's DDL is transactional: all of the schema or none of it."""
    broken = committed("postgresql")
    first_table = broken["statements"][1]  # CREATE TABLE reference_profiles, a second time
    broken["statements"] = [*broken["statements"][:5], first_table]
    (tmp_path / "postgresql.json").write_text(json.dumps(broken), encoding="utf-8")
    monkeypatch.setattr(schema, "SNAPSHOTS", tmp_path)
    with pytest.raises(
        StoreError, match=r"^creating the schema of .* failed: .*reference_profiles"
    ):
        Store.open(pg_database)
    assert schema_of(pg_database)["tables"] == {}
