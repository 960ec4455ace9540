"""``driftwatch schedule``, ``driftwatch backfill`` and ``driftwatch status``."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

import click

from driftwatch.cli import documents, output, render
from driftwatch.cli.logs import configure_logging
from driftwatch.cli.main import (
    EXIT_USER_ERROR,
    config_option,
    database_option,
    duration_option,
    example,
    parse_since,
    parse_when,
    settings,
)
from driftwatch.cli.output import Column, Row
from driftwatch.cli.progress import progress_reporter
from driftwatch.commands import schedule as schedule_command
from driftwatch.commands import status as status_command

# driftwatch.scheduler (and through it APScheduler) is imported inside the commands that use it, so
# that `driftwatch run` and `--help` do not pay for the scheduler.
if TYPE_CHECKING:
    from driftwatch.scheduler.status import MonitorStatus

__all__ = ["backfill", "schedule", "status"]

log = logging.getLogger("driftwatch.scheduler")


log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="One line per run on stderr: readable text, or JSON for log shippers "
    "(default: the root option, `driftwatch --log-format`).",
)
claim_ttl_option = click.option(
    "--claim-ttl",
    default="60s",
    callback=duration_option,
    metavar="DURATION",
    show_default=True,
    help="Lease of a window claim; a crashed run's window is taken over after it.",
)


def _setup_logging(log_format: str | None) -> None:
    """INFO lines by default for the long-running commands; an explicit --log-level or -q wins."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    level = logging.INFO
    if root.get_parameter_source("log_level") not in (None, click.core.ParameterSource.DEFAULT):
        level = getattr(logging, str(root.params["log_level"]).upper())
    chosen = settings()
    if chosen.quiet:
        level = logging.ERROR
    configure_logging(log_format or chosen.log_format, level)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT: stop after the runs in flight (within --stop-grace); a second one exits
    at once."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting without waiting", signal.Signals(signum).name)
            os._exit(1)
        log.info(
            "received %s: finishing the runs in flight, then exiting",
            signal.Signals(signum).name,
        )
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command(
    epilog=example(
        "driftwatch schedule --config config/example.yaml",
        "driftwatch --log-format json schedule --config config/example.yaml",
    )
)
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
@click.option(
    "--stop-grace",
    default="30s",
    callback=duration_option,
    metavar="DURATION",
    show_default=True,
    help="On SIGTERM, how long runs in flight may take to finish; then they are abandoned "
    "(their windows are retried once the claim's lease expires) and the process exits.",
)
def schedule(
    config_path: str,
    database: str | None,
    log_format: str | None,
    claim_ttl: timedelta,
    dispatch_interval: timedelta,
    metrics_port: int | None,
    metrics_host: str,
    stop_grace: timedelta,
) -> None:
    """Run every scheduled monitor on its cron/interval until stopped (SIGTERM or Ctrl-C).

    On start the stored jobs are synced with the config and windows missed since each monitor's
    last run are caught up (at most max_catchup), on the pool beside the fire times. Stop waits
    up to --stop-grace for the runs in flight and exits 0.
    """
    _setup_logging(log_format)
    stop = threading.Event()
    _stop_on_signals(stop)
    clean = schedule_command.schedule(
        config_path,
        database=database,
        claim_ttl=claim_ttl,
        dispatch_interval=dispatch_interval,
        stop=stop,
        metrics_address=None if metrics_port is None else (metrics_host, metrics_port),
        grace=stop_grace,
    )
    if not clean:  # a stuck run's thread cannot be killed, only outlived: leave without it
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@click.command(
    epilog=example(
        "driftwatch backfill --config config/example.yaml -m car-loan --since 2018-11-01 "
        "--until 2019-09-01",
        "driftwatch backfill --config config/example.yaml -m car-loan --since 30d --format json",
    )
)
@config_option
@database_option
@click.option("--monitor", "-m", "monitor", required=True, help="The monitor to backfill.")
@click.option(
    "--since",
    required=True,
    metavar="WHEN",
    help="First window start: an ISO date or datetime (UTC), or a duration back from now (30d).",
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
@output.format_option("table", "json")
def backfill(
    config_path: str,
    database: str | None,
    monitor: str,
    since: str,
    until: str | None,
    rerun: bool,
    max_windows: int,
    log_format: str | None,
    claim_ttl: timedelta,
    output_format: str,
) -> None:
    """Compute every window of a monitor's schedule between --since and --until, oldest first.

    Windows already computed are skipped (unless --rerun), so running it twice changes nothing.
    A progress bar (k/N windows, ETA) on a terminal; progress log lines otherwise; none with -q.
    --format json prints the summary and one object per window. Exit code 2 when a window failed.
    """
    _setup_logging(log_format)
    start = parse_since(since)
    end = parse_when(until, "--until") if until else None
    stop = threading.Event()
    _stop_on_signals(stop)
    with progress_reporter() as progress:
        done = schedule_command.backfill(
            config_path,
            monitor,
            start,
            end,
            database=database,
            rerun=rerun,
            max_windows=max_windows,
            claim_ttl=claim_ttl,
            stop=stop,
            progress=progress,
        )
    windows = done.windows
    if output_format == "json":
        output.emit_json(_backfill_document(done))
        if done.failed:
            raise SystemExit(EXIT_USER_ERROR)
        return
    click.echo(
        f"backfill {monitor}: {len(windows.results)} windows from {done.since.isoformat()} to "
        f"{done.until.isoformat()}: {windows.computed} computed "
        f"({windows.count('succeeded')} succeeded, {windows.count('no_data')} no_data, "
        f"{done.failed} failed), {windows.count('done')} already computed"
        + (", stopped early" if done.stopped else "")
    )
    if done.failed:
        raise SystemExit(EXIT_USER_ERROR)


def _backfill_document(done: schedule_command.BackfillReport) -> dict[str, object]:
    windows = done.windows
    return {
        "monitor": done.monitor,
        "since": done.since,
        "until": done.until,
        "stopped": done.stopped,
        "windows": len(windows.results),
        "computed": windows.computed,
        "succeeded": windows.count("succeeded"),
        "no_data": windows.count("no_data"),
        "failed": done.failed,
        "already_computed": windows.count("done"),
        "results": [
            {
                "window": {"start": r.window.start, "end": r.window.end},
                "status": r.status,
                "error": None if r.outcome is None else r.outcome.error,
            }
            for r in windows.results
        ],
    }


def _alerts(status: MonitorStatus) -> str:
    """``3 crit, 1 warn`` firing, ``+2 pending``; ``ok`` when all resolved, ``—`` when none."""
    firing = {sev: n for (state, sev), n in status.alerts.items() if state == "firing"}
    pending = sum(n for (state, _), n in status.alerts.items() if state == "pending")
    if not firing and not pending:
        return "ok" if status.alerts else render.MISSING
    short = {"critical": "crit"}
    parts = [
        f"{n} {short.get(sev or '?', sev or '?')}"
        for sev, n in sorted(firing.items(), key=lambda item: str(item[0]))
    ]
    if pending:
        parts.append(f"+{pending} pending")
    return ", ".join(parts)


def _next_fire(item: MonitorStatus) -> str:
    return render.when(item.next_fire) if item.job_state == "scheduled" else render.MISSING


@click.command(epilog=example("driftwatch status --config config/example.yaml --format json"))
@config_option
@database_option
@output.format_option("table", "json")
def status(config_path: str, database: str | None, output_format: str) -> None:
    """Per monitor: next fire, last run and its status, windows owed, gaps, alert state.

    "owed" are the windows the scheduler computes at its next fire (those beyond max_catchup are
    given up); "gaps" are windows since the first computed one that have no result (failed, or
    given up), which `driftwatch backfill` can fill. A last run's error goes on its own line.
    """
    state = status_command.status(config_path, database=database)
    if output_format == "json":
        output.emit_json(documents.status_document(state))
        return
    columns = [
        Column("monitor"),
        Column("schedule"),
        Column("next fire UTC", drop=3),
        Column("last window end", drop=1),
        Column("last status"),
        Column("trigger", drop=0),
        Column("owed", "right"),
        Column("gaps", "right", drop=2),
        Column("firing alerts"),
    ]
    rows = []
    for item in state.monitors:
        last = item.last
        last_status = "never run" if last is None else str(last.status)
        owed = str(item.owed)
        if item.beyond_catchup:
            owed += f" (+{item.beyond_catchup} beyond max_catchup)"
        cells: list[output.Cell] = [
            item.monitor,
            item.schedule or "none",
            _next_fire(item),
            render.when(last.window_end if last else None),
            last_status,
            render.MISSING if last is None else str(last.trigger),
            owed,
            str(item.gaps),
            _alerts(item),
        ]
        error = last.error if last is not None and last.error else None
        rows.append(Row(cells, f"error: {error}" if error else None, "red"))
    out = output.console()
    output.print_table(out, columns, rows, title="driftwatch status", note_header="last error")
    outbox = state.outbox
    out.print(
        "outbox: " + ", ".join(f"{outbox.get(k, 0)} {k}" for k in ("pending", "sent", "dead"))
    )
