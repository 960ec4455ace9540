"""Migrations are the only way the schema changes: round trips keep data, models agree, and a
schema that is behind (or unknown) is refused with the command that fixes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from store_helpers import driftwatch, invoke, populate_example, weather_config

from driftwatch.data import DATA_DIR
from driftwatch.errors import SchemaOutOfDateError, StoreError, redact_url
from driftwatch.store import Store
from driftwatch.store import database as schema
from driftwatch.store.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
T = datetime(2024, 3, 1, 12, tzinfo=UTC)


def alembic_config(connection: sa.Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(schema.migrations_dir()))
    config.attributes["connection"] = connection
    return config


def revisions_before_head() -> list[str]:
    script = ScriptDirectory(str(schema.migrations_dir()))
    return [r.revision for r in script.walk_revisions() if r.revision != schema.HEAD_REVISION]


def previous_revision() -> str:
    down = ScriptDirectory(str(schema.migrations_dir())).get_revision("head").down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = schema.connect(database_url)
    yield engine
    engine.dispose()


# Rows written at an old revision, in every table that revision 0001 created.
OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    "reference_profiles": [
        dict(id=1, monitor="m", fingerprint="f" * 64, config_hash="c" * 64, source="ref.csv",
             n_rows=10, created_at=T, features={"age": {"bins": {"edges": [0, 1]}, "counts": [4]}}),
    ],
    "runs": [
        dict(id=1, monitor="m", window_start=T, window_end=T.replace(hour=13), status="succeeded",
             trigger="schedule", started_at=T, finished_at=T, duration_seconds=1.5, n_reference=10,
             n_live=5, n_features=1, n_drifted=1, dataset_drift=True, profile_id=1),
        dict(id=2, monitor="m", window_start=T.replace(hour=13), window_end=T.replace(hour=14),
             status="failed", trigger="manual", started_at=T, error="live file missing"),
    ],
    "feature_results": [
        dict(id=1, run_id=1, monitor="m", window_start=T, window_end=T.replace(hour=13),
             feature="age", kind="numeric", metric="js", value=0.125, unit="bits",
             status="critical", warn_threshold=0.05, critical_threshold=0.1, n_live=5,
             explanation={"top_bins": [{"label": "[0, 1)"}]}),
    ],
    "histograms": [
        dict(id=1, run_id=1, feature="age", kind="numeric", labels=["[0, 1)", "__missing__"],
             edges=[0.0, 1.0], reference_counts=[9, 1], live_counts=[5, 0]),
    ],
    "alerts": [
        dict(id=1, monitor="m", feature="age", metric="js", state="firing", severity="critical",
             breach_count=1, value=0.125, threshold=0.1, since=T, last_run_id=1, updated_at=T),
    ],
    "silences": [
        dict(id=1, monitor="m", feature=None, starts_at=T, ends_at=T, reason="deploy",
             created_at=T),
    ],
    "notifications": [
        dict(id=1, idempotency_key="m/age/js/1", sink="oncall", event="firing", monitor="m",
             feature="age", metric="js", severity="critical", run_id=1, payload={"v": 0.125},
             status="pending", attempts=0, next_attempt_at=T, created_at=T),
    ],
    "window_claims": [
        dict(id=1, monitor="m", window_start=T, window_end=T.replace(hour=13), owner="host:1",
             claimed_at=T, expires_at=T),
    ],
}  # fmt: skip


def populate(engine: sa.Engine) -> None:
    """Insert OLD_ROWS through the tables as they exist in the database now (reflected)."""
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for name, rows in OLD_ROWS.items():
            for row in rows:  # one by one: the rows leave different columns to their defaults
                connection.execute(sa.insert(tables.tables[name]), row)


def snapshot(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every driftwatch table, as the database returns it."""
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            name: [dict(r._mapping) for r in connection.execute(sa.select(table).order_by("id"))]
            for name, table in tables.tables.items()
            if name != "alembic_version"
        }


def same_rows(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]):
    """Rows in ``after`` hold every value ``before`` had (new columns may have been added)."""
    for table, rows in before.items():
        kept = [{k: row[k] for k in rows[0]} for row in after[table]] if rows else after[table]
        assert kept == rows, f"rows of {table} changed"


def test_a_brand_new_database_is_migrated_to_head_on_open(database_url: str) -> None:
    opened = Store.open(database_url)
    try:
        assert schema.current_revision(opened.engine) == schema.HEAD_REVISION
        views = set(sa.inspect(opened.engine).get_view_names())
    finally:
        opened.close()
    assert {"latest_feature_results", "feature_timeseries"} <= views


