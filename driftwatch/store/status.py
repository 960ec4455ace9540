"""Reads behind ``driftwatch status`` and the scheduler's run log line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from driftwatch.store.models import Alert, Notification, Run
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


def alert_states(store: Store, monitor: str) -> dict[tuple[str, str | None], int]:
    """How many (feature, metric) alerts of ``monitor`` are in each (state, severity)."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Alert.state, Alert.severity, sa.func.count())
            .where(Alert.monitor == monitor)
            .group_by(Alert.state, Alert.severity)
        ).all()
    return {(state, severity): int(count) for state, severity, count in rows}


def notifications_of_run(store: Store, run_id: int) -> int:
    """How many notifications the run queued in the outbox."""
    with store.session() as session:
        return int(
            session.execute(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.run_id == run_id)
            ).scalar_one()
        )


def outbox_counts(store: Store) -> dict[str, int]:
    """Notifications by status (``pending``, ``sent``, ``dead``)."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Notification.status, sa.func.count()).group_by(Notification.status)
        ).all()
    return {status: int(count) for status, count in rows}
