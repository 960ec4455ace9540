"""Connecting to the results database and keeping its schema at the code's revision.

The schema is created and changed only by the Alembic revisions in ``migrations/``. A brand-new
(empty) database is migrated to head automatically; one that is behind is refused with a message
naming ``driftwatch db upgrade``.

Alembic is imported only when it is needed: to migrate, and to name the revisions of a database
that is not at head. Opening a database that is already at head (every scheduled run) reads the
``alembic_version`` table with SQLAlchemy and the head from the revision files' declarations
(:func:`head_revision`), which keeps ~0.1 s of imports off ``driftwatch run``.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from driftwatch.errors import SchemaOutOfDateError, StoreError, redact_url

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = [
    "connect",
    "current_revision",
    "downgrade",
    "ensure_schema",
    "head_revision",
    "migrations_dir",
    "one_line",
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


@cache
def head_revision() -> str:
    """The newest schema revision this version of driftwatch knows.

    Read from the ``revision`` / ``down_revision`` declarations of the files in
    ``migrations/versions/`` (parsed, not imported) when they form one plain chain; anything else
    (branches, ``depends_on``, computed values) is left to Alembic's ``ScriptDirectory``. A test
    checks both give the same head.
    """
    head = _declared_head(migrations_dir() / "versions")
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


_DECLARATIONS = ("revision", "down_revision", "branch_labels", "depends_on")


def _declared_head(versions: Path) -> str | None:
    """The single head of a linear chain of revision files, or None when Alembic must decide."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        if path.name == "__init__.py" or path.name.startswith(".#"):
            continue  # the files Alembic skips too
        declared: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in _DECLARATIONS:
                try:
                    declared[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError):
                    return None
        revision, down = declared.get("revision"), declared.get("down_revision")
        if (
            not isinstance(revision, str)
            or revision in revisions
            or not (down is None or isinstance(down, str))
            or declared.get("branch_labels")
            or declared.get("depends_on")
        ):
            return None
        revisions.add(revision)
        if down is not None:
            parents.add(down)
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def connect(url: str, *, check: bool = True) -> Engine:
    """An Engine on ``url``; StoreError (password redacted) when it is malformed or unreachable."""
    shown = redact_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        raise StoreError(
            f"database URL {shown!r} is not a valid SQLAlchemy URL; use e.g. "
            "sqlite:///driftwatch.db or postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parent = Path(parsed.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreError(
                f"cannot create the SQLite database {shown!r}: folder {str(parent)!r} does not "
                "exist; create it or change the 'database' key"
            )
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = sa.create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (pip install 'driftwatch[postgres]')" if "postgres" in url else ""
        raise StoreError(f"no database driver for {shown!r}: {one_line(exc)}{hint}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        try:
            with engine.connect():
                pass
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(
                f"cannot reach the results database {shown!r}: {_redacted(exc, url)}; "
                "check the 'database' key of the config (or DRIFTWATCH_DB) and that the "
                "server is running"
            ) from None
    return engine


def _redacted(exc: BaseException, url: str) -> str:
    text = one_line(exc)
    password = sa.engine.make_url(url).password
    if password:
        text = text.replace(str(password), "***")
    return text


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

    try:
        with _migration_connection(engine) as config:
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"migrating {redact_url(str(engine.url))!r} to {revision} failed: {one_line(exc)}"
        ) from None


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` removes every driftwatch table)."""
    from alembic import command

    try:
        with _migration_connection(engine) as config:
            command.downgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"downgrading {redact_url(str(engine.url))!r} to {revision} failed: {one_line(exc)}"
        ) from None


def ensure_schema(engine: Engine, *, config_hint: str = "--config FILE") -> None:
    """Migrate a brand-new database to head; refuse one whose schema is behind or ahead."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    shown = redact_url(str(engine.url))
    if current is None:
        existing = set(sa.inspect(engine).get_table_names()) - {"apscheduler_jobs"}
        if not existing & {"runs", "feature_results"}:
            upgrade(engine)  # brand new (serialised with any other process doing the same)
            return
        current = current_revision(engine)  # another process may have migrated it just now
        if current == head:
            return
        if current is None:
            raise SchemaOutOfDateError(
                f"database {shown!r} has driftwatch tables but no migration record; "
                f"run `driftwatch db upgrade {config_hint}` on a fresh database instead"
            )
    if current in _script_revisions():
        raise SchemaOutOfDateError(
            f"database {shown!r} is at schema revision {current}, behind this driftwatch's "
            f"{head}; run `driftwatch db upgrade {config_hint}`"
        )
    raise SchemaOutOfDateError(
        f"database {shown!r} is at schema revision {current}, which this driftwatch does not "
        "know (it was written by a newer version); upgrade driftwatch"
    )


def database_url(explicit: str | None, configured: str | None) -> str:
    """The URL to use: an explicit one, then DRIFTWATCH_DB, then the config's ``database``."""
    return explicit or configured or os.environ.get("DRIFTWATCH_DB") or "sqlite:///driftwatch.db"
