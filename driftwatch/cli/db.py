"""``driftwatch db``: schema migrations of the results database."""

from __future__ import annotations

import click

from driftwatch.cli.main import config_option, database_option, load
from driftwatch.errors import redact_url
from driftwatch.store import database as schema


def _url(config_path: str, database: str | None) -> str:
    return database or load(config_path).database


@click.group()
def db() -> None:
    """Create, inspect and migrate the results database schema."""


@db.command()
@config_option
@database_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(config_path: str, database: str | None, revision: str) -> None:
    """Apply schema migrations (creates the tables on a new database)."""
    engine = schema.connect(_url(config_path, database))
    try:
        before = schema.current_revision(engine)
        schema.upgrade(engine, revision)
        after = schema.current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"{redact_url(str(engine.url))}: schema {before or 'empty'} -> {after}")


@db.command()
@config_option
@database_option
@click.argument("revision")
def downgrade(config_path: str, database: str | None, revision: str) -> None:
    """Revert schema migrations down to REVISION ('base' drops every driftwatch table)."""
    engine = schema.connect(_url(config_path, database))
    try:
        schema.downgrade(engine, revision)
        after = schema.current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"{redact_url(str(engine.url))}: schema now at {after or 'base'}")


@db.command()
@config_option
@database_option
def current(config_path: str, database: str | None) -> None:
    """Print the database's schema revision and the one this driftwatch needs."""
    engine = schema.connect(_url(config_path, database))
    try:
        revision = schema.current_revision(engine)
    finally:
        engine.dispose()
    head = schema.head_revision()
    state = "up to date" if revision == head else "behind: run `driftwatch db upgrade`"
    if revision is None:
        state = "empty: run `driftwatch db upgrade`"
    click.echo(
        f"{redact_url(str(engine.url))}: revision {revision or 'none'} (head {head}, {state})"
    )
