"""APScheduler wiring: the only module that imports APScheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from driftwatch.config import ScheduleConfig

__all__ = ["build_trigger"]


def build_trigger(schedule: ScheduleConfig) -> Any:
    """An APScheduler trigger for ``schedule``; ValueError with the fix when it is malformed."""
    try:
        from zoneinfo import ZoneInfo

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
        try:
            return CronTrigger.from_crontab(schedule.cron, timezone=zone)
        except ValueError as exc:
            raise ValueError(f"invalid cron {schedule.cron!r}: {exc}") from exc
    assert schedule.interval is not None
    return IntervalTrigger(seconds=schedule.interval.total_seconds(), timezone=zone)
