"""``driftwatch alerts``: alert states, the notification outbox, silences and test sends."""

from __future__ import annotations

from datetime import datetime

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from driftwatch.alerts import (
    add_silence,
    alerts_frame,
    dispatch_pending,
    end_silences,
    notifications_frame,
    retry_dead,
    send_test,
    silences_frame,
)
from driftwatch.api import open_store
from driftwatch.cli.main import config_option, database_option, load
from driftwatch.timeutil import format_duration, parse_duration

__all__ = ["alerts"]

STATES = ("firing", "pending", "no_data", "ok", "all")
ALERT_COLUMNS = [
    "monitor", "feature", "metric", "state", "severity", "value", "threshold", "since",
    "last_notified_at",
]  # fmt: skip
OUTBOX_COLUMNS = [
    "id", "status", "event", "sink", "monitor", "feature", "severity", "attempts",
    "next_attempt_at", "last_error",
]  # fmt: skip


def _cell(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(title: str, frame: pd.DataFrame, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in frame[columns].itertuples(index=False):
        table.add_row(*(_cell(v) for v in record))
    return table


def _list(config_path: str, database: str | None, state: str, monitor: str | None) -> None:
    config = load(config_path)
    console = Console()
    with open_store(config, database) as store:
        states = alerts_frame(store, state=None if state == "all" else state, monitor=monitor)
        outbox = notifications_frame(store, monitor=monitor, limit=50)
        silences = silences_frame(store, config)
    console.print(
        _table(
            f"alerts ({state})",
            states,
            ALERT_COLUMNS,
        )
    )
    counts = outbox["status"].value_counts().to_dict() if not outbox.empty else {}
    console.print(
        _table(
            "notifications (newest 50): "
            + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "sent", "dead")),
            outbox,
            OUTBOX_COLUMNS,
        )
    )
    if not silences.empty:
        console.print(
            _table("active silences", silences, ["id", "monitor", "feature", "ends_at", "reason"])
        )


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
    config = load(config_path)
    with open_store(config, database) as store:
        report = dispatch_pending(store, config)
    click.echo(f"notifications: {report}")


@alerts.command()
@config_option
@database_option
@click.option("--id", "ids", type=int, multiple=True, help="Only this notification (repeatable).")
@click.option("--sink", default=None, help="Only this sink's dead notifications.")
def retry(config_path: str, database: str | None, ids: tuple[int, ...], sink: str | None) -> None:
    """Queue dead notifications again and send them now."""
    config = load(config_path)
    with open_store(config, database) as store:
        queued = retry_dead(store, ids=ids, sink=sink)
        report = dispatch_pending(store, config)
    click.echo(f"{queued} dead notification(s) queued again; notifications: {report}")


@alerts.command("test")
@config_option
@click.option("--sink", "sink_name", required=True, help="Name of the sink under alerts.sinks.")
def test_command(config_path: str, sink_name: str) -> None:
    """Send a test notification to one sink, straight away (exit 2 when it fails)."""
    config = load(config_path)
    message = send_test(config, sink_name)
    click.echo(f"test notification {message.idempotency_key} delivered to sink {sink_name!r}")


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> object:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@alerts.command()
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="Monitor to silence.")
@click.option("--feature", "-f", default=None, help="Only this feature (default: all).")
@click.option("--for", "duration", required=True, callback=_duration, help="e.g. 30m, 6h, 2d.")
@click.option("--reason", default="", help="Why (shown by `driftwatch alerts`).")
def silence(
    config_path: str,
    database: str | None,
    monitor: str,
    feature: str | None,
    duration: object,
    reason: str,
) -> None:
    """Mute a monitor's (or one feature's) notifications for a while; states still update."""
    from datetime import timedelta

    assert isinstance(duration, timedelta)
    config = load(config_path)
    config.monitor(monitor)  # an unknown monitor is an error, not a silent no-op
    with open_store(config, database) as store:
        created = add_silence(store, monitor, duration, feature=feature, reason=reason)
    what = f"monitor {monitor!r}" + (f", feature {feature!r}" if feature else "")
    click.echo(
        f"silence {created.id}: {what} muted for {format_duration(duration)}, until "
        f"{created.ends_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@alerts.command()
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="Monitor whose silences end now.")
@click.option("--feature", "-f", default=None, help="Only the silences of this feature.")
def unsilence(config_path: str, database: str | None, monitor: str, feature: str | None) -> None:
    """End active silences now (silences from the config file end only by editing it)."""
    config = load(config_path)
    with open_store(config, database) as store:
        ended = end_silences(store, monitor, feature=feature)
    click.echo(f"{ended} silence(s) ended")
