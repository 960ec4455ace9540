"""``driftwatch db``: schema migrations of the results database."""

from __future__ import annotations

import click

from driftwatch.cli.main import config_option, database_option, example
from driftwatch.commands import db as db_command

_FIX = {
    "up to date": "up to date",
    "behind": "behind: run `driftwatch db upgrade`",
    "empty": "empty: run `driftwatch db upgrade`",
    "newer": "written by a newer driftwatch: upgrade driftwatch",
}


@click.group(epilog=example("driftwatch db upgrade --config config/example.yaml"))
def db() -> None:
    """Create, inspect and migrate the results database schema."""


@db.command(epilog=example("driftwatch db upgrade --config config/example.yaml"))
@config_option
@database_option
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(config_path: str, database: str | None, revision: str) -> None:
    """Apply schema migrations (creates the tables on a new database)."""
    change = db_command.db_upgrade(config_path, database=database, revision=revision)
    click.echo(f"{change.database}: schema {change.before or 'empty'} -> {change.after}")


@db.command(epilog=example("driftwatch db downgrade --config config/example.yaml base"))
@config_option
@database_option
@click.argument("revision")
def downgrade(config_path: str, database: str | None, revision: str) -> None:
    """Revert schema migrations down to REVISION ('base' drops every driftwatch table)."""
    change = db_command.db_downgrade(config_path, revision, database=database)
    click.echo(f"{change.database}: schema now at {change.after or 'base'}")


@db.command(epilog=example("driftwatch db current --config config/example.yaml"))
@config_option
@database_option
def current(config_path: str, database: str | None) -> None:
    """Print the database's schema revision and the one this driftwatch needs (writes nothing)."""
    found = db_command.db_current(config_path, database=database)
    click.echo(
        f"{found.database}: revision {found.revision or 'none'} "
        f"(head {found.head}, {_FIX[found.state]})"
    )
