"""APScheduler wiring and the window maths of a schedule: the only module that imports APScheduler.

A monitor's schedule (a 5-field cron or an interval, in a timezone) fires at instants T. The live
window a fire at T computes is the one *ending* at T: for a cron, ``[previous fire time, T)``; for
an interval, ``[T - interval, T)``; or ``[T - live.window, T)`` when the live source sets
``window``. Windows depend only on the schedule, never on when the process got round to them, so
each has one key in the store and is computed once whatever the delays.

Interval schedules are anchored at 1970-01-01T00:00 UTC (fire times are multiples of the interval
since the epoch), the same alignment ``driftwatch run`` uses for ``live.window``, so a manual run
and a scheduled one land on the same window key.

The window maths are pure functions of the trigger and explicit instants (tests inject the
clock). :class:`SchedulerService` runs one APScheduler job per scheduled monitor, stored in the
results database (``apscheduler_jobs``), plus a process-local outbox dispatch job; the job
functions are module-level so the job store can pickle them by reference, and they call the
:class:`JobHandlers` the running process registered.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from driftwatch.config.schedule import EPOCH, build_trigger
from driftwatch.errors import SchedulerError
from driftwatch.timeutil import TimeWindow, as_utc, format_duration

if TYPE_CHECKING:
    from driftwatch.config import Config, MonitorConfig

__all__ = [
    "EPOCH",
    "JOB_TABLE",
    "JobHandlers",
    "MonitorSchedule",
    "SchedulerService",
    "StoredJob",
    "SyncReport",
    "WindowPlan",
    "build_trigger",
    "count_fire_times",
    "fire_times",
    "job_id",
    "latest_fire_time",
    "monitor_job",
    "next_fire_time",
    "outbox_job",
    "stored_jobs",
]

log = logging.getLogger("driftwatch.scheduler")

JOB_TABLE = "apscheduler_jobs"
_MICROSECOND = timedelta(microseconds=1)
_MAX_LOOKBACK = timedelta(days=4 * 366 * 3)  # a leap-day cron fires at least every 8 years


# --- fire times ---------------------------------------------------------------------------------


def next_fire_time(trigger: Any, at: datetime) -> datetime | None:
    """The first fire time at or after ``at`` (UTC), or None when the trigger has ended."""
    fire = trigger.get_next_fire_time(None, as_utc(at))
    return as_utc(fire) if fire is not None else None


def fire_times(trigger: Any, after: datetime, until: datetime) -> Iterator[datetime]:
    """The fire times in ``(after, until]``, oldest first, in UTC."""
    until = as_utc(until)
    fire = next_fire_time(trigger, as_utc(after) + _MICROSECOND)
    while fire is not None and fire <= until:
        yield fire
        following = trigger.get_next_fire_time(fire, fire + _MICROSECOND)
        fire = as_utc(following) if following is not None else None


def latest_fire_time(trigger: Any, at: datetime) -> datetime | None:
    """The last fire time at or before ``at`` (UTC); None if there is none in the last 12 years.

    APScheduler triggers only look forward, so this looks back over a doubling span until the
    span holds a fire time, then walks forward to the last one.
    """
    at = as_utc(at)
    span = timedelta(seconds=1)
    while span <= _MAX_LOOKBACK:
        first = next_fire_time(trigger, at - span)
        if first is not None and first <= at:
            last = first
            for last in fire_times(trigger, first, at):  # noqa: B007 (we want the last one)
                pass
            return last
        span *= 2
    return None


def count_fire_times(trigger: Any, after: datetime, until: datetime, limit: int = 100_000) -> int:
    """How many fire times lie in ``(after, until]`` (a cron enumerates at most ``limit``)."""
    after, until = as_utc(after), as_utc(until)
    if until <= after:
        return 0
    if isinstance(trigger, IntervalTrigger):
        first = next_fire_time(trigger, after + _MICROSECOND)
        if first is None or first > until:
            return 0
        interval: timedelta = trigger.interval
        return (until - first) // interval + 1
    count = 0
    for _ in fire_times(trigger, after, until):
        count += 1
        if count >= limit:
            break
    return count


# --- windows of one monitor -------------------------------------------------------------------


@dataclass(frozen=True)
class WindowPlan:
    """The windows a monitor owes now, oldest first, and how many older ones are given up."""

    windows: tuple[TimeWindow, ...]
    skipped: int = 0
    """Owed windows older than ``max_catchup`` allows: reported, not computed."""


class MonitorSchedule:
    """A scheduled monitor's fire times and the live window each fire computes."""

    def __init__(self, monitor: MonitorConfig) -> None:
        if monitor.schedule is None:
            raise SchedulerError(
                f'monitor {monitor.name!r} has no schedule; add `schedule: {{cron: "0 * * * *"}}`'
                " or `schedule: {interval: 1h}` to it in the config"
            )
        self.monitor = monitor
        self.schedule = monitor.schedule
        self.trigger = build_trigger(monitor.schedule)
        self.window_length: timedelta | None = monitor.live.window

    def describe(self) -> str:
        schedule = self.schedule
        when = (
            f"cron {schedule.cron!r}"
            if schedule.cron
            else "every " + format_duration(schedule.interval or timedelta())
        )
        return f"{when} ({schedule.timezone})"

    def latest_fire(self, now: datetime) -> datetime | None:
        return latest_fire_time(self.trigger, now)

    def previous_fire(self, fire: datetime) -> datetime | None:
        return latest_fire_time(self.trigger, as_utc(fire) - _MICROSECOND)

    def window_ending(self, fire: datetime) -> TimeWindow:
        """The live window computed by the fire at ``fire``."""
        end = as_utc(fire)
        if self.window_length is not None:
            return TimeWindow(end - self.window_length, end)
        previous = self.previous_fire(end)
        if previous is None:
            raise SchedulerError(
                f"monitor {self.monitor.name!r}: schedule {self.describe()} has no fire time "
                f"before {end.isoformat()}, so the window ending there has no start"
            )
        return TimeWindow(previous, end)

    def owed(self, last_end: datetime | None, now: datetime, max_catchup: int) -> WindowPlan:
        """The windows due by ``now`` that end after ``last_end`` (the last one computed).

        With nothing computed yet, only the latest window is owed (history is ``backfill``'s job).
        At most ``max(1, max_catchup)`` windows are owed, the most recent ones; the rest are
        counted in :attr:`WindowPlan.skipped`.
        """
        latest = self.latest_fire(now)
        if latest is None or (last_end is not None and latest <= as_utc(last_end)):
            return WindowPlan(())
        if last_end is None:
            return WindowPlan((self.window_ending(latest),))
        last_end = as_utc(last_end)
        limit = max(1, max_catchup)
        ends = [latest]
        skipped = 0
        while True:
            previous = self.previous_fire(ends[-1])
            if previous is None or previous <= last_end:
                break
            if len(ends) == limit:
                skipped = count_fire_times(self.trigger, last_end, previous)
                break
            ends.append(previous)
        return WindowPlan(tuple(self.window_ending(t) for t in reversed(ends)), skipped)

    def windows_between(
        self, since: datetime, until: datetime, max_windows: int
    ) -> tuple[TimeWindow, ...]:
        """Every window lying inside ``[since, until]``, oldest first (for backfill)."""
        since, until = as_utc(since), as_utc(until)
        windows: list[TimeWindow] = []
        previous: datetime | None = None
        for fire in fire_times(self.trigger, since, until):
            if self.window_length is None and previous is not None:
                window = TimeWindow(previous, fire)  # consecutive fires: no search needed
            else:
                window = self.window_ending(fire)
            previous = fire
            if window.start < since:
                continue
            if len(windows) == max_windows:
                raise SchedulerError(
                    f"monitor {self.monitor.name!r}: more than {max_windows} windows of "
                    f"{self.describe()} lie between {since.isoformat()} and {until.isoformat()}; "
                    "narrow --since/--until or raise --max-windows"
                )
            windows.append(window)
        return tuple(windows)


