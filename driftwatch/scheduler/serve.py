"""The serve loop of ``driftwatch schedule``: start the service, catch up, fire until stopped.

Signals are the caller's business: :func:`serve` runs until ``runner.stop`` is set (the CLI sets
it on SIGTERM/SIGINT, a test or an embedding application whenever it likes), then gives the runs
and the outbox pass in flight a bounded grace to finish and returns whether they all did.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from driftwatch.errors import SchedulerError
from driftwatch.logevents import Outage, RepeatFilter, log_event
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.scheduler.service import SchedulerService
from driftwatch.timeutil import format_duration
from driftwatch.windows import MonitorSchedule

if TYPE_CHECKING:
    from driftwatch.exporter import MetricsServer

__all__ = ["serve"]

log = logging.getLogger("driftwatch.scheduler")


def serve(
    runner: WindowRunner,
    *,
    dispatch_interval: timedelta = timedelta(seconds=5),
    on_ready: Callable[[SchedulerService], None] | None = None,
    metrics_address: tuple[str, int] | None = None,
    grace: timedelta = timedelta(seconds=30),
) -> bool:
    """Run the scheduler until ``runner.stop`` is set, then wait up to ``grace`` for the runs in
    flight and return whether none was left (False: some were abandoned, see below).

    On start: add a job per scheduled monitor (in memory, from the config), serve the
    Prometheus metrics on ``metrics_address`` (host, port) when given, let jobs fire, and queue
    every scheduled monitor's catch-up on the pool (so a monitor that hangs never delays
    another's catch-up or fire times), then call ``on_ready``. The pool runs at most
    ``defaults.max_parallel`` monitors at once. Raises SchedulerError when no monitor has a
    schedule or the metrics port cannot be bound.

    A run still in flight when the grace ends is abandoned: its claim is no longer renewed nor
    released, so it expires after ``claim_ttl`` and the window is retried then. The outbox pass
    starts no send once stopped; one still in flight at the end of the grace is abandoned too (its
    notification stays pending and is sent again, same idempotency key, once its lease ends). The
    caller should then end the process (``driftwatch schedule`` does, with ``os._exit``): the
    abandoned threads cannot be killed, only outlived.
    """
    scheduled = runner.scheduled_monitors()
    if not scheduled:
        where = f" in {runner.config.source_file}" if runner.config.source_file else ""
        raise SchedulerError(
            f'no monitor{where} has a schedule; add `schedule: {{cron: "0 * * * *"}}` (or '
            "`{interval: 1h}`) to the monitors to run"
        )
    for monitor in scheduled:
        MonitorSchedule(monitor)  # refuse an unschedulable monitor before anything starts
    for monitor in runner.config.monitors:
        if monitor.schedule is None:
            log.info("monitor %s has no schedule: not scheduled", monitor.name)
    handlers = _Handlers(runner)
    service = SchedulerService(
        runner.config,
        handlers,
        dispatch_interval=dispatch_interval,
        max_workers=min(len(scheduled), runner.config.defaults.max_parallel) + 1,
    )
    metrics = _serve_metrics(runner, metrics_address)
    skipped_ticks = logging.getLogger("apscheduler.scheduler")
    skipped_ticks.addFilter(handlers.quiet)
    report = service.start()
    clean = True
    try:
        sync = {
            "owner": runner.owner,
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "unchanged": report.unchanged,
        }
        log_event(log, logging.INFO, "sync", sync)
        if not runner.stop.is_set():
            service.resume()
            service.catch_up([m.name for m in scheduled])
            started = {
                "monitors": [m.name for m in scheduled],
                "next_fire": service.next_fire_times(),
            }
            log_event(log, logging.INFO, "started", started)
            if on_ready is not None:
                on_ready(service)
        while not runner.stop.wait(0.5):
            pass
        log.info(
            "scheduler stopping: waiting up to %s for the runs in flight", format_duration(grace)
        )
    finally:
        runner.stop.set()
        service.shutdown(wait=False)
        skipped_ticks.removeFilter(handlers.quiet)
        ends = time.monotonic() + grace.total_seconds()
        if not runner.wait_idle(grace.total_seconds()):
            clean = False
            runner.abandon.set()
            log.warning(
                "%d run(s) still in flight after the %s grace: abandoned; their windows stay "
                "claimed until the lease expires (claim_ttl %s), then they are retried",
                runner.in_flight,
                format_duration(grace),
                format_duration(runner.claim_ttl),
            )
        if not handlers.wait_dispatched(max(0.0, ends - time.monotonic())):
            clean = False
            log.warning(
                "the outbox pass still had sends in flight after the %s grace: abandoned; their "
                "notifications stay pending and are sent again (same idempotency keys) once "
                "their lease ends",
                format_duration(grace),
            )
        if metrics is not None:
            metrics.close()
    log_event(log, logging.INFO, "stopped", {"clean": clean})
    return clean


class _Handlers:
    """The runner's job handlers, with the outbox pass in flight tracked: a stop waits for it
    within the grace, and while one pass outlasts the dispatch interval (a long backlog, a slow
    sink) APScheduler's warning at every skipped tick goes through the Outage rule: one WARNING
    for the stretch, and a line when the pass ends."""

    def __init__(self, runner: WindowRunner) -> None:
        self.runner = runner
        self._idle = threading.Event()
        self._idle.set()
        self._ticks = Outage(
            log,
            "the outbox dispatch tick (a pass is still running)",
            every=math.inf,
            level=logging.WARNING,
        )
        self.quiet = RepeatFilter('Execution of job "outbox dispatch', self._ticks)

    def fire(self, monitor: str) -> None:
        self.runner.fire(monitor)

    def startup(self, monitor: str) -> None:
        self.runner.startup(monitor)

    def dispatch(self) -> None:
        self._idle.clear()
        try:
            self.runner.dispatch()
        finally:
            self._idle.set()
            self._ticks.succeeded()

    def wait_dispatched(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the outbox pass in flight; True when none is."""
        return self._idle.wait(timeout)


def _serve_metrics(runner: WindowRunner, address: tuple[str, int] | None) -> MetricsServer | None:
    if address is None:
        return None
    from driftwatch.exporter import start_server  # prometheus_client only when asked

    host, port = address
    try:
        return start_server(runner.store, host, port)
    except OSError as exc:
        raise SchedulerError(
            f"cannot serve metrics on {host}:{port} ({exc.strerror or exc}); choose a free port "
            "with --metrics-port or another --metrics-host"
        ) from None
