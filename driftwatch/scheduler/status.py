"""What ``driftwatch status`` shows per monitor: its job, last run, owed windows, gaps, alerts.

Read-only: it reads the runs, alerts and outbox, and plans with
:class:`~driftwatch.windows.MonitorSchedule` when the scheduler fires next and what it would
compute. The next fire time comes from the config's schedule, as a running scheduler computes it
(its jobs live in its memory: nothing about them is stored, nor read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from driftwatch.config import Config, MonitorConfig
from driftwatch.errors import SchedulerError
from driftwatch.store import claims
from driftwatch.store.repository import Store
from driftwatch.store.status import LastRun, alert_states, last_run, outbox_counts
from driftwatch.timeutil import Clock, system_clock
from driftwatch.windows import SCHEDULER_TRIGGERS, MonitorSchedule, next_fire_time

__all__ = ["JobState", "MonitorStatus", "monitor_statuses"]

JobState = Literal["scheduled", "no schedule"]
"""Whether the config schedules the monitor (``driftwatch schedule`` runs it) or not."""


@dataclass(frozen=True)
class MonitorStatus:
    """One line of ``driftwatch status``."""

    monitor: str
    schedule: str | None
    next_fire: datetime | None
    job_state: JobState
    last: LastRun | None
    owed: int
    beyond_catchup: int
    gaps: int
    """Windows since the first computed one (under the current schedule) with no done run:
    failed ones and ones given up beyond ``max_catchup``, plus those owed now."""
    alerts: dict[tuple[str, str | None], int]


def _gaps(schedule: MonitorSchedule, store: Store, now: datetime) -> int:
    latest = schedule.latest_fire(now)
    if latest is None:
        return 0
    first_end, done = claims.done_windows(store, schedule.monitor.name, SCHEDULER_TRIGGERS, latest)
    return schedule.gaps(first_end, done, latest)


def _schedule_of(monitor: MonitorConfig) -> MonitorSchedule | None:
    if monitor.schedule is None:
        return None
    try:
        return MonitorSchedule(monitor)
    except SchedulerError:  # scheduled without a timestamp column: `schedule` refuses it
        return None


def monitor_statuses(
    config: Config, store: Store, *, clock: Clock = system_clock
) -> tuple[list[MonitorStatus], dict[str, int]]:
    """Per monitor: next fire, last run, windows owed and alert states; plus the outbox counts."""
    now = clock()
    statuses = []
    for monitor in config.monitors:
        schedule = _schedule_of(monitor)
        owed = beyond = gaps = 0
        state: JobState = "no schedule"
        next_fire = None
        if schedule is not None:
            last_end = claims.last_done_window_end(store, monitor.name, SCHEDULER_TRIGGERS)
            plan = schedule.owed(last_end, now, monitor.max_catchup)
            owed, beyond = len(plan.windows) + plan.skipped, plan.skipped
            gaps = _gaps(schedule, store, now)
            state, next_fire = "scheduled", next_fire_time(schedule.trigger, now)
        statuses.append(
            MonitorStatus(
                monitor=monitor.name,
                schedule=schedule.describe() if schedule else None,
                next_fire=next_fire,
                job_state=state,
                last=last_run(store, monitor.name),
                owed=owed,
                beyond_catchup=beyond,
                gaps=gaps,
                alerts=alert_states(store, monitor.name),
            )
        )
    return statuses, outbox_counts(store)
