"""The APScheduler service: one job per scheduled monitor, plus the outbox dispatch job.

:class:`SchedulerService` wraps a ``BackgroundScheduler`` whose jobs live in process memory
(a ``MemoryJobStore``), built from the config at start: each scheduler process computes its
monitors' fire times itself. Nothing is stored in or read from the results database, so no row
there is ever unpickled (APScheduler's ``SQLAlchemyJobStore`` unpickles ``job_state``: a row
written by anyone who can write to that database would run code in the scheduler; migration 0007
drops its table ``apscheduler_jobs``). What a stored job gave is kept without it: the windows
are claimed exactly once in ``window_claims`` (two schedulers on one database never compute a
window twice), and the start-up catch-up finds the windows missed while no scheduler ran from the
stored runs, not from a stored next fire time. ``coalesce`` and ``max_instances=1`` keep one run
of a monitor at a time; every running scheduler delivers the outbox.

The job functions call the :class:`JobHandlers` the running process registered (the window
runner), which do the work. This is, with :mod:`driftwatch.config.schedule`, the only module that
imports APScheduler.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from driftwatch.errors import SchedulerError
from driftwatch.timeutil import as_utc
from driftwatch.windows import MonitorSchedule

if TYPE_CHECKING:
    from driftwatch.config import Config

__all__ = [
    "JobHandlers",
    "SchedulerService",
    "SyncReport",
    "catchup_job",
    "job_id",
    "monitor_job",
    "outbox_job",
]

log = logging.getLogger("driftwatch.scheduler")

_MONITOR_PREFIX = "monitor:"


class JobHandlers(Protocol):
    """What the running process does when a job fires; neither method may raise."""

    def fire(self, monitor: str) -> None:
        """Compute the windows ``monitor`` owes now (its fire time is the latest one ≤ now)."""
        ...

    def startup(self, monitor: str) -> None:
        """Compute the windows ``monitor`` missed while no scheduler ran (the start-up catch-up)."""
        ...

    def dispatch(self) -> None:
        """Deliver pending notifications of the outbox."""
        ...


_handlers: JobHandlers | None = None
"""The handlers of this process's running scheduler (the jobs look them up here)."""


def job_id(monitor: str) -> str:
    return f"{_MONITOR_PREFIX}{monitor}"


def monitor_job(config_path: str, monitor: str) -> None:
    """The job of one monitor: one fire. (Job stores of earlier versions name it
    ``driftwatch.scheduler:monitor_job``; none is read any more, and without a running scheduler
    in the process a call only logs.)"""
    handlers = _handlers
    if handlers is None:
        log.error("job of monitor %r fired with no scheduler running in this process", monitor)
        return
    handlers.fire(monitor)


def catchup_job(monitor: str) -> None:
    """The start-up catch-up of one monitor, run on the pool like any job (process-local)."""
    handlers = _handlers
    if handlers is not None:
        handlers.startup(monitor)


def outbox_job() -> None:
    """The outbox dispatch job: retries pending notifications while the scheduler lives."""
    handlers = _handlers
    if handlers is not None:
        handlers.dispatch()


@dataclass(frozen=True)
class SyncReport:
    """How :meth:`SchedulerService.sync` changed the scheduler's jobs to match the config (at
    start every scheduled monitor's job is ``added``: the jobs are built from the config)."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


class SchedulerService:
    """A BackgroundScheduler whose jobs, in memory, are built from the config.

    :meth:`start` starts it paused and adds the jobs of the config; :meth:`resume` lets jobs
    fire; :meth:`shutdown` stops taking jobs and waits for the ones in flight.
    """

    def __init__(
        self,
        config: Config,
        handlers: JobHandlers,
        *,
        dispatch_interval: timedelta = timedelta(seconds=5),
        max_workers: int = 8,
    ) -> None:
        self.config = config
        self.handlers = handlers
        self.dispatch_interval = dispatch_interval
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> SyncReport:
        global _handlers
        if _handlers is not None and _handlers is not self.handlers:
            raise SchedulerError("a scheduler is already running in this process")
        _handlers = self.handlers
        try:
            self.scheduler.start(paused=True)
            report = self.sync()
            self.scheduler.add_job(
                outbox_job,
                IntervalTrigger(seconds=self.dispatch_interval.total_seconds(), timezone=UTC),
                id="outbox",
                name="outbox dispatch",
                replace_existing=True,
                misfire_grace_time=None,
            )
        except BaseException:
            self.shutdown(wait=False)
            raise
        return report

    def sync(self) -> SyncReport:
        """Make the monitor jobs match the config: add, update, remove."""
        config_path = str(self.config.source_file or "")
        before = {
            job.id: (repr(job.trigger), job.misfire_grace_time)
            for job in self.scheduler.get_jobs()
            if job.id.startswith(_MONITOR_PREFIX)
        }
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        wanted = set()
        for monitor in self.config.monitors:
            if monitor.schedule is None:
                continue
            schedule = MonitorSchedule(monitor)
            ident = job_id(monitor.name)
            wanted.add(ident)
            grace = max(1, int(monitor.schedule.misfire_grace_time.total_seconds()))
            if before.get(ident) == (repr(schedule.trigger), grace):
                unchanged.append(monitor.name)
                continue
            self.scheduler.add_job(
                monitor_job,
                schedule.trigger,
                args=(config_path, monitor.name),
                id=ident,
                name=f"monitor {monitor.name}",
                replace_existing=True,
                misfire_grace_time=grace,
            )
            (updated if ident in before else added).append(monitor.name)
        removed = []
        for ident in sorted(set(before) - wanted):
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(ident)
            removed.append(ident.removeprefix(_MONITOR_PREFIX))
        return SyncReport(tuple(added), tuple(updated), tuple(removed), tuple(unchanged))

    def catch_up(self, monitors: Sequence[str]) -> None:
        """Queue the start-up catch-up of each monitor on the pool, to run now, side by side.

        They are one-off jobs: a monitor's catch-up never waits for another's, and
        the fire times that come meanwhile are taken as they come (see ``WindowRunner.fire``).
        """
        for monitor in monitors:
            self.scheduler.add_job(  # no trigger: once, now
                catchup_job,
                args=(monitor,),
                id=f"catchup:{monitor}",
                name=f"catch-up {monitor}",
                replace_existing=True,
                misfire_grace_time=None,
            )

    def next_fire_times(self) -> dict[str, datetime | None]:
        return {
            job.id.removeprefix(_MONITOR_PREFIX): (
                as_utc(job.next_run_time) if job.next_run_time else None
            )
            for job in self.scheduler.get_jobs()
            if job.id.startswith(_MONITOR_PREFIX)
        }

    def resume(self) -> None:
        self.scheduler.resume()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing jobs; with ``wait``, block until the runs in flight are finished (without,
        the runs in flight go on in their threads: see ``serve``'s grace)."""
        global _handlers
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if _handlers is self.handlers:
            _handlers = None
