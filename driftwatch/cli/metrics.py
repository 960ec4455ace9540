"""``driftwatch metrics``: the Prometheus text exposition of the results database, once."""

from __future__ import annotations

import click

from driftwatch.cli.main import config_option, database_option

__all__ = ["metrics"]


@click.command()
@config_option
@database_option
def metrics(config_path: str, database: str | None) -> None:
    """Print the Prometheus metrics of the results database (read-only) and exit.

    For node_exporter's textfile collector, write to a temporary file and rename it into the
    collector's directory (see README "Operations").
    """
    from driftwatch.exporter import metrics_text

    click.echo(metrics_text(config_path, database=database), nl=False)
