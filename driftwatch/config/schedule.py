"""When ``driftwatch schedule`` runs a monitor: the schedule model and the trigger it stands for.

A schedule is a 5-field crontab line or an interval, in an IANA timezone. Validating it builds
the APScheduler trigger, so a bad cron is refused when the config is read, with the fix. The
APScheduler import happens inside :func:`build_trigger`: a config without schedules, and
``import driftwatch``, never pay for it.

Interval schedules are anchored at :data:`EPOCH` (fire times are whole intervals since
1970-01-01T00:00 UTC), the same alignment ``driftwatch run`` uses for ``live.window``.

A cron at a fixed time of day (neither its minute nor its hour field starts with ``*``) fires
once at a wall-clock time that a fall-back repeats, the first time, as cron(8) does: a daily
``30 1 * * *`` in Europe/London computes a 25-hour window on the fall-back day, not a 24-hour one
and a 1-hour one. Crons with ``*`` in the hour or minute field (hourly, every 15 minutes) fire in
both hours, so their windows keep their length in real time. On spring-forward, a fixed time
the clock skips (01:30 in Europe/London) fires once, an hour later by the clock (02:30), and the
next window is 23 hours long.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from pydantic import model_validator

from driftwatch.config._common import Duration, Model
from driftwatch.timeutil import format_duration

__all__ = [
    "EPOCH",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "ScheduleConfig",
    "build_trigger",
    "trigger_period",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The anchor of interval schedules: fire times are the epoch plus whole intervals."""


MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=366)
"""The range of ``interval``: the scheduler's clock works in seconds, and a window longer than a
year is a yearly cron (``0 0 1 1 *``), whose windows follow the calendar."""


class ScheduleConfig(Model):
    """When ``driftwatch schedule`` runs a monitor: a 5-field ``cron`` or an ``interval``."""

    cron: str | None = None
    interval: Duration | None = None
    timezone: str = "UTC"
    misfire_grace_time: Duration = timedelta(minutes=10)

    @model_validator(mode="after")
    def _cron_or_interval(self) -> ScheduleConfig:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("give exactly one of 'cron' or 'interval'")
        if self.interval is not None and not MIN_INTERVAL <= self.interval <= MAX_INTERVAL:
            raise ValueError(
                f"interval {format_duration(self.interval)} is out of range: an interval is "
                f"between {format_duration(MIN_INTERVAL)} and {format_duration(MAX_INTERVAL)} "
                "(use a cron for calendar schedules)"
            )
        trigger = build_trigger(self)
        # Every 5-field cron repeats within 28 years (the calendar's cycle): a cron with no fire
        # time after a fixed date never fires (30 February, 31 April).
        if self.cron is not None and trigger.get_next_fire_time(None, EPOCH) is None:
            raise ValueError(
                f"cron {self.cron!r} never fires: no date matches its day and month "
                "(e.g. 30 February); fix the day or the month"
            )
        return self


def build_trigger(schedule: ScheduleConfig) -> Any:
    """An APScheduler trigger for ``schedule``; ValueError with the fix when it is malformed."""
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    try:
        zone = ZoneInfo(schedule.timezone)
    except (KeyError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {schedule.timezone!r}; use an IANA name such as 'UTC' "
            "or 'Europe/Paris'"
        ) from exc
    if schedule.cron is not None:
        fields = schedule.cron.split()
        if len(fields) != 5:
            raise ValueError(
                f"cron {schedule.cron!r} must have 5 fields (minute hour day month weekday), "
                f"found {len(fields)}"
            )
        fixed_time = not (fields[0].startswith("*") or fields[1].startswith("*"))
        cron_class = _first_of_repeats() if fixed_time else CronTrigger
        try:
            minute, hour, day, month, weekday = fields
            return cron_class(
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=_cron_weekdays(weekday),
                timezone=zone,
            )
        except ValueError as exc:
            raise ValueError(f"invalid cron {schedule.cron!r}: {exc}") from exc
    assert schedule.interval is not None
    return IntervalTrigger(
        seconds=schedule.interval.total_seconds(), start_date=EPOCH, timezone=zone
    )


@cache
def _first_of_repeats() -> type[Any]:
    """The CronTrigger of fixed-time crons: a fire time on the second pass through the wall-clock
    times a fall-back repeats is passed over (the first pass fired). Made on first use, so that
    importing this module does not import APScheduler."""
    from apscheduler.triggers.cron import CronTrigger

    class FirstOfRepeatsCronTrigger(CronTrigger):  # type: ignore[misc]
        def get_next_fire_time(
            self, previous_fire_time: datetime | None, now: datetime
        ) -> datetime | None:
            fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
            while fire is not None and _second_pass(fire.astimezone(self.timezone)):
                fire = super().get_next_fire_time(fire, fire)  # the next one after it
            return fire

    return FirstOfRepeatsCronTrigger


def _second_pass(local: datetime) -> bool:
    """Whether ``local`` is the second occurrence of its wall-clock time (after a fall-back)."""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def trigger_period(trigger: Any) -> timedelta | None:
    """The fixed period of an interval trigger, or None for a cron (whose gaps vary)."""
    from apscheduler.triggers.interval import IntervalTrigger

    if isinstance(trigger, IntervalTrigger):
        interval: timedelta = trigger.interval
        return interval
    return None


_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _cron_weekdays(field: str) -> str:
    """A crontab weekday field (0 or 7 = Sunday) in APScheduler 3's terms (0 = Monday).

    APScheduler 3's ``from_crontab`` passes the numbers through, so ``1-5`` would mean Tuesday to
    Saturday; numbers are rewritten as day names, which mean the same in both.
    """
    items = []
    for item in field.lower().split(","):
        body, _, step_text = item.partition("/")
        if body == "*" and not step_text:
            return "*"
        if not (body == "*" or body.replace("-", "").isdigit()):
            items.append(item)  # names (mon-fri), left to APScheduler
            continue
        low, _, high = ("0-6" if body == "*" else body).partition("-")
        first, last = int(low), int(high or low)
        if not step_text and not high:
            last = first
        elif not high:
            last = 6  # "n/step" runs from n to the end of the week
        step = int(step_text) if step_text else 1
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
            raise ValueError(f"weekday {item!r} is out of range 0-7 (0 and 7 are Sunday)")
        items.extend(_WEEKDAY_NAMES[day] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(items))
