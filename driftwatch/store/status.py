"""Reads behind ``driftwatch status`` and the scheduler's run log line.

The alert and outbox counts live beside their tables (:mod:`driftwatch.store.alerts`,
:mod:`driftwatch.store.outbox`); they are gathered here so a status view has one import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from driftwatch.store.alerts import alert_states
from driftwatch.store.models import Run
from driftwatch.store.outbox import notifications_of_run, outbox_counts
from driftwatch.store.repository import Store

__all__ = ["LastRun", "alert_states", "last_run", "notifications_of_run", "outbox_counts"]


@dataclass(frozen=True)
class LastRun:
    run_id: int
    window_start: datetime
    window_end: datetime
    status: str
    trigger: str
    finished_at: datetime | None
    error: str | None


def last_run(store: Store, monitor: str) -> LastRun | None:
    """The run of ``monitor`` with the newest window (the latest started one on a tie)."""
    with store.session() as session:
        row = session.execute(
            sa.select(
                Run.id,
                Run.window_start,
                Run.window_end,
                Run.status,
                Run.trigger,
                Run.finished_at,
                Run.error,
            )
            .where(Run.monitor == monitor)
            .order_by(Run.window_end.desc(), Run.started_at.desc(), Run.id.desc())
            .limit(1)
        ).one_or_none()
    return LastRun(*row) if row is not None else None
