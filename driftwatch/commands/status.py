"""``driftwatch status``: per monitor, the next fire, the last run, windows owed and alerts.

Only reads: the database must exist and be at this driftwatch's schema. The scheduler (and
through it APScheduler) is imported when the command runs, not with :mod:`driftwatch.api`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from driftwatch.store.connect import ConfigLike, as_config, database_of, open_readonly_store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    from driftwatch.scheduler.status import MonitorStatus

__all__ = ["StatusReport", "status"]


@dataclass(frozen=True)
class StatusReport:
    """One :class:`~driftwatch.scheduler.MonitorStatus` per monitor, and the outbox's counts."""

    database: str
    monitors: tuple[MonitorStatus, ...]
    outbox: Mapping[str, int]
    """Notifications by status (``pending``, ``sent``, ``dead``)."""


def status(
    config: ConfigLike, *, database: str | None = None, clock: Clock = system_clock
) -> StatusReport:
    """The state of every monitor of the config in its results database."""
    from driftwatch.scheduler.status import monitor_statuses

    cfg = as_config(config)
    with open_readonly_store(database_of(cfg, database)) as store:
        statuses, outbox = monitor_statuses(cfg, store, clock=clock)
        return StatusReport(store.url, tuple(statuses), dict(outbox))