@pytest.mark.parametrize("start", revisions_before_head())
def test_upgrade_to_head_keeps_every_row_written_at_an_older_revision(
    engine: sa.Engine, start: str
) -> None:
    schema.upgrade(engine, start)
    populate(engine)
    before = snapshot(engine)

    schema.upgrade(engine)

    assert schema.current_revision(engine) == schema.HEAD_REVISION
    same_rows(before, snapshot(engine))


def test_upgrade_downgrade_upgrade_round_trip_keeps_every_row(engine: sa.Engine) -> None:
    schema.upgrade(engine, "0001")
    populate(engine)
    before = snapshot(engine)

    schema.upgrade(engine)
    schema.downgrade(engine, "0001")
    assert schema.current_revision(engine) == "0001"
    same_rows(before, snapshot(engine))

    schema.upgrade(engine)
    same_rows(before, snapshot(engine))
    with engine.connect() as connection:
        latest = connection.execute(
            sa.text("SELECT monitor, feature, metric, value FROM latest_feature_results")
        ).all()
    assert [tuple(r) for r in latest] == [("m", "age", "js", 0.125)]


def test_downgrade_to_base_removes_every_driftwatch_table(engine: sa.Engine) -> None:
    schema.upgrade(engine)
    schema.downgrade(engine, "base")
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) <= {"alembic_version"}
    assert inspector.get_view_names() == []


def test_models_and_migrations_agree_alembic_check(engine: sa.Engine) -> None:
    schema.upgrade(engine)
    with engine.connect() as connection:
        command.check(alembic_config(connection))  # raises AutogenerateDiffsDetected on a diff


def test_alembic_check_detects_a_model_the_migrations_lack(engine: sa.Engine) -> None:
    """The check above can fail: a table missing from the migrations is reported."""
    from alembic.util import AutogenerateDiffsDetected

    schema.upgrade(engine)
    extra = sa.Table("not_migrated", Base.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        with engine.connect() as connection, pytest.raises(AutogenerateDiffsDetected):
            command.check(alembic_config(connection))
    finally:
        Base.metadata.remove(extra)


def test_a_schema_behind_the_code_is_refused_naming_driftwatch_db_upgrade(
    database_url: str, engine: sa.Engine
) -> None:
    schema.upgrade(engine, previous_revision())
    expected = (
        f"database {redact_url(str(engine.url))!r} is at schema revision {previous_revision()}, "
        f"behind this driftwatch's {schema.HEAD_REVISION}; "
        "run `driftwatch db upgrade --config prod.yaml`"
    )
    with pytest.raises(SchemaOutOfDateError) as refused:
        Store.open(database_url, config_hint="--config prod.yaml")
    assert str(refused.value) == expected
    assert schema.current_revision(engine) == previous_revision(), "nothing was migrated"


def test_a_revision_newer_than_the_code_is_refused(database_url: str, engine: sa.Engine) -> None:
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaOutOfDateError, match=r"revision 9999, .*newer version.*upgrade"):
        Store.open(database_url)


def test_tables_without_a_migration_record_are_refused(
    database_url: str, engine: sa.Engine
) -> None:
    Base.metadata.create_all(engine)  # as a hand-made schema would be
    with pytest.raises(SchemaOutOfDateError, match="no migration record"):
        Store.open(database_url)


def test_an_unreachable_database_is_one_error_without_the_password() -> None:
    url = "postgresql+psycopg://dw:s3cret@127.0.0.1:1/results"
    with pytest.raises(StoreError, match="cannot reach the results database") as refused:
        Store.open(url)
    assert "s3cret" not in str(refused.value)


# --- the `driftwatch db` commands on a real database ---------------------------------------------


def test_db_commands_upgrade_report_and_downgrade_a_real_database(
    database_url: str, tmp_path: Path
) -> None:
    shown = redact_url(database_url)
    head = schema.HEAD_REVISION

    def db(*args: str) -> str:
        result = invoke("db", *args, "--database", database_url)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert (
        db("current") == f"{shown}: revision none (head {head}, empty: run `driftwatch db upgrade`)"
    )
    assert db("upgrade") == f"{shown}: schema empty -> {head}"
    assert db("current") == f"{shown}: revision {head} (head {head}, up to date)"
    assert db("downgrade", "0001") == f"{shown}: schema now at 0001"
    assert db("current") == (
        f"{shown}: revision 0001 (head {head}, behind: run `driftwatch db upgrade`)"
    )
    assert db("upgrade", "--revision", "0002") == f"{shown}: schema 0001 -> 0002"
    assert db("upgrade") == f"{shown}: schema 0002 -> {head}"


