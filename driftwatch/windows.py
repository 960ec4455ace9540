"""Window maths: fire times, the window each fire computes, what is owed; a manual run's window.

A monitor's schedule (a 5-field cron or an interval, in a timezone) fires at instants T. The live
window a fire at T computes is the one *ending* at T: for a cron, ``[previous fire time, T)``; for
an interval, ``[T - interval, T)``; or ``[T - live.window, T)`` when the live source sets
``window``. Windows depend only on the schedule, never on when the process got round to them, so
each has one key in the store and is computed once whatever the delays.

Interval schedules are anchored at :data:`~driftwatch.config.schedule.EPOCH` (fire times are
multiples of the interval since 1970-01-01 UTC), the same alignment ``driftwatch run`` uses for
``live.window``, so a manual run and a scheduled one land on the same window key.

Everything here is a pure function of the trigger and explicit instants: no I/O, no clock (tests
and callers pass ``now``). The triggers come from :func:`driftwatch.config.schedule.build_trigger`.
A low-layer module: it imports only the time types and the config, so the scheduler, the monitor
and the commands share it without importing each other (nor SQLAlchemy or APScheduler).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from driftwatch.config.schedule import build_trigger, trigger_period
from driftwatch.errors import SchedulerError
from driftwatch.timeutil import TimeWindow, as_utc, format_duration

if TYPE_CHECKING:
    from driftwatch.config import MonitorConfig
    from driftwatch.results import Trigger

__all__ = [
    "SCHEDULER_TRIGGERS",
    "MonitorSchedule",
    "WindowPlan",
    "aligned_window",
    "count_fire_times",
    "fire_times",
    "latest_fire_time",
    "next_fire_time",
    "scheduled_window",
]

SCHEDULER_TRIGGERS: tuple[Trigger, ...] = ("scheduled", "catchup", "backfill")
"""The triggers of runs on schedule windows. Manual ``driftwatch run`` calls may use other
window keys (the whole live data, a fixed range) that say nothing about which scheduled windows
are done."""

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
    period = trigger_period(trigger)
    if period is not None:  # an interval: (until - first) // period more after the first one
        first = next_fire_time(trigger, after + _MICROSECOND)
        if first is None or first > until:
            return 0
        return (until - first) // period + 1
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

    def gaps(self, first_end: datetime | None, done: int, latest: datetime) -> int:
        """Windows ending in ``[first_end, latest]`` that are not among the ``done`` ones.

        ``first_end`` is the end of the first computed window (None when there is none: no gaps
        yet) and ``done`` how many windows up to ``latest`` have a done run.
        """
        if first_end is None:
            return 0
        expected = count_fire_times(self.trigger, as_utc(first_end) - _MICROSECOND, latest)
        return max(0, expected - done)


# --- the window of a manual run ----------------------------------------------------------------


def aligned_window(now: datetime, length: timedelta) -> TimeWindow:
    """The window of ``length`` ending at ``now`` floored to a multiple of ``length`` (UTC epoch).

    Flooring makes a manual ``driftwatch run`` land on the same window key as a scheduled one.
    """
    seconds = length.total_seconds()
    epoch = as_utc(now).timestamp()
    end = datetime.fromtimestamp(math.floor(epoch / seconds) * seconds, tz=as_utc(now).tzinfo)
    return TimeWindow(end - length, end)


def scheduled_window(monitor: MonitorConfig, span: TimeWindow, now: datetime) -> TimeWindow:
    """The schedule's window holding the live data's latest row, or the latest one that has
    ended by ``now`` when the data runs on past it; the span itself if the schedule has none."""
    try:
        schedule = MonitorSchedule(monitor)
        after_data = next_fire_time(schedule.trigger, span.end)  # first fire after the last row
        latest = schedule.latest_fire(now)
        fire = latest if after_data is None or (latest and after_data > latest) else after_data
        return schedule.window_ending(fire) if fire is not None else span
    except SchedulerError:
        return span
