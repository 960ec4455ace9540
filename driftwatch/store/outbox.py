"""The notification outbox: rows queued with their run, claimed and settled by the dispatcher.

Notifications are rows of the ``notifications`` table, written by :func:`queue` in the run's
transaction, so a run's results and its notifications are committed together or not at all. The
dispatcher (:func:`driftwatch.alerts.dispatch_pending`) lists the due ones
(``status='pending' AND next_attempt_at <= now``, :func:`due`) and, before sending them, *claims*
a few at a time (:func:`exchange`) with one conditional UPDATE that bumps ``attempts`` and pushes
``next_attempt_at`` a lease into the future (rows another dispatcher is claiming right now are
skipped, not waited for). Only the dispatcher whose UPDATE matched a row sends it, so two
dispatchers (two processes, two machines) never send the same row at the same time. If the sender
dies mid-send, the row becomes due again when the lease expires and is sent again with the same
idempotency key, which lets the receiver drop the duplicate: delivery is at-least-once, and
exactly-once for receivers that honour the key.

A claim's token is the attempt number and the lease end it wrote (:attr:`Claimed.lease_end`).
Attempts are settled in batches, one transaction for many rows (:func:`exchange`, which claims the
next rows in the same transaction), each row's UPDATE conditional on its token: a dispatcher whose
lease expired and whose row was re-claimed by another (even one queued again by :func:`retry_dead`
meanwhile, back at the same attempt number) never overwrites the newer attempt. A claimed row
that was not sent goes back to due (:func:`release`).
``dead`` rows stay until :func:`retry_dead` queues them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

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
    "Outcome",
    "claim",
    "claim_many",
    "due",
    "exchange",
    "mark_dead",
    "mark_retry",
    "mark_sent",
    "notifications_frame",
    "notifications_of_run",
    "outbox_counts",
    "queue",
    "release",
    "retry_dead",
    "settle",
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
    """A pending notification whose time has come: its id, attempts so far, sink name and alert
    (monitor, feature, metric: the dispatcher sends one alert's notifications in order)."""

    id: int
    attempts: int
    sink: str
    alert: tuple[str, str | None, str | None] = ("", None, None)


@dataclass(frozen=True)
class Claimed:
    """A notification this dispatcher holds: ``attempt`` is the number of the attempt now made,
    ``lease_end`` when the claim lapses (with ``attempt``, the claim's token)."""

    id: int
    attempt: int
    idempotency_key: str
    event: Event
    payload: Mapping[str, Any]
    lease_end: datetime
    sink: str = ""


@dataclass(frozen=True)
class Outcome:
    """How one claimed attempt ended: ``sent`` (at ``at``), ``retry`` (due again at ``at``) or
    ``dead``, with the error (secrets already scrubbed)."""

    claimed: Claimed
    status: Literal["sent", "retry", "dead"]
    at: datetime
    error: str | None = None


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


def due(store: Store, now: datetime, limit: int, *, after: int = 0) -> list[Due]:
    """Up to ``limit`` pending notifications due at ``now`` (with an id above ``after``: the
    next page), oldest first."""
    with store.session() as session:
        rows = session.execute(
            sa.select(
                Notification.id,
                Notification.attempts,
                Notification.sink,
                Notification.monitor,
                Notification.feature,
                Notification.metric,
            )
            .where(
                Notification.status == "pending",
                Notification.next_attempt_at <= now,
                Notification.id > after,
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    return [
        Due(i, attempts, sink, (monitor, feature, metric))
        for i, attempts, sink, monitor, feature, metric in rows
    ]


def exchange(
    store: Store,
    *,
    settled: Sequence[Outcome] = (),
    released: Sequence[Claimed] = (),
    wanted: Sequence[Due] = (),
    now: datetime,
    lease: timedelta = timedelta(0),
) -> list[Claimed]:
    """One transaction of the dispatcher: settle the attempts ``settled``, give back the rows
    ``released`` (claimed, not sent: due at ``now``, their attempt not counted), and claim the
    rows ``wanted`` for one attempt each until ``now + lease``; returns those claimed, in the
    order given (a row another dispatcher holds or is claiming is left out).

    Settling and releasing are conditional on each row's claim token (attempt and lease end): a
    row whose claim was superseded (re-claimed by another dispatcher once its lease expired) is
    left as the newer claim has it. Claiming matches only the rows still pending and due, locking
    them with ``SKIP LOCKED`` on PostgreSQL (SQLite serialises writers), so of two dispatchers
    racing for a row exactly one gets it and neither waits for the other.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for done in settled:
        groups.setdefault(done.status, []).append(_params(done.claimed, done.at, done.error))
    if released:
        groups["release"] = [_params(c, now) for c in released]
    if not groups and not wanted:
        return []
    with store.session() as session:
        connection = session.connection()
        for status, params in groups.items():
            connection.execute(_SETTLE[status], params)
        return _claim(session, wanted, now, lease) if wanted else []


def _claim(session: Session, rows: Sequence[Due], now: datetime, lease: timedelta) -> list[Claimed]:
    lease_end = now + lease
    ids = [row.id for row in rows]
    where: tuple[sa.ColumnElement[bool], ...]
    if session.get_bind().dialect.name == "postgresql":
        # Lock the rows first, skipping those another dispatcher is claiming, then check them:
        # the locks hold until the commit. Both statements go by the primary key alone (a
        # subquery also testing the due index was planned as a loop over every due row).
        locked = session.execute(
            sa.select(Notification.id, Notification.status, Notification.next_attempt_at)
            .where(Notification.id.in_(ids))
            .with_for_update(skip_locked=True)
        ).all()
        free = [i for i, status, at in locked if status == "pending" and at <= now]
        if not free:
            return []
        where = (Notification.id.in_(free),)
    else:  # SQLite: one statement, writers take turns
        where = (
            Notification.id.in_(ids),
            Notification.status == "pending",
            Notification.next_attempt_at <= now,
        )
    found: Any = session.execute(
        sa.update(Notification)
        .where(*where)
        .values(attempts=Notification.attempts + 1, next_attempt_at=lease_end)
        .returning(
            Notification.id,
            Notification.attempts,
            Notification.idempotency_key,
            Notification.event,
            Notification.payload,
            Notification.sink,
        )
        .execution_options(synchronize_session=False)
    ).all()
    taken = {
        row_id: Claimed(row_id, attempt, key, event, payload, lease_end, sink)
        for row_id, attempt, key, event, payload, sink in found  # events are Events (queue())
    }
    return [taken[i] for i in ids if i in taken]


def claim_many(store: Store, rows: Sequence[Due], now: datetime, lease: timedelta) -> list[Claimed]:
    """Take ``rows`` for one attempt each until ``now + lease`` (see :func:`exchange`)."""
    return exchange(store, wanted=rows, now=now, lease=lease)


def claim(store: Store, row: Due, now: datetime, lease: timedelta) -> Claimed | None:
    """Take one row (see :func:`exchange`); None when another dispatcher has it."""
    found = claim_many(store, [row], now, lease)
    return found[0] if found else None


_TABLE = cast(sa.Table, Notification.__table__)
_HELD = sa.and_(  # the claim's token: a superseded claim matches no row
    _TABLE.c.id == sa.bindparam("k_id"),
    _TABLE.c.status == "pending",
    _TABLE.c.attempts == sa.bindparam("k_attempt"),
    _TABLE.c.next_attempt_at == sa.bindparam("k_lease"),
)
_SETTLE = {
    "sent": sa.update(_TABLE)
    .where(_HELD)
    .values(status="sent", sent_at=sa.bindparam("k_at"), last_error=None),
    "retry": sa.update(_TABLE)
    .where(_HELD)
    .values(last_error=sa.bindparam("k_error"), next_attempt_at=sa.bindparam("k_at")),
    "dead": sa.update(_TABLE)
    .where(_HELD)
    .values(
        status="dead", last_error=sa.bindparam("k_error"), next_attempt_at=sa.bindparam("k_at")
    ),
    "release": sa.update(_TABLE)
    .where(_HELD)
    .values(attempts=_TABLE.c.attempts - 1, next_attempt_at=sa.bindparam("k_at")),
}


def _params(claimed: Claimed, at: datetime, error: str | None = None) -> dict[str, Any]:
    return {
        "k_id": claimed.id,
        "k_attempt": claimed.attempt,
        "k_lease": claimed.lease_end,
        "k_at": at,
        "k_error": error,
    }


def settle(store: Store, outcomes: Sequence[Outcome]) -> None:
    """Record many attempts' outcomes in one transaction (see :func:`exchange`)."""
    if outcomes:
        exchange(store, settled=outcomes, now=outcomes[0].at)


def release(store: Store, claimed: Sequence[Claimed], now: datetime) -> None:
    """Give back rows claimed and not sent: due at ``now``, their attempt not counted."""
    exchange(store, released=claimed, now=now)


def mark_sent(store: Store, claimed: Claimed, now: datetime) -> None:
    """The attempt was delivered."""
    settle(store, [Outcome(claimed, "sent", now)])


def mark_retry(store: Store, claimed: Claimed, error: str, retry_at: datetime) -> None:
    """The attempt failed and may pass later: due again at ``retry_at``."""
    settle(store, [Outcome(claimed, "retry", retry_at, error)])


def mark_dead(store: Store, claimed: Claimed, error: str, now: datetime) -> None:
    """The attempt failed for good (permanent error, or the last attempt allowed)."""
    settle(store, [Outcome(claimed, "dead", now, error)])


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