@pytest.mark.slow
def test_driftwatch_run_on_a_behind_schema_exits_2_naming_the_fix(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    schema.upgrade(engine, previous_revision())
    config = weather_config(tmp_path / "monitors.yaml", DATA_DIR / "seattle-weather.csv")

    result = driftwatch("run", "--config", str(config), "--database", database_url, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"run `driftwatch db upgrade --config {config}`" in result.stderr


def test_0004_adds_a_null_decision_threshold_to_old_rows_and_to_both_views(
    engine: sa.Engine,
) -> None:
    schema.upgrade(engine, "0003")
    populate(engine)
    schema.upgrade(engine, "0004")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT decision_threshold FROM feature_results"))
        assert [tuple(r) for r in stored] == [(None,)]
        for view in ("latest_feature_results", "feature_timeseries"):
            rows = connection.execute(sa.text(f"SELECT value, decision_threshold FROM {view}"))
            assert [tuple(r) for r in rows] == [(0.125, None)], view
    schema.downgrade(engine, "0003")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("feature_results")}
    assert "decision_threshold" not in columns
    views = {c["name"] for c in sa.inspect(engine).get_columns("feature_timeseries")}
    assert "decision_threshold" not in views and "reason" in views


# --- every migration is one transaction, on SQLite too -------------------------------------------


class Interrupted(Exception):
    """Raised by a migration operation: the migration stops part-way, as a crash would stop it."""


def scratch(operations: Any) -> bool:
    """Whether migration operations are those of the in-memory database driftwatch migrates to
    learn each revision's schema (not the database under test)."""
    return str(operations.get_bind().engine.url) == "sqlite://"


def interrupt_after(monkeypatch: pytest.MonkeyPatch, operations: int) -> None:
    """Make every migration operation after the first ``operations`` raise :class:`Interrupted`."""
    from alembic.operations.base import AbstractOperations

    original = AbstractOperations.invoke
    done = 0

    def invoke(self: AbstractOperations, operation: Any) -> Any:
        nonlocal done
        if scratch(self):
            return original(self, operation)
        if done >= operations:
            raise Interrupted(f"interrupted after {operations} operation(s)")
        done += 1
        return original(self, operation)

    monkeypatch.setattr(AbstractOperations, "invoke", invoke)


def schema_objects(engine: sa.Engine) -> dict[str, list[str]]:
    """Tables and views with their columns, and each table's indexes: the schema as it stands."""
    inspector = sa.inspect(engine)
    found: dict[str, list[str]] = {}
    for table in inspector.get_table_names():
        found[f"table {table}"] = sorted(c["name"] for c in inspector.get_columns(table))
        found[f"indexes {table}"] = sorted(str(i["name"]) for i in inspector.get_indexes(table))
    for view in inspector.get_view_names():
        found[f"view {view}"] = sorted(c["name"] for c in inspector.get_columns(view))
    return found


def test_a_migration_failing_midway_leaves_the_database_at_its_previous_revision(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema.upgrade(engine, "0001")
    populate(engine)
    rows, objects = snapshot(engine), schema_objects(engine)
    interrupt_after(monkeypatch, 1)  # 0002's first view is created, its second one fails

    with pytest.raises(Interrupted):
        schema.upgrade(engine)

    assert schema.current_revision(engine) == "0001"
    assert schema_objects(engine) == objects
    assert snapshot(engine) == rows


@pytest.mark.parametrize("operations", [1, 7])
def test_a_first_migration_failing_midway_leaves_an_empty_database(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, operations: int
) -> None:
    interrupt_after(monkeypatch, operations)
    with pytest.raises(Interrupted):
        Store.open(database_url)
    assert schema.current_revision(engine) is None
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    monkeypatch.undo()
    Store.open(database_url).close()  # the next run creates it
    assert schema.current_revision(engine) == schema.HEAD_REVISION


def test_the_alembic_command_migrates_in_one_transaction_too(
    database_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic upgrade head` from the repository (env.py connecting by itself) is atomic too."""
    schema.upgrade(engine, "0001")
    objects = schema_objects(engine)
    config = AlembicConfig()
    config.set_main_option("script_location", str(schema.migrations_dir()))
    monkeypatch.setenv("DRIFTWATCH_DB", database_url)
    interrupt_after(monkeypatch, 3)  # 0002 and half of 0003 done

    with pytest.raises(Interrupted):
        command.upgrade(config, "head")

    assert schema.current_revision(engine) == "0001"
    assert schema_objects(engine) == objects


def test_a_table_copied_by_a_batch_operation_keeps_the_rows_that_reference_it(
    sqlite_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Foreign keys are off while migrating (SQLite ignores the pragma inside the transaction):
    copying ``runs`` and dropping the old table must not cascade into its results."""
    from alembic.operations.base import AbstractOperations, Operations

    engine = schema.connect(sqlite_database)
    schema.upgrade(engine, "0001")
    populate(engine)
    before = snapshot(engine)
    original = AbstractOperations.invoke
    copied = []

    def invoke(self: AbstractOperations, operation: Any) -> Any:
        if isinstance(self, Operations) and not scratch(self) and not copied:
            copied.append(True)
            with self.batch_alter_table("runs", recreate="always"):
                pass
        return original(self, operation)

    monkeypatch.setattr(AbstractOperations, "invoke", invoke)
    schema.upgrade(engine, "0002")

    assert copied and schema.current_revision(engine) == "0002"
    same_rows(before, snapshot(engine))
    engine.dispose()


# --- SQLite files half-built by a driftwatch whose migrations were not one transaction -----------


def half_built(
    url: str, start: str | None, operations: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupt an upgrade from ``start`` the way driftwatch did before it made migrations one
    transaction: on the application's engine, where pysqlite runs each DDL statement on its own
    (the interrupted revision's statements so far stay), killed after ``operations`` of them."""
    engine = schema.connect(url)
    try:
        if start is not None:
            schema.upgrade(engine, start)
        with monkeypatch.context() as patched:
            interrupt_after(patched, operations)
            with engine.begin() as connection, pytest.raises(Interrupted):
                command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


HALF_BUILT = [  # (start, operations run, what is wrong): interrupted first runs and `db upgrade`s
    pytest.param(None, 1, "records no revision but has table reference_profiles", id="first-1"),
    pytest.param(None, 5, "records no revision but has index ix_silences_monitor, table "
                 "reference_profiles, table runs, table silences and 1 more", id="first-5"),
    pytest.param("0001", 1, "records revision 0001 but has view feature_timeseries", id="0002-1"),
    pytest.param("0002", 2, "records revision 0002 but lacks view feature_timeseries, view "
                 "latest_feature_results", id="0003-2"),
    pytest.param("0003", 3, "records revision 0003 but lacks view feature_timeseries, view "
                 "latest_feature_results and has other columns in table feature_results",
                 id="0004-3"),
    pytest.param("0005", 3, "records revision 0005 but has index ix_runs_monitor_window_end_id "
                 "and lacks index ix_runs_monitor_window_end, view latest_feature_results",
                 id="0006-3"),
]  # fmt: skip


@pytest.mark.parametrize(("start", "operations", "damage"), HALF_BUILT)
def test_a_half_built_file_without_results_is_rebuilt_by_the_next_run(
    sqlite_database: str,
    monkeypatch: pytest.MonkeyPatch,
    start: str | None,
    operations: int,
    damage: str,
) -> None:
    half_built(sqlite_database, start, operations, monkeypatch)
    path = sqlite_database.removeprefix("sqlite:///")
    with pytest.raises(SchemaOutOfDateError) as refused:  # a reader writes nothing
        Store.open_readonly(sqlite_database)
    assert re.fullmatch(
        rf"database '{re.escape(path)}' is half-built \(a migration by an older driftwatch was "
        rf"interrupted\): it {re.escape(damage)}; its tables are empty, so `driftwatch db upgrade "
        r"--database URL` or `driftwatch run` rebuilds it",
        str(refused.value),
    ), str(refused.value)

    opened = Store.open(sqlite_database)
    try:
        populate_example(opened)
        assert schema.current_revision(opened.engine) == schema.HEAD_REVISION
    finally:
        opened.close()


@pytest.mark.parametrize(("start", "operations", "damage"), HALF_BUILT[2:])
def test_a_half_built_file_holding_results_is_refused_and_left_as_it_is(
    sqlite_database: str,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    operations: int,
    damage: str,
) -> None:
    engine = schema.connect(sqlite_database)
    schema.upgrade(engine, start)
    populate(engine)
    half_built(sqlite_database, None, operations, monkeypatch)  # from `start`, where it is
    before, objects = snapshot(engine), schema_objects(engine)
    path = sqlite_database.removeprefix("sqlite:///")

    for attempt in (
        lambda: Store.open(sqlite_database, config_hint="--config prod.yaml"),
        lambda: schema.upgrade(engine),
        lambda: schema.downgrade(engine, "base"),
    ):
        with pytest.raises(SchemaOutOfDateError) as refused:
            attempt()
        message = str(refused.value)
        assert re.match(
            rf"database '{re.escape(path)}' is half-built .*: it {re.escape(damage)}; ", message
        )
        assert message.endswith(
            "it holds 2 run(s) (9 row(s)), which driftwatch will not risk by guessing how far the "
            "migration got: restore the file from a backup taken before that upgrade"
        )
    assert snapshot(engine) == before
    assert schema_objects(engine) == objects
    engine.dispose()


def test_a_complete_schema_behind_head_is_not_half_built(sqlite_database: str) -> None:
    engine = schema.connect(sqlite_database)
    for revision in [*reversed(revisions_before_head()), schema.HEAD_REVISION]:
        schema.upgrade(engine, revision)
        with engine.connect() as connection:
            assert schema._half_built(connection) is None, revision
    engine.dispose()
