"""Connecting to the results database and keeping its schema at the code's revision.

The schema is created and changed only by the Alembic revisions in ``migrations/``. A brand-new
(empty) database is migrated to head by Alembic when a command writes (:func:`ensure_schema`);
one that is behind is refused with a message naming ``driftwatch db upgrade``. Commands that only
read (``status``, ``report``, ``history``, ``alerts list``) open with ``connect(url, create=False)``
and :func:`check_schema`: a mistyped URL is one error line, never a new empty database.

Alembic is imported only when it is needed: to create or migrate a database, and to name the
revisions of one that is not at head. Opening a database that is already at head (every scheduled
run) compares its ``alembic_version`` row, read with SQLAlchemy, with :data:`HEAD_REVISION`.

Every migration is one transaction, on SQLite too (:func:`migration_engine`): a database goes to
the target revision or stays as it was, ``kill -9`` included. SQLite files that older versions
left half-built are rebuilt when their tables are empty, refused with the fix otherwise.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from driftwatch.config.models import DEFAULT_DATABASE_URL
from driftwatch.errors import (
    SchemaOutOfDateError,
    StoreError,
    redact,
    redact_url,
    url_problem,
    url_secrets,
)

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = [
    "HEAD_REVISION",
    "check_schema",
    "connect",
    "current_revision",
    "downgrade",
    "ensure_schema",
    "is_known_revision",
    "migration_engine",
    "migrations_dir",
    "one_line",
    "parse_url",
    "sqlite_file",
    "upgrade",
]


log = logging.getLogger("driftwatch.store")


def one_line(exc: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's background-link boilerplate."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def migrations_dir() -> Path:
    """The Alembic script directory: inside the installed wheel, or the repository's migrations/."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError(
        f"driftwatch's migrations are missing (looked in {package / '_migrations'} and "
        f"{package.parent / 'migrations'}); reinstall driftwatch"
    )


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def _script_revisions() -> list[str]:
    """Every revision of the script directory, newest first, as Alembic sees them."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in script.walk_revisions()]


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this driftwatch's migrations (not a newer version's)."""
    return revision in _script_revisions()


HEAD_REVISION = "0007"
"""The newest revision in ``migrations/versions/``: the schema this driftwatch reads and writes.
Bump it with every new migration (a test checks it is Alembic's head)."""


_CONFIG_ORIGIN = "the 'database' key of the config"


