"""``driftwatch db``: the results database's schema revision, and migrating it up or down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from driftwatch.errors import redact_url
from driftwatch.store import database as schema
from driftwatch.store.connect import ConfigLike, database_of

__all__ = ["SchemaChange", "SchemaRevision", "db_current", "db_downgrade", "db_upgrade"]

SchemaState = Literal["up to date", "behind", "empty", "newer"]


@dataclass(frozen=True)
class SchemaRevision:
    """Where a database's schema is, against the revision this driftwatch needs."""

    database: str
    revision: str | None
    """None: never migrated (or, for SQLite, no file yet)."""
    head: str
    known: bool = True
    """False when the revision comes from a newer driftwatch."""

    @property
    def state(self) -> SchemaState:
        if self.revision is None:
            return "empty"
        if self.revision == self.head:
            return "up to date"
        return "behind" if self.known else "newer"


@dataclass(frozen=True)
class SchemaChange:
    """A migration: the revision before and after (None: empty / base)."""

    database: str
    before: str | None
    after: str | None


def _url(config: ConfigLike | None, database: str | None) -> str:
    return database_of(config, database).url


def db_upgrade(
    config: ConfigLike | None = None, *, database: str | None = None, revision: str = "head"
) -> SchemaChange:
    """Apply migrations up to ``revision`` (creates the tables, and a SQLite file, when new)."""
    engine = schema.connect(_url(config, database))
    try:
        before = schema.current_revision(engine)
        schema.upgrade(engine, revision)
        return SchemaChange(redact_url(str(engine.url)), before, schema.current_revision(engine))
    finally:
        engine.dispose()


def db_downgrade(
    config: ConfigLike | None, revision: str, *, database: str | None = None
) -> SchemaChange:
    """Revert migrations down to ``revision`` (``base`` drops every driftwatch table).

    The database must exist: downgrading never creates one.
    """
    target = database_of(config, database)
    engine = schema.connect(target.url, create=False, origin=target.origin)
    try:
        before = schema.current_revision(engine)
        schema.downgrade(engine, revision)
        return SchemaChange(redact_url(str(engine.url)), before, schema.current_revision(engine))
    finally:
        engine.dispose()


def db_current(config: ConfigLike | None = None, *, database: str | None = None) -> SchemaRevision:
    """The database's schema revision and this driftwatch's head; reads only, creates nothing.

    A SQLite file that does not exist is reported as empty (it is not created to find out).
    """
    target = database_of(config, database)
    head = schema.HEAD_REVISION
    path = schema.sqlite_file(target.url)
    if path is not None and not path.is_file():
        return SchemaRevision(target.shown, None, head)
    engine = schema.connect(target.url, create=False, origin=target.origin)
    try:
        revision = schema.current_revision(engine)
        shown = redact_url(str(engine.url))
    finally:
        engine.dispose()
    known = revision is None or revision == head or schema.is_known_revision(revision)
    return SchemaRevision(shown, revision, head, known)
