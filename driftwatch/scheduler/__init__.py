"""``driftwatch schedule``: monitors on their cron/interval, each window computed exactly once.

The modules follow a fire of a monitor's job:

* :mod:`.planning` — pure window maths: fire times, the window each fire computes, what is owed
  after downtime (:class:`MonitorSchedule`, :class:`WindowPlan`), gaps; no I/O, no clock;
* :mod:`.service` — the APScheduler service: one job per monitor stored in the results database,
  synced with the config, plus the outbox dispatch job;
* :mod:`.runner` — :class:`WindowRunner`: claims a window in the database, renews the claim's
  lease while computing it, catches up and backfills in order, reports a :class:`BatchReport`;
* :mod:`.serve` — :func:`serve`, the loop ``driftwatch schedule`` runs until told to stop;
* :mod:`.status` — :func:`monitor_statuses`, what ``driftwatch status`` shows.

The triggers themselves are built by :func:`driftwatch.config.schedule.build_trigger` (a bad cron
is a config error). ``monitor_job`` and ``outbox_job`` stay importable from this package: job
stores of earlier versions refer to them as ``driftwatch.scheduler:monitor_job``.
"""

from driftwatch.scheduler.planning import (
    SCHEDULER_TRIGGERS,
    MonitorSchedule,
    WindowPlan,
    count_fire_times,
    fire_times,
    latest_fire_time,
    next_fire_time,
)
from driftwatch.scheduler.runner import (
    BatchReport,
    WindowAction,
    WindowResult,
    WindowRunner,
    default_owner,
)
from driftwatch.scheduler.serve import serve
from driftwatch.scheduler.service import (
    JOB_TABLE,
    JobHandlers,
    SchedulerService,
    StoredJob,
    SyncReport,
    job_id,
    monitor_job,
    outbox_job,
    stored_jobs,
)
from driftwatch.scheduler.status import JobState, MonitorStatus, monitor_statuses

__all__ = [
    "JOB_TABLE",
    "SCHEDULER_TRIGGERS",
    "BatchReport",
    "JobHandlers",
    "JobState",
    "MonitorSchedule",
    "MonitorStatus",
    "SchedulerService",
    "StoredJob",
    "SyncReport",
    "WindowAction",
    "WindowPlan",
    "WindowResult",
    "WindowRunner",
    "count_fire_times",
    "default_owner",
    "fire_times",
    "job_id",
    "latest_fire_time",
    "monitor_job",
    "monitor_statuses",
    "next_fire_time",
    "outbox_job",
    "serve",
    "stored_jobs",
]