def _sqlite_file(parsed: sa.URL) -> Path | None:
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (absolute), or None for other databases and in-memory ones."""
    try:
        return _sqlite_file(sa.engine.make_url(url))
    except (ArgumentError, ValueError):  # connect() names what is wrong with it
        return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_migration_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's pysqlite recipe for transactional DDL: the driver's own transaction handling
    # off, so the BEGIN emitted when SQLAlchemy begins covers every statement, DDL included.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Off (it cannot change inside the transaction): a batch copy of a table must not cascade
    # into the rows that reference it. The keys are checked before the commit.
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: sa.Connection) -> None:
    # IMMEDIATE: the write lock from the start, so two processes migrating one new file queue
    # (busy_timeout) instead of the second failing when it first writes; it then finds head.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def migration_engine(url: str | sa.URL) -> Engine:
    """An engine to change the schema of ``url`` with, one real transaction per ``begin()``.

    On SQLite, SQLAlchemy's recipe for transactional DDL (the driver's autocommit off, ``BEGIN
    IMMEDIATE`` when SQLAlchemy begins): a migration interrupted anywhere, by an error or a
    ``kill -9``, leaves the file as it was. Used by :func:`upgrade`, :func:`downgrade` and the
    plain ``alembic`` command (``migrations/env.py``).
    """
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_migration_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def connect(
    url: str, *, check: bool = True, create: bool = True, origin: str = _CONFIG_ORIGIN
) -> Engine:
    """An Engine on ``url``; StoreError (password redacted) when it is malformed or unreachable.

    With ``create=False`` (the read-only commands) a SQLite file that does not exist is refused
    instead of being created; ``origin`` says where the URL came from, for the fix in messages.
    """
    shown = redact_url(url)
    parsed = parse_url(url, origin=origin)
    path = _sqlite_file(parsed)
    if path is not None:
        if not create and not path.is_file():
            raise StoreError(
                f"no results database at {str(path)!r}; run `driftwatch run` first or fix {origin}"
            )
        if not path.parent.is_dir():
            raise StoreError(
                f"cannot create the SQLite database {shown!r}: folder {str(path.parent)!r} does "
                f"not exist; create it or fix {origin}"
            )
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = sa.create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (pip install 'driftwatch-monitor[postgres]')" if "postgres" in url else ""
        raise StoreError(f"no database driver for {shown!r}: {one_line(exc)}{hint}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        try:
            with engine.connect() as connection:
                if engine.dialect.name == "sqlite":
                    # SQLite opens any file lazily: read its header now, so a file that is not a
                    # database is named here instead of failing the first query.
                    connection.exec_driver_sql("PRAGMA schema_version")
        except SQLAlchemyError as exc:
            engine.dispose()
            if path is not None and "not a database" in one_line(exc):
                raise StoreError(
                    f"{str(path)!r} is not a SQLite database (the file holds something else); "
                    f"point {origin} at a driftwatch results file or a new file name"
                ) from None
            raise _unreachable(exc, url, parsed, origin) from None
    return engine


def parse_url(url: str, *, origin: str = _CONFIG_ORIGIN) -> sa.URL:
    """``url`` read by SQLAlchemy, without connecting; StoreError naming what is wrong with it
    (not a URL, a port that is not a number, an unescaped ``@`` in the password)."""
    shown = redact_url(url)
    problem = url_problem(url)  # an unescaped '@' in the password, a port that is not a number
    if problem is not None:
        raise StoreError(f"database URL {shown!r} {problem}; fix {origin}")
    try:
        parsed = sa.engine.make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(
            f"database URL {shown!r} is not a valid SQLAlchemy URL; use e.g. "
            f"{DEFAULT_DATABASE_URL} or postgresql+psycopg://user@host/dbname (fix {origin})"
        ) from None
    return parsed


def _unreachable(exc: SQLAlchemyError, url: str, parsed: sa.URL, origin: str) -> StoreError:
    """The one line for a database that cannot be opened: a missing one is named as such."""
    text = _redacted(exc, url)
    if parsed.database and f'database "{parsed.database}" does not exist' in text:
        server = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        return StoreError(
            f"no results database {parsed.database!r} on the server at {server}; create it "
            f"(createdb {parsed.database}) or fix {origin}"
        )
    return StoreError(
        f"cannot reach the results database {redact_url(url)!r}: {text}; check {origin} "
        "and that the server is running"
    )


def _redacted(exc: BaseException, url: str) -> str:
    return redact(one_line(exc), url_secrets(url))


# Alembic's bookkeeping table (its default name, which migrations/env.py keeps).
_VERSION_TABLE = sa.table("alembic_version", sa.column("version_num", sa.String))


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has never been migrated.

    Reads Alembic's ``alembic_version`` table directly (what ``MigrationContext`` does), so
    opening a database does not import Alembic.
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(_VERSION_TABLE.name):
            return None
        found = list(connection.execute(sa.select(_VERSION_TABLE.c.version_num)).scalars())
    if len(found) > 1:
        raise StoreError(
            f"database {redact_url(str(engine.url))!r} records several schema revisions "
            f"({', '.join(sorted(found))}) in alembic_version; driftwatch's migrations are one "
            "chain: keep the row of the revision the schema is at"
        )
    return found[0] if found else None


# Any fixed 64-bit number: the key of the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x647269667477  # "driftw"


@contextmanager
def _migration_connection(engine: Engine, *, rebuild: bool) -> Iterator[AlembicConfig]:
    """One transaction for the whole migration; one migrating process at a time.

    Two processes starting on a brand-new database (two schedulers, two CI jobs) both find it
    empty; the lock (PostgreSQL: an advisory lock, SQLite: ``BEGIN IMMEDIATE``) makes the second
    wait and then find the schema already at head. A half-built SQLite file is refused first, or
    with ``rebuild`` rebuilt when empty. (In-memory SQLite keeps the caller's engine: another
    engine would be another database.)
    """
    config = _alembic_config()
    own = _sqlite_file(engine.url) is not None
    if own and sa.inspect(engine).has_table(_VERSION_TABLE.name):
        _revision_shapes()  # before the lock: other writers wait only for the migration itself
    migrating = migration_engine(engine.url) if own else engine
    try:
        with migrating.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            if own:
                _settle_half_built(connection, rebuild=rebuild)
            config.attributes["connection"] = connection
            yield config
            if own:
                _check_foreign_keys(connection)
    finally:
        if own:
            migrating.dispose()


def _check_foreign_keys(connection: sa.Connection) -> None:
    """Refuse to commit a migration that left a row pointing at no row (keys are off during it)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise StoreError(
            f"migrating {redact_url(str(connection.engine.url))!r} would leave rows of table "
            f"{broken[0]} referencing missing rows of {broken[2]}; nothing was changed"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``, all in one transaction (nothing applied on failure).

    A SQLite file left half-built by an older driftwatch is rebuilt when its tables hold nothing,
    and refused (:class:`SchemaOutOfDateError`) when they hold rows.
    """
    from alembic import command
    from alembic.util import CommandError

    try:
        with _migration_connection(engine, rebuild=True) as config:
            command.upgrade(config, revision)
    except CommandError as exc:  # an unknown or unreachable revision: the user's typo
        raise _bad_revision(revision, exc) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"migrating {redact_url(str(engine.url))!r} to {revision} failed: {one_line(exc)}"
        ) from None


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` removes every driftwatch table)."""
    from alembic import command
    from alembic.util import CommandError

    try:
        with _migration_connection(engine, rebuild=False) as config:
            command.downgrade(config, revision)
    except CommandError as exc:  # an unknown or unreachable revision: the user's typo
        raise _bad_revision(revision, exc) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"downgrading {redact_url(str(engine.url))!r} to {revision} failed: {one_line(exc)}"
        ) from None


