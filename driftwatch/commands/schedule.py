"""``driftwatch backfill`` and ``driftwatch schedule``: windows of a monitor's schedule, each
computed exactly once, through :class:`~driftwatch.scheduler.runner.WindowRunner`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from driftwatch.progress import Progress, ProgressEvent
from driftwatch.runs import run_monitors
from driftwatch.scheduler.runner import BatchReport, WindowResult, WindowRunner
from driftwatch.scheduler.serve import serve
from driftwatch.store.connect import ConfigLike, as_config, open_store
from driftwatch.timeutil import Clock, as_utc, system_clock

__all__ = ["BackfillReport", "backfill", "schedule"]


@dataclass(frozen=True)
class BackfillReport:
    """The windows of one backfill, oldest first, and whether a stop cut it short."""

    monitor: str
    since: datetime
    until: datetime
    windows: BatchReport
    stopped: bool = False

    @property
    def failed(self) -> int:
        return self.windows.count("failed")


def backfill(
    config: ConfigLike,
    monitor: str,
    since: datetime | timedelta,
    until: datetime | None = None,
    *,
    database: str | None = None,
    rerun: bool = False,
    max_windows: int = 10_000,
    claim_ttl: timedelta = timedelta(seconds=60),
    stop: threading.Event | None = None,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> BackfillReport:
    """Compute every window of ``monitor``'s schedule between ``since`` and ``until`` (now).

    ``since`` is a datetime or a duration back from ``clock()``. Windows already computed are
    skipped unless ``rerun``, so a second backfill changes nothing. Setting ``stop`` stops after
    the window in flight. ``progress`` hears of each window as it finishes. Raises
    SchedulerError for a monitor without a usable schedule, a range that is empty or holds more
    than ``max_windows`` windows.
    """
    cfg = as_config(config)
    cfg.monitor(monitor)
    end = as_utc(until) if until is not None else clock()
    start = clock() - since if isinstance(since, timedelta) else as_utc(since)
    stop = stop or threading.Event()
    with open_store(cfg, database) as store:
        runner = WindowRunner(
            cfg, store, clock=clock, claim_ttl=claim_ttl, stop=stop, run=run_monitors
        )
        windows = runner.backfill(
            monitor,
            start,
            end,
            rerun=rerun,
            max_windows=max_windows,
            on_window=None if progress is None else _window_progress(progress),
        )
    return BackfillReport(monitor, start, end, windows, stop.is_set())


def _window_progress(progress: Progress) -> Callable[[int, int, WindowResult | None], None]:
    def on_window(done: int, total: int, result: WindowResult | None) -> None:
        item = None if result is None else f"{result.window.start:%Y-%m-%d %H:%M}"
        status = None if result is None else str(result.status)
        progress(ProgressEvent("backfill", "windows", done, total, item, status))

    return on_window


def schedule(
    config: ConfigLike,
    *,
    database: str | None = None,
    claim_ttl: timedelta = timedelta(seconds=60),
    dispatch_interval: timedelta = timedelta(seconds=5),
    stop: threading.Event | None = None,
    metrics_address: tuple[str, int] | None = None,
    grace: timedelta = timedelta(seconds=30),
) -> bool:
    """Run every scheduled monitor on its cron/interval until ``stop`` is set.

    With ``metrics_address`` (host, port) the Prometheus metrics are served at ``/metrics``.

    On start the stored jobs are synced with the config and the windows missed since each
    monitor's last run are caught up (at most ``max_catchup``); a stop waits up to ``grace`` for
    the runs in flight. Returns False when some were abandoned at the end of the grace (their
    threads still run: end the process). Raises SchedulerError when no monitor has a schedule.
    """
    cfg = as_config(config)
    with open_store(cfg, database) as store:
        runner = WindowRunner(
            cfg, store, claim_ttl=claim_ttl, stop=stop or threading.Event(), run=run_monitors
        )
        return serve(
            runner,
            dispatch_interval=dispatch_interval,
            metrics_address=metrics_address,
            grace=grace,
        )
