"""The notification outbox: rows queued with their run, claimed and settled by the dispatcher.

Notifications are rows of the ``notifications`` table, written by :func:`queue` in the run's
transaction, so a run's results and its notifications are committed together or not at all. The
dispatcher (:func:`driftwatch.alerts.dispatch_pending`) lists the due ones
(``status='pending' AND next_attempt_at <= now``, :func:`due`) and, before sending each, *claims*
it (:func:`claim`) with one conditional UPDATE that bumps ``attempts`` and pushes
``next_attempt_at`` a lease into the future. Only the dispatcher whose UPDATE matched sends, so two
dispatchers (two processes, two machines) never send the same row at the same time. If the sender
dies mid-send, the row becomes due again when the lease expires and is sent again with the same
idempotency key, which lets the receiver drop the duplicate: delivery is at-least-once, and
exactly-once for receivers that honour the key.

An attempt is settled with :func:`mark_sent`, :func:`mark_retry` or :func:`mark_dead`, each
conditional on the attempt count it claimed: a dispatcher whose lease expired and whose row was
re-claimed by another does not overwrite the newer attempt. ``dead`` rows stay until
:func:`retry_dead` queues them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftwatch.results import Event
from driftwatch.store.models import Notification
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "NOTIFICATION_COLUMNS",
    "Claimed",
    "Due",
    "NewNotification",
    "NotificationStatus",
    "claim",
    "due",
    "mark_dead",
    "mark_retry",
    "mark_sent",
    "notifications_frame",
    "notifications_of_run",
    "outbox_counts",
    "queue",
    "retry_dead",
]

NotificationStatus = Literal["pending", "sent", "dead"]
"""Where a notification is: waiting (first try or a retry), delivered, or given up on."""


@dataclass(frozen=True)
class NewNotification:
    """A notification to queue; it is due at once (``next_attempt_at = created_at``)."""

    idempotency_key: str
    sink: str
    event: Event
    monitor: str
    feature: str | None
    metric: str | None
    severity: str | None
    run_id: int | None
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Due:
    """A pending notification whose time has come: its id, attempts so far and sink name."""

    id: int
    attempts: int
    sink: str


@dataclass(frozen=True)
class Claimed:
    """A notification this dispatcher holds: ``attempt`` is the number of the attempt now made."""

    id: int
    attempt: int
    idempotency_key: str
    event: Event
    payload: Mapping[str, Any]


def queue(session: Session, notifications: Sequence[NewNotification]) -> list[NewNotification]:
    """Add ``notifications`` in the caller's transaction; returns those actually queued.

    A key already in the outbox was queued before (a rerun of the same window): it is skipped.
    """
    keys = [n.idempotency_key for n in notifications]
    existing = set(
        session.scalars(
            sa.select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys))
        )
    )
    fresh = [n for n in notifications if n.idempotency_key not in existing]
    session.add_all(
        Notification(
            idempotency_key=n.idempotency_key,
            sink=n.sink,
            event=n.event,
            monitor=n.monitor,
            feature=n.feature,
            metric=n.metric,
            severity=n.severity,
            run_id=n.run_id,
            payload=dict(n.payload),
            status="pending",
            attempts=0,
            next_attempt_at=n.created_at,
            created_at=n.created_at,
        )
        for n in fresh
    )
    return fresh


def due(store: Store, now: datetime, limit: int) -> list[Due]:
    """Up to ``limit`` pending notifications due at ``now``, oldest first."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Notification.id, Notification.attempts, Notification.sink)
            .where(Notification.status == "pending", Notification.next_attempt_at <= now)
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    return [Due(row_id, attempts, sink) for row_id, attempts, sink in rows]


def claim(store: Store, row: Due, now: datetime, lease: timedelta) -> Claimed | None:
    """Take ``row`` for one attempt until ``now + lease``; None when another dispatcher has it.

    The UPDATE matches only while the row is still pending, due and at the attempt count read by
    :func:`due`, so of two dispatchers racing for a row exactly one gets it.
    """
    with store.session() as session:
        result = session.execute(
            sa.update(Notification)
            .where(
                Notification.id == row.id,
                Notification.status == "pending",
                Notification.attempts == row.attempts,
                Notification.next_attempt_at <= now,
            )
            .values(attempts=row.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        found: Any = session.execute(
            sa.select(Notification.idempotency_key, Notification.event, Notification.payload).where(
                Notification.id == row.id
            )
        ).one()
    key, event, payload = found  # the event column holds only Events (written by queue())
    return Claimed(row.id, row.attempts + 1, key, event, payload)


def _settle(store: Store, claimed: Claimed, **values: object) -> None:
    """Record the attempt's outcome, unless another dispatcher re-claimed the row meanwhile."""
    with store.session() as session:
        session.execute(
            sa.update(Notification)
            .where(
                Notification.id == claimed.id,
                Notification.status == "pending",
                Notification.attempts == claimed.attempt,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def mark_sent(store: Store, claimed: Claimed, now: datetime) -> None:
    """The attempt was delivered."""
    _settle(store, claimed, status="sent", sent_at=now, last_error=None)


def mark_retry(store: Store, claimed: Claimed, error: str, retry_at: datetime) -> None:
    """The attempt failed and may pass later: due again at ``retry_at``."""
    _settle(store, claimed, last_error=error, next_attempt_at=retry_at)


def mark_dead(store: Store, claimed: Claimed, error: str, now: datetime) -> None:
    """The attempt failed for good (permanent error, or the last attempt allowed)."""
    _settle(store, claimed, status="dead", last_error=error, next_attempt_at=now)


def retry_dead(
    store: Store, *, clock: Clock = system_clock, ids: Sequence[int] = (), sink: str | None = None
) -> int:
    """Queue dead notifications again (all, or the given ids / one sink's); returns how many."""
    query = sa.update(Notification).where(Notification.status == "dead")
    if ids:
        query = query.where(Notification.id.in_(list(ids)))
    if sink is not None:
        query = query.where(Notification.sink == sink)
    with store.session() as session:
        result = session.execute(
            query.values(status="pending", attempts=0, next_attempt_at=clock()).execution_options(
                synchronize_session=False
            )
        )
        return int(getattr(result, "rowcount", 0))


# --- reading (used by the CLI, `driftwatch status` and the Python API) ----------------------------

NOTIFICATION_COLUMNS = [
    "id", "status", "event", "sink", "monitor", "feature", "metric", "severity", "attempts",
    "next_attempt_at", "created_at", "sent_at", "last_error", "idempotency_key",
]  # fmt: skip


def notifications_frame(
    store: Store, *, status: str | None = None, monitor: str | None = None, limit: int = 100
) -> pd.DataFrame:
    """The newest notifications (optionally of one status / monitor) as a DataFrame."""
    columns = [getattr(Notification, c) for c in NOTIFICATION_COLUMNS]
    query = sa.select(*columns).order_by(Notification.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Notification.status == status)
    if monitor is not None:
        query = query.where(Notification.monitor == monitor)
    with store.session() as session:
        rows = session.execute(query).all()
    import pandas as pd  # only to build the frame: the run path does not need pandas

    return pd.DataFrame([tuple(r) for r in rows], columns=NOTIFICATION_COLUMNS)


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