# --- SQLite files half-built by an older driftwatch ----------------------------------------------
#
# Before migrations were one transaction on SQLite, pysqlite committed each CREATE/ALTER/DROP run
# before the first row written (the alembic_version row), so a kill left part of the next
# revision beside the recorded one (or part of 0001 beside an empty alembic_version). Found by
# comparing the driftwatch tables (columns), views and indexes with the recorded revision's.

Shape = dict[str, frozenset[str]]
"""``"table runs"``/``"view v"`` → column names, ``"index ix"`` → {its table}."""

# Not driftwatch's schema: Alembic's bookkeeping, APScheduler's job store.
_NOT_SCHEMA = {"alembic_version", "apscheduler_jobs"}


def _objects(connection: sa.Connection) -> Shape:
    """Every table, view and index of a SQLite database but SQLite's and _NOT_SCHEMA's."""
    shape: Shape = {}
    rows = connection.exec_driver_sql(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).all()
    for kind, name, table in rows:
        if kind not in ("table", "view", "index") or _NOT_SCHEMA & {name, table}:
            continue
        if kind == "index":
            shape[f"index {name}"] = frozenset({table})
            continue
        try:
            info = connection.exec_driver_sql(f'PRAGMA table_info("{name}")').all()
        except SQLAlchemyError:  # a view over a table or column that is gone
            info = []
        shape[f"{kind} {name}"] = frozenset(str(row[1]) for row in info)
    return shape


