"""``driftwatch alerts``: alert states, the notification outbox, silences and test sends."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from driftwatch import api
from driftwatch.cli import render
from driftwatch.cli.main import config_option, database_option, duration_option

__all__ = ["alerts"]

STATES = (*api.ALERT_STATES, "all")
ALERT_COLUMNS = [
    "monitor", "feature", "metric", "state", "severity", "value", "threshold", "since",
    "last_notified_at",
]  # fmt: skip
OUTBOX_COLUMNS = [
    "id", "status", "event", "sink", "monitor", "feature", "severity", "attempts",
    "next_attempt_at", "last_error",
]  # fmt: skip
SILENCE_COLUMNS = ["id", "monitor", "feature", "ends_at", "reason"]


def _table(title: str, frame: pd.DataFrame, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in frame[columns].itertuples(index=False):
        table.add_row(*(render.cell(v) for v in record))
    return table


def _list(config_path: str, database: str | None, state: str, monitor: str | None) -> None:
    chosen = None if state == "all" else cast(api.AlertStateName, state)
    listing = api.alerts_list(config_path, database=database, state=chosen, monitor=monitor)
    console = Console()
    console.print(_table(f"alerts ({state})", listing.alerts, ALERT_COLUMNS))
    counts = listing.outbox_counts
    console.print(
        _table(
            "notifications (newest 50): " + ", ".join(f"{n} {s}" for s, n in counts.items()),
            listing.notifications,
            OUTBOX_COLUMNS,
        )
    )
    if not listing.silences.empty:
        console.print(_table("active silences", listing.silences, SILENCE_COLUMNS))


@click.group(invoke_without_command=True)
@config_option
@database_option
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="all",
    show_default=True,
    help="Show only alerts in this lifecycle state.",
)
@click.option("--monitor", "-m", default=None, help="Show only this monitor's alerts.")
@click.pass_context
def alerts(
    ctx: click.Context, config_path: str, database: str | None, state: str, monitor: str | None
) -> None:
    """Alert states and the notification outbox (pending, sent, dead); subcommands act on them."""
    if ctx.invoked_subcommand is None:
        _list(config_path, database, state, monitor)


@alerts.command("list")
@config_option
@database_option
@click.option("--state", type=click.Choice(STATES), default="all", show_default=True)
@click.option("--monitor", "-m", default=None, help="Show only this monitor's alerts.")
def list_command(config_path: str, database: str | None, state: str, monitor: str | None) -> None:
    """List alert states, the newest notifications and active silences."""
    _list(config_path, database, state, monitor)


@alerts.command()
@config_option
@database_option
def dispatch(config_path: str, database: str | None) -> None:
    """Send the due pending notifications now (what `driftwatch run` does after a run)."""
    click.echo(f"notifications: {api.alerts_dispatch(config_path, database=database)}")


@alerts.command()
@config_option
@database_option
@click.option("--id", "ids", type=int, multiple=True, help="Only this notification (repeatable).")
@click.option("--sink", default=None, help="Only this sink's dead notifications.")
def retry(config_path: str, database: str | None, ids: tuple[int, ...], sink: str | None) -> None:
    """Queue dead notifications again and send them now."""
    done = api.alerts_retry(config_path, database=database, ids=ids, sink=sink)
    click.echo(
        f"{done.queued} dead notification(s) queued again; notifications: {done.notifications}"
    )


@alerts.command("test")
@config_option
@click.option("--sink", "sink_name", required=True, help="Name of the sink under alerts.sinks.")
def test_command(config_path: str, sink_name: str) -> None:
    """Send a test notification to one sink, straight away (exit 2 when it fails)."""
    message = api.alerts_test(config_path, sink_name)
    click.echo(f"test notification {message.idempotency_key} delivered to sink {sink_name!r}")


@alerts.command()
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="Monitor to silence.")
@click.option("--feature", "-f", default=None, help="Only this feature (default: all).")
@click.option(
    "--for", "duration", required=True, callback=duration_option, help="e.g. 30m, 6h, 2d."
)
@click.option("--reason", default="", help="Why (shown by `driftwatch alerts`).")
def silence(
    config_path: str,
    database: str | None,
    monitor: str,
    feature: str | None,
    duration: timedelta,
    reason: str,
) -> None:
    """Mute a monitor's (or one feature's) notifications for a while; states still update."""
    created = api.alerts_silence(
        config_path, monitor, duration, feature=feature, reason=reason, database=database
    )
    what = f"monitor {monitor!r}" + (f", feature {feature!r}" if feature else "")
    click.echo(
        f"silence {created.id}: {what} muted for {render.duration(duration)}, until "
        f"{render.when(created.ends_at, seconds=True)} UTC"
    )


@alerts.command()
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="Monitor whose silences end now.")
@click.option("--feature", "-f", default=None, help="Only the silences of this feature.")
def unsilence(config_path: str, database: str | None, monitor: str, feature: str | None) -> None:
    """End active silences now (silences from the config file end only by editing it)."""
    ended = api.alerts_unsilence(config_path, monitor, feature=feature, database=database)
    click.echo(f"{ended} silence(s) ended")
