"""Record the head snapshot: the statements Alembic executes to migrate an empty database.

    python -m driftwatch.store.snapshot [--postgresql URL]

writes ``driftwatch/store/head_schema/sqlite.json`` (always) and ``postgresql.json`` (with a
PostgreSQL server URL; a scratch database is created on it and dropped). Run it after adding a
migration: until then a new database is migrated by Alembic, as the snapshot is not of the head,
and a test says so. :func:`driftwatch.store.database.create_at_head` replays the statements.

Reads (``SELECT``, and SQLite's ``PRAGMA`` table probes) are left out: they only let Alembic find
where the database stood, which for a new one is always the same. Everything else is kept in
order, the ``alembic_version`` bookkeeping included, so a replayed database is the migrated one.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from driftwatch.errors import StoreError
from driftwatch.store.database import SNAPSHOTS, connect, head_revision, upgrade

__all__ = ["record", "scratch_postgresql", "write"]

_READS = ("SELECT", "PRAGMA")


def record(url: str) -> dict[str, Any]:
    """Migrate the empty database at ``url`` to head with Alembic; what it executed, in order."""
    engine = connect(url)
    statements: list[str] = []

    def capture(
        _connection: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any
    ) -> None:
        text = statement.strip()
        if text.split(None, 1)[0].upper() in _READS:
            return
        if parameters:  # replayed with exec_driver_sql and no parameters: literal SQL only
            raise StoreError(f"a migration executed a statement with parameters: {text[:80]}")
        statements.append(text)

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        upgrade(engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
        engine.dispose()
    return {"revision": head_revision(), "dialect": engine.dialect.name, "statements": statements}


@contextmanager
def scratch_postgresql(server_url: str, prefix: str = "driftwatch_snapshot") -> Iterator[str]:
    """A new, empty, uniquely named database on the PostgreSQL server at ``server_url``, dropped
    afterwards (the tests' throwaway databases are made here too)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield sa.engine.make_url(server_url).set(database=name).render_as_string(False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def write(snapshot: dict[str, Any], folder: Path = SNAPSHOTS) -> Path:
    """Save ``snapshot`` as ``<dialect>.json`` in ``folder``: one statement per list item."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{snapshot['dialect']}.json"
    path.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", metavar="URL", help="a PostgreSQL server to record on")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        print(write(record(f"sqlite:///{Path(folder) / 'snapshot.db'}")))
    if args.postgresql:
        with scratch_postgresql(args.postgresql) as url:
            print(write(record(url)))


if __name__ == "__main__":
    main()