# --- the APScheduler service --------------------------------------------------------------------


class JobHandlers(Protocol):
    """What the running process does when a job fires; neither method may raise."""

    def fire(self, monitor: str) -> None:
        """Compute the windows ``monitor`` owes now (its fire time is the latest one ≤ now)."""
        ...

    def dispatch(self) -> None:
        """Deliver pending notifications of the outbox."""
        ...


_handlers: JobHandlers | None = None
"""The handlers of this process's running scheduler (jobs from the store look them up here)."""


def job_id(monitor: str) -> str:
    return f"monitor:{monitor}"


def monitor_job(config_path: str, monitor: str) -> None:
    """The job of one monitor (stored by reference in the job store): one fire."""
    handlers = _handlers
    if handlers is None:
        log.error("job of monitor %r fired with no scheduler running in this process", monitor)
        return
    handlers.fire(monitor)


def outbox_job() -> None:
    """The outbox dispatch job: retries pending notifications while the scheduler lives."""
    handlers = _handlers
    if handlers is not None:
        handlers.dispatch()


@dataclass(frozen=True)
class SyncReport:
    """How ``driftwatch schedule`` changed the stored jobs to match the config."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredJob:
    monitor: str
    next_fire: datetime | None
    trigger: str
    """``repr`` of the stored trigger, to tell whether the config changed since the last sync."""


def _job_store(engine: Engine) -> SQLAlchemyJobStore:
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    if not sa.inspect(engine).has_table(JOB_TABLE):
        try:  # two schedulers starting at once race on CREATE TABLE: the loser finds it made
            store.jobs_t.create(engine, checkfirst=True)
        except SQLAlchemyError:
            if not sa.inspect(engine).has_table(JOB_TABLE):
                raise
    return store


def stored_jobs(engine: Engine) -> dict[str, StoredJob]:
    """The monitor jobs stored in the results database, by monitor (empty if never scheduled)."""
    if not sa.inspect(engine).has_table(JOB_TABLE):
        return {}
    scheduler = BackgroundScheduler(timezone=UTC)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    store.start(scheduler, "default")  # binds the store; does not start the scheduler
    jobs = {}
    for job in store.get_all_jobs():
        if job.id.startswith("monitor:"):
            monitor = job.id.removeprefix("monitor:")
            next_fire = as_utc(job.next_run_time) if job.next_run_time else None
            jobs[monitor] = StoredJob(monitor, next_fire, repr(job.trigger))
    return jobs


class SchedulerService:
    """A BackgroundScheduler with its job store in the results database.

    :meth:`start` starts it paused and syncs the jobs with the config; :meth:`resume` lets jobs
    fire; :meth:`shutdown` stops taking jobs and waits for the ones in flight.
    """

    def __init__(
        self,
        config: Config,
        engine: Engine,
        handlers: JobHandlers,
        *,
        dispatch_interval: timedelta = timedelta(seconds=5),
        max_workers: int = 8,
    ) -> None:
        self.config = config
        self.handlers = handlers
        self.dispatch_interval = dispatch_interval
        self.scheduler = BackgroundScheduler(
            jobstores={"default": _job_store(engine), "local": MemoryJobStore()},
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
                jobstore="local",
                replace_existing=True,
                misfire_grace_time=None,
            )
        except BaseException:
            self.shutdown(wait=False)
            raise
        return report

    def sync(self) -> SyncReport:
        """Make the stored monitor jobs match the config: add, update, remove."""
        config_path = str(self.config.source_file or "")
        before = {
            job.id: (repr(job.trigger), job.misfire_grace_time)
            for job in self.scheduler.get_jobs(jobstore="default")
            if job.id.startswith("monitor:")
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
                jobstore="default",
                replace_existing=True,
                misfire_grace_time=grace,
            )
            (updated if ident in before else added).append(monitor.name)
        removed = []
        for ident in sorted(set(before) - wanted):
            with contextlib.suppress(JobLookupError):  # another scheduler removed it first
                self.scheduler.remove_job(ident, jobstore="default")
            removed.append(ident.removeprefix("monitor:"))
        return SyncReport(tuple(added), tuple(updated), tuple(removed), tuple(unchanged))

    def next_fire_times(self) -> dict[str, datetime | None]:
        return {
            job.id.removeprefix("monitor:"): (
                as_utc(job.next_run_time) if job.next_run_time else None
            )
            for job in self.scheduler.get_jobs(jobstore="default")
            if job.id.startswith("monitor:")
        }

    def resume(self) -> None:
        self.scheduler.resume()

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing jobs; with ``wait``, block until the runs in flight are finished."""
        global _handlers
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if _handlers is self.handlers:
            _handlers = None
