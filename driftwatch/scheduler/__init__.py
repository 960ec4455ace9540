"""``driftwatch schedule``: monitors on their cron/interval, each window computed exactly once.

The window maths (fire times, the window each fire computes, what is owed after downtime) is
:mod:`driftwatch.windows`, below this package. The modules here follow a fire of a monitor's job:

* :mod:`.service` — the APScheduler service: one job per scheduled monitor, built in memory from
  the config at start (nothing stored, nothing unpickled), plus the outbox dispatch job;
* :mod:`.runner` — :class:`WindowRunner`: claims a window in the database, renews the claim's
  lease while computing it, catches up and backfills in order, reports a :class:`BatchReport`;
* :mod:`.serve` — :func:`serve`, the loop ``driftwatch schedule`` runs until told to stop;
* :mod:`.status` — :func:`monitor_statuses`, what ``driftwatch status`` shows.

The triggers themselves are built by :func:`driftwatch.config.schedule.build_trigger` (a bad cron
is a config error). This ``__init__`` exports only ``monitor_job`` and ``outbox_job``: job
stores of earlier versions refer to them as ``driftwatch.scheduler:monitor_job`` (those stores
are no longer read; the names stay harmless). Import the rest from the modules.
"""

from driftwatch.scheduler.service import monitor_job, outbox_job

__all__ = ["monitor_job", "outbox_job"]
