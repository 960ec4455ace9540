"""The serve loop of ``driftwatch schedule``: start the service, catch up, fire until stopped.

Signals are the caller's business: :func:`serve` runs until ``runner.stop`` is set (the CLI sets
it on SIGTERM/SIGINT, a test or an embedding application whenever it likes), then lets the run in
flight finish and returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from driftwatch.errors import DriftwatchError, SchedulerError
from driftwatch.logevents import log_event
from driftwatch.scheduler.planning import MonitorSchedule
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.scheduler.service import SchedulerService

if TYPE_CHECKING:
    from driftwatch.ops.prometheus import MetricsServer

__all__ = ["serve"]

log = logging.getLogger("driftwatch.scheduler")


def serve(
    runner: WindowRunner,
    *,
    dispatch_interval: timedelta = timedelta(seconds=5),
    on_ready: Callable[[SchedulerService], None] | None = None,
    metrics_address: tuple[str, int] | None = None,
) -> None:
    """Run the scheduler until ``runner.stop`` is set, then finish the run in flight and return.

    On start: sync the stored jobs with the config, serve the Prometheus metrics on
    ``metrics_address`` (host, port) when given, catch every scheduled monitor up, then let jobs
    fire (and call ``on_ready``). Raises SchedulerError when no monitor has a schedule or the
    metrics port cannot be bound.
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
    service = SchedulerService(
        runner.config,
        runner.store.engine,
        runner,
        dispatch_interval=dispatch_interval,
        max_workers=min(len(scheduled) + 1, 8),
    )
    metrics = _serve_metrics(runner, metrics_address)
    report = service.start()
    try:
        sync = {
            "owner": runner.owner,
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "unchanged": report.unchanged,
        }
        log_event(log, logging.INFO, "sync", sync)
        for monitor in scheduled:
            if runner.stop.is_set():
                break
            try:
                runner.catch_up(monitor.name, startup=True)
            except DriftwatchError as exc:
                log.error("catch-up of monitor %r failed: %s", monitor.name, exc)
        if not runner.stop.is_set():
            service.resume()
            started = {
                "monitors": [m.name for m in scheduled],
                "next_fire": service.next_fire_times(),
            }
            log_event(log, logging.INFO, "started", started)
            if on_ready is not None:
                on_ready(service)
        while not runner.stop.wait(0.5):
            pass
        log.info("scheduler stopping: finishing the run in flight")
    finally:
        runner.stop.set()
        service.shutdown(wait=True)
        if metrics is not None:
            metrics.close()
    log_event(log, logging.INFO, "stopped", {})


def _serve_metrics(runner: WindowRunner, address: tuple[str, int] | None) -> MetricsServer | None:
    if address is None:
        return None
    from driftwatch.ops.prometheus import start_server  # prometheus_client only when asked

    host, port = address
    try:
        return start_server(runner.store, host, port)
    except OSError as exc:
        raise SchedulerError(
            f"cannot serve metrics on {host}:{port} ({exc.strerror or exc}); choose a free port "
            "with --metrics-port or another --metrics-host"
        ) from None
