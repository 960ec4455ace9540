"""Connecting to the results database and keeping its schema at the code's revision.

The schema is created and changed only by the Alembic revisions in ``migrations/``. A brand-new
(empty) database is migrated to head by Alembic when a command writes (:func:`ensure_schema`);
one that is behind is refused with a message naming ``driftwatch db upgrade``. Commands that only
read (``status``, ``report``, ``history``, ``alerts list``) open with ``connect(url, create=False)``
and :func:`check_schema`: a mistyped URL is one error line, never a new empty database.

Alembic is imported only when it is needed: to create or migrate a database, and to name the
revisions of one that is not at head. Opening a database that is already at head (every scheduled
run) compares its ``alembic_version`` row, read with SQLAlchemy, with :data:`HEAD_REVISION`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    "migrations_dir",
    "one_line",
    "parse_url",
    "sqlite_file",
    "upgrade",
]


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
def _migration_connection(engine: Engine) -> Iterator[AlembicConfig]:
    """One transaction for the migration; on PostgreSQL, one migrating process at a time.

    Two processes starting on a brand-new database (two schedulers, two CI jobs) both find it
    empty; the lock makes the second wait and then find the schema already at head.
    """
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        config.attributes["connection"] = connection
        yield config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    from alembic import command
    from alembic.util import CommandError

    try:
        with _migration_connection(engine) as config:
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
        with _migration_connection(engine) as config:
            command.downgrade(config, revision)
    except CommandError as exc:  # an unknown or unreachable revision: the user's typo
        raise _bad_revision(revision, exc) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"downgrading {redact_url(str(engine.url))!r} to {revision} failed: {one_line(exc)}"
        ) from None


def _bad_revision(revision: str, exc: Exception) -> StoreError:
    known = ", ".join(["base", *reversed(_script_revisions()), "head"])
    reason = one_line(exc)
    return StoreError(
        f"cannot migrate to revision {revision!r}: {reason[0].lower() + reason[1:]}; "
        f"choose one of: {known}"
    )


def ensure_schema(engine: Engine, *, config_hint: str = "--config FILE") -> None:
    """Create a brand-new database at head; refuse one whose schema is behind or ahead."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return
    if current is None and not _has_driftwatch_tables(engine):
        upgrade(engine)  # brand new (serialised with any other process doing the same)
        current = current_revision(engine)  # created just now, by us or by another process
    _refuse_unless_at_head(engine, current, config_hint)


def check_schema(
    engine: Engine, *, config_hint: str = "--config FILE", origin: str = _CONFIG_ORIGIN
) -> None:
    """Refuse, without writing anything, a database that is not at this driftwatch's head.

    The read-only counterpart of :func:`ensure_schema`: an empty database is not migrated but
    named as empty (most often a mistyped URL), one that is behind or ahead is refused as there.
    """
    current = current_revision(engine)
    if current is None and not _has_driftwatch_tables(engine):
        raise StoreError(
            f"no driftwatch results in {redact_url(str(engine.url))!r}: the database is empty; "
            f"run `driftwatch run {config_hint}` first or fix {origin}"
        )
    _refuse_unless_at_head(engine, current, config_hint)


def _has_driftwatch_tables(engine: Engine) -> bool:
    existing = set(sa.inspect(engine).get_table_names()) - {"apscheduler_jobs"}
    return bool(existing & {"runs", "feature_results"})


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
