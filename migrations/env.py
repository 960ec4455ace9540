"""Alembic environment for the driftwatch results database.

Used both by ``driftwatch db ...`` (which passes an open connection in ``config.attributes``) and by
the plain ``alembic`` command from the repository root (URL from ``DRIFTWATCH_DB`` or alembic.ini).

All pending migrations run in one transaction, on SQLite too: the database goes from its revision
to the target or stays as it was. The connection driftwatch passes is already in that transaction
(Alembic then opens none of its own); the plain ``alembic`` command connects through
:func:`~driftwatch.store.database.migration_engine`, which makes SQLite's DDL transactional, and
``transactional_ddl`` tells Alembic so.
"""

from __future__ import annotations

import os
from typing import Any

from alembic import context

from driftwatch.store.database import migration_engine
from driftwatch.store.models import Base

config = context.config
target_metadata = Base.metadata

# Tables driftwatch does not own: the job table of schedulers before 0007 (which drops it),
# should an older driftwatch on the same database create it again.
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
        # One transaction for every pending migration (pysqlite's DDL is transactional on a
        # migration_engine connection, which Alembic cannot tell by itself).
        transactional_ddl=True,
        transaction_per_migration=False,
        # driftwatch's callback, which reads the schema after each revision (database.py)
        on_version_apply=config.attributes.get("on_version_apply"),
    )


def run_migrations_offline() -> None:
    url = os.environ.get("DRIFTWATCH_DB") or config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("DRIFTWATCH_DB") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no database: set DRIFTWATCH_DB or sqlalchemy.url in alembic.ini")
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