@functools.cache
def _revision_shapes() -> dict[str | None, Shape]:
    """The schema of a SQLite database at each revision (None: before the first one), read after
    each step of migrating an in-memory database to head."""
    from alembic import command

    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    try:
        with engine.begin() as connection:
            shapes: dict[str | None, Shape] = {None: _objects(connection)}

            def read(*, heads: set[str], **_: Any) -> None:
                (revision,) = heads
                shapes[revision] = _objects(connection)

            config = _alembic_config()
            config.attributes.update(connection=connection, on_version_apply=read)
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    return shapes


@functools.cache
def _known_objects() -> Shape:
    """Every driftwatch object of any revision, with every column it has had."""
    known: Shape = {}
    for shape in _revision_shapes().values():
        for key, columns in shape.items():
            known[key] = known.get(key, frozenset()) | columns
    return known


@dataclass(frozen=True)
class _HalfBuilt:
    revision: str | None  # what alembic_version records (None: the table without its row)
    damage: str  # how the schema differs from that revision's
    rows: int  # in its driftwatch tables: 0 means rebuilding it loses nothing
    runs: int


def _half_built(connection: sa.Connection) -> _HalfBuilt | None:
    """What an interrupted migration left in this SQLite database; None when its schema is the
    recorded revision's, or nothing is recorded (no alembic_version: brand new or hand-made) or
    a revision this driftwatch does not know is."""
    tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    if _VERSION_TABLE.name not in set(tables.scalars()):
        return None
    recorded = list(connection.execute(sa.select(_VERSION_TABLE.c.version_num)).scalars())
    shapes = _revision_shapes()
    if len(recorded) > 1 or (recorded and recorded[0] not in shapes):
        return None  # refused as such by current_revision / _refuse_unless_at_head
    revision = recorded[0] if recorded else None
    known = _known_objects()
    found = {
        key: columns & known[key] if key.startswith("table ") else columns
        for key, columns in _objects(connection).items()
        if key in known
    }
    expected = shapes[revision]
    if found == expected:
        return None
    rows = {
        name: connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
        for kind, name in (key.split(" ", 1) for key in found)
        if kind == "table"
    }
    differences = _differences(expected, found)
    return _HalfBuilt(revision, differences, sum(rows.values()), rows.get("runs", 0))


def _differences(expected: Shape, found: Shape) -> str:
    def listed(keys: list[str]) -> str:
        return ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")

    parts = []
    if extra := sorted(found.keys() - expected.keys()):
        parts.append(f"has {listed(extra)}")
    if missing := sorted(expected.keys() - found.keys()):
        parts.append(f"lacks {listed(missing)}")
    if changed := sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k]):
        parts.append(f"has other columns in {listed(changed)}")
    return " and ".join(parts)


def _half_built_error(
    file: str, found: _HalfBuilt, config_hint: str = "--config FILE"
) -> SchemaOutOfDateError:
    at = f"revision {found.revision}" if found.revision else "no revision"
    what = (
        f"database {file!r} is half-built (a migration by an older driftwatch was interrupted): "
        f"it records {at} but {found.damage}"
    )
    if not found.rows:
        return SchemaOutOfDateError(
            f"{what}; its tables are empty, so `driftwatch db upgrade {config_hint}` or "
            "`driftwatch run` rebuilds it"
        )
    return SchemaOutOfDateError(
        f"{what}; it holds {found.runs} run(s) ({found.rows} row(s)), which "
        "driftwatch will not risk by guessing how far the migration got: restore the file from "
        "a backup taken before that upgrade"
    )


