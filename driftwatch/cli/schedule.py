"""``driftwatch schedule``, ``driftwatch backfill`` and ``driftwatch status``."""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from driftwatch import api
from driftwatch.cli import render
from driftwatch.cli.logs import configure_logging
from driftwatch.cli.main import (
    EXIT_USER_ERROR,
    config_option,
    database_option,
    duration_option,
    parse_when,
)

# driftwatch.scheduler (and through it APScheduler) is imported inside the commands that use it, so
# that `driftwatch run` and `--help` do not pay for the scheduler.
if TYPE_CHECKING:
    from driftwatch.scheduler import MonitorStatus

__all__ = ["backfill", "schedule", "status"]

log = logging.getLogger("driftwatch.scheduler")


log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per run on stderr: readable text, or JSON for log shippers.",
)
claim_ttl_option = click.option(
    "--claim-ttl",
    default="60s",
    callback=duration_option,
    metavar="DURATION",
    show_default=True,
    help="Lease of a window claim; a crashed run's window is taken over after it.",
)


def _setup_logging(log_format: str) -> None:
    """INFO lines by default for the long-running commands; an explicit --log-level wins."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    level = logging.INFO
    if root.get_parameter_source("log_level") != click.core.ParameterSource.DEFAULT:
        level = getattr(logging, str(root.params["log_level"]).upper())
    configure_logging(log_format, level)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT: stop after the run in flight; a second one exits at once."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting without waiting", signal.Signals(signum).name)
            os._exit(1)
        log.info(
            "received %s: finishing the run in flight, then exiting",
            signal.Signals(signum).name,
        )
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command()
@config_option
@database_option
@log_format_option
@claim_ttl_option
@click.option(
    "--dispatch-interval",
    default="5s",
    callback=duration_option,
    metavar="DURATION",
    show_default=True,
    help="How often the outbox of notifications is delivered and retried.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help='Serve Prometheus metrics at http://HOST:PORT/metrics (see README "Operations").',
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port."
)
def schedule(
    config_path: str,
    database: str | None,
    log_format: str,
    claim_ttl: timedelta,
    dispatch_interval: timedelta,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Run every scheduled monitor on its cron/interval until stopped (SIGTERM or Ctrl-C).

    On start the stored jobs are synced with the config and windows missed since each monitor's
    last run are caught up (at most max_catchup). Stop finishes the run in flight and exits 0.
    """
    _setup_logging(log_format)
    stop = threading.Event()
    _stop_on_signals(stop)
    api.schedule(
        config_path,
        database=database,
        claim_ttl=claim_ttl,
        dispatch_interval=dispatch_interval,
        stop=stop,
        metrics_address=None if metrics_port is None else (metrics_host, metrics_port),
    )


@click.command()
@config_option
@database_option
@click.option("--monitor", "-m", "monitor", required=True, help="The monitor to backfill.")
@click.option(
    "--since", required=True, metavar="DATE", help="First window start (ISO date or datetime, UTC)."
)
@click.option(
    "--until", default=None, metavar="DATE", help="Last window end (ISO, UTC); default: now."
)
@click.option("--rerun", is_flag=True, help="Recompute windows that are already computed.")
@click.option(
    "--max-windows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Refuse a range holding more windows than this.",
)
@log_format_option
@claim_ttl_option
def backfill(
    config_path: str,
    database: str | None,
    monitor: str,
    since: str,
    until: str | None,
    rerun: bool,
    max_windows: int,
    log_format: str,
    claim_ttl: timedelta,
) -> None:
    """Compute every window of a monitor's schedule between --since and --until, oldest first.

    Windows already computed are skipped (unless --rerun), so running it twice changes nothing.
    Exit code 2 when a window failed.
    """
    _setup_logging(log_format)
    start = parse_when(since, "--since")
    end = parse_when(until, "--until") if until else None
    stop = threading.Event()
    _stop_on_signals(stop)
    done = api.backfill(
        config_path,
        monitor,
        start,
        end,
        database=database,
        rerun=rerun,
        max_windows=max_windows,
        claim_ttl=claim_ttl,
        stop=stop,
    )
    windows = done.windows
    click.echo(
        f"backfill {monitor}: {len(windows.results)} windows from {done.since.isoformat()} to "
        f"{done.until.isoformat()}: {windows.computed} computed "
        f"({windows.count('succeeded')} succeeded, {windows.count('no_data')} no_data, "
        f"{done.failed} failed), {windows.count('done')} already computed"
        + (", stopped early" if done.stopped else "")
    )
    if done.failed:
        raise SystemExit(EXIT_USER_ERROR)


def _alerts(status: MonitorStatus) -> str:
    firing = {sev: n for (state, sev), n in status.alerts.items() if state == "firing"}
    pending = sum(n for (state, _), n in status.alerts.items() if state == "pending")
    if not firing and not pending:
        return "ok" if status.alerts else render.MISSING
    parts = []
    if firing:
        detail = ", ".join(f"{n} {sev or '?'}" for sev, n in sorted(firing.items(), key=str))
        parts.append(f"firing ({detail})")
    if pending:
        parts.append(f"{pending} pending")
    return "; ".join(parts)


@click.command()
@config_option
@database_option
def status(config_path: str, database: str | None) -> None:
    """Per monitor: next fire time, last run and its status, windows owed, gaps, alert state.

    "owed" are the windows the scheduler computes at its next fire (those beyond max_catchup are
    given up); "gaps" are windows since the first computed one that have no result (failed, or
    given up), which `driftwatch backfill` can fill.
    """
    state = api.status(config_path, database=database)
    table = Table(title="driftwatch status (times in UTC)", title_justify="left")
    columns = ("monitor", "schedule", "next fire", "last window end", "last status", "owed", "gaps")
    for column in columns:
        table.add_column(column, no_wrap=column != "schedule")
    table.add_column("alerts")
    for item in state.monitors:
        fire = render.when(item.next_fire, seconds=True)
        next_fire = {
            "scheduled": fire,
            "config changed": f"{fire} (config changed: restart schedule)",
            "not scheduled": "not scheduled (start `driftwatch schedule`)",
            "no schedule": render.MISSING,
        }[item.job_state]
        last = item.last
        last_status = "never run"
        if last is not None:
            last_status = f"{last.status} ({last.trigger})"
            if last.error:
                last_status += f": {last.error[:80]}"
        owed = str(item.owed)
        if item.beyond_catchup:
            owed += f" ({item.beyond_catchup} beyond max_catchup)"
        table.add_row(
            item.monitor,
            item.schedule or "none",
            next_fire,
            render.when(last.window_end if last else None, seconds=True),
            last_status,
            owed,
            str(item.gaps),
            _alerts(item),
        )
    console = Console()
    console.print(table)
    outbox = state.outbox
    console.print(
        "outbox: " + ", ".join(f"{outbox.get(k, 0)} {k}" for k in ("pending", "sent", "dead"))
    )
