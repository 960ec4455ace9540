"""``driftwatch alerts``: alert states, the notification outbox, silences and test sends."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import click
import pandas as pd
from rich.console import Console

from driftwatch.cli import output, render
from driftwatch.cli.main import (
    EXIT_UNDELIVERED,
    config_option,
    database_option,
    duration_option,
    example,
    fail,
)
from driftwatch.cli.output import Column, Row
from driftwatch.commands import alerts as alerts_command

__all__ = ["alerts"]

STATES = (*alerts_command.ALERT_STATES, "all")
ALERT_COLUMNS = [
    "monitor", "feature", "metric", "state", "severity", "value", "threshold", "since",
    "last_notified_at",
]  # fmt: skip
OUTBOX_COLUMNS = [
    "id", "status", "event", "sink", "monitor", "feature", "severity", "attempts",
    "next_attempt_at", "last_error",
]  # fmt: skip
SILENCE_COLUMNS = ["id", "monitor", "feature", "ends_at", "reason"]


def _table(out: Console, title: str, frame: pd.DataFrame, columns: list[str]) -> None:
    out.print()
    if frame.empty:
        out.print(f"{title}: none")
        return
    # The first four columns say what it is about; the rest go first when the width is short.
    shown = [Column(c, drop=None if i < 4 else len(columns) - i) for i, c in enumerate(columns)]
    rows = [
        Row([render.cell(v) for v in record]) for record in frame[columns].itertuples(index=False)
    ]
    output.print_table(out, shown, rows, title=title)


def _list(
    config_path: str, database: str | None, state: str, monitor: str | None, output_format: str
) -> None:
    chosen = None if state == "all" else cast(alerts_command.AlertStateName, state)
    listing = alerts_command.alerts_list(
        config_path, database=database, state=chosen, monitor=monitor
    )
    document = {
        "alerts": output.frame_records(listing.alerts),
        "notifications": output.frame_records(listing.notifications),
        "outbox": dict(listing.outbox_counts),
        "silences": output.frame_records(listing.silences),
    }
    if output.emit_rows(listing.alerts, output_format, document=document):
        return
    out = output.console()
    _table(out, f"alerts ({state})", listing.alerts, ALERT_COLUMNS)
    counts = listing.outbox_counts
    _table(
        out,
        "notifications (newest 50): " + ", ".join(f"{n} {s}" for s, n in counts.items()),
        listing.notifications,
        OUTBOX_COLUMNS,
    )
    if not listing.silences.empty:
        _table(out, "active silences", listing.silences, SILENCE_COLUMNS)


_LIST_FORMATS = output.format_option("table", "json", "ndjson", "csv")
_LIST_HELP = " json: alerts, notifications, outbox, silences; ndjson and csv: the alerts."


@click.group(
    invoke_without_command=True,
    epilog=example(
        "driftwatch alerts --config config/example.yaml",
        "driftwatch alerts --config config/example.yaml --state firing --format json",
        "driftwatch alerts --config config/example.yaml dispatch",
    ),
)
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
@_LIST_FORMATS
@click.pass_context
def alerts(
    ctx: click.Context,
    config_path: str,
    database: str | None,
    state: str,
    monitor: str | None,
    output_format: str,
) -> None:
    """Alert states and the notification outbox (pending, sent, dead); subcommands act on them.

    --config and --database given here apply to the subcommand too.
    """
    if ctx.invoked_subcommand is None:
        _list(config_path, database, state, monitor, output_format)


@alerts.command("list", epilog=example("driftwatch alerts list --config config/example.yaml"))
@config_option
@database_option
@click.option("--state", type=click.Choice(STATES), default="all", show_default=True)
@click.option("--monitor", "-m", default=None, help="Show only this monitor's alerts.")
@_LIST_FORMATS
def list_command(
    config_path: str, database: str | None, state: str, monitor: str | None, output_format: str
) -> None:
    """List alert states, the newest notifications and active silences."""
    _list(config_path, database, state, monitor, output_format)


def _undelivered(retried: int, dead: int) -> None:
    if retried or dead:
        fail(f"{retried + dead} notification(s) could not be delivered; see `driftwatch alerts`")
        raise SystemExit(EXIT_UNDELIVERED)


@alerts.command(epilog=example("driftwatch alerts --config config/example.yaml dispatch"))
@config_option
@database_option
def dispatch(config_path: str, database: str | None) -> None:
    """Send the due pending notifications now (what `driftwatch run` does after a run).

    Exit code 4 when some could not be delivered (left to retry, or dead).
    """
    sent = alerts_command.alerts_dispatch(config_path, database=database)
    click.echo(f"notifications: {sent}")
    _undelivered(sent.retried, sent.dead)


@alerts.command(epilog=example("driftwatch alerts --config config/example.yaml retry --sink audit"))
@config_option
@database_option
@click.option("--id", "ids", type=int, multiple=True, help="Only this notification (repeatable).")
@click.option("--sink", default=None, help="Only this sink's dead notifications.")
def retry(config_path: str, database: str | None, ids: tuple[int, ...], sink: str | None) -> None:
    """Queue dead notifications again and send them now (exit code 4 when some still fail)."""
    done = alerts_command.alerts_retry(config_path, database=database, ids=ids, sink=sink)
    click.echo(
        f"{done.queued} dead notification(s) queued again; notifications: {done.notifications}"
    )
    _undelivered(done.notifications.retried, done.notifications.dead)


@alerts.command(
    "test", epilog=example("driftwatch alerts --config config/example.yaml test --sink audit")
)
@config_option
@click.option("--sink", "sink_name", required=True, help="Name of the sink under alerts.sinks.")
def test_command(config_path: str, sink_name: str) -> None:
    """Send a test notification to one sink, straight away (exit 2 when it fails)."""
    message = alerts_command.alerts_test(config_path, sink_name)
    click.echo(f"test notification {message.idempotency_key} delivered to sink {sink_name!r}")


@alerts.command(
    epilog=example(
        "driftwatch alerts --config config/example.yaml silence -m car-loan --for 6h "
        "--reason 'known migration'"
    )
)
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
    created = alerts_command.alerts_silence(
        config_path, monitor, duration, feature=feature, reason=reason, database=database
    )
    what = f"monitor {monitor!r}" + (f", feature {feature!r}" if feature else "")
    click.echo(
        f"silence {created.id}: {what} muted for {render.duration(duration)}, until "
        f"{render.when(created.ends_at, seconds=True)} UTC"
    )


@alerts.command(
    epilog=example("driftwatch alerts --config config/example.yaml unsilence -m car-loan")
)
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="Monitor whose silences end now.")
@click.option("--feature", "-f", default=None, help="Only the silences of this feature.")
def unsilence(config_path: str, database: str | None, monitor: str, feature: str | None) -> None:
    """End active silences now (silences from the config file end only by editing it)."""
    ended = alerts_command.alerts_unsilence(
        config_path, monitor, feature=feature, database=database
    )
    click.echo(f"{ended} silence(s) ended")