def _settle_half_built(connection: sa.Connection, *, rebuild: bool) -> None:
    """Inside the migration's transaction: refuse a half-built file, or rebuild an empty one."""
    found = _half_built(connection)
    if found is None:
        return
    file = str(_sqlite_file(connection.engine.url))
    if found.rows or not rebuild:
        raise _half_built_error(file, found, "--database URL")
    # Its tables hold nothing: drop its driftwatch objects and let the migration start over.
    for key in sorted(_objects(connection).keys() & _known_objects().keys(), reverse=True):
        kind, name = key.split(" ", 1)  # views before tables (reverse order), indexes with them
        if kind != "index":
            connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    connection.execute(sa.delete(_VERSION_TABLE))
    log.info(
        "rebuilding %r: a migration by an older driftwatch was interrupted (it %s); its tables "
        "were empty",
        file,
        found.damage,
    )


def _half_built_of(engine: Engine) -> _HalfBuilt | None:
    if _sqlite_file(engine.url) is None:
        return None  # PostgreSQL's migrations were always transactional; memory does not last
    with engine.connect() as connection:
        return _half_built(connection)


def _bad_revision(revision: str, exc: Exception) -> StoreError:
    known = ", ".join(["base", *reversed(_script_revisions()), "head"])
    reason = one_line(exc)
    return StoreError(
        f"cannot migrate to revision {revision!r}: {reason[0].lower() + reason[1:]}; "
        f"choose one of: {known}"
    )


def ensure_schema(engine: Engine, *, config_hint: str = "--config FILE") -> None:
    """Create a brand-new database at head; refuse one whose schema is behind or ahead.

    A SQLite file half-built by an older driftwatch is rebuilt when its tables are empty (it
    holds nothing to lose) and refused with what is wrong and how to fix it otherwise.
    """
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return
    if current is None and not _has_driftwatch_tables(engine):
        upgrade(engine)  # brand new (serialised with any other process doing the same)
        current = current_revision(engine)  # created just now, by us or by another process
    elif (found := _half_built_of(engine)) is not None:
        if found.rows:
            raise _half_built_error(str(_sqlite_file(engine.url)), found, config_hint)
        upgrade(engine)  # rebuilds it (checked again inside the migration's transaction)
        current = current_revision(engine)
    _refuse_unless_at_head(engine, current, config_hint)


def check_schema(
    engine: Engine, *, config_hint: str = "--config FILE", origin: str = _CONFIG_ORIGIN
) -> None:
    """Refuse, without writing anything, a database that is not at this driftwatch's head.

    The read-only counterpart of :func:`ensure_schema`: an empty database is not migrated but
    named as empty (most often a mistyped URL), one that is behind or ahead is refused as there,
    and so is a half-built one.
    """
    current = current_revision(engine)
    if current is None and not _has_driftwatch_tables(engine):
        raise StoreError(
            f"no driftwatch results in {redact_url(str(engine.url))!r}: the database is empty; "
            f"run `driftwatch run {config_hint}` first or fix {origin}"
        )
    if current != HEAD_REVISION and (found := _half_built_of(engine)) is not None:
        raise _half_built_error(str(_sqlite_file(engine.url)), found, config_hint)
    _refuse_unless_at_head(engine, current, config_hint)


def _has_driftwatch_tables(engine: Engine) -> bool:
    from driftwatch.store.models import Base

    return bool(set(sa.inspect(engine).get_table_names()) & set(Base.metadata.tables))


def _refuse_unless_at_head(engine: Engine, current: str | None, config_hint: str) -> None:
    if current == HEAD_REVISION:
        return
    shown = redact_url(str(engine.url))
    if current is None:
        raise SchemaOutOfDateError(
            f"database {shown!r} has driftwatch tables but no migration record; "
            f"run `driftwatch db upgrade {config_hint}` on a fresh database instead"
        )
    if is_known_revision(current):
        raise SchemaOutOfDateError(
            f"database {shown!r} is at schema revision {current}, behind this driftwatch's "
            f"{HEAD_REVISION}; run `driftwatch db upgrade {config_hint}`"
        )
    raise SchemaOutOfDateError(
        f"database {shown!r} is at schema revision {current}, which this driftwatch does not "
        "know (it was written by a newer version); upgrade driftwatch"
    )
