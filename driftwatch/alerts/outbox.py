"""The outbox dispatcher: deliver pending notifications, with retries, never twice at once.

Notifications are rows of the ``notifications`` table, written in the run's transaction. The
dispatcher picks the due ones (``status='pending' AND next_attempt_at <= now``) and, before sending
each, *claims* it with one conditional UPDATE that bumps ``attempts`` and pushes
``next_attempt_at`` a lease into the future. Only the dispatcher whose UPDATE matched sends, so two
dispatchers (two processes, two machines) never send the same row at the same time. If the sender
dies mid-send, the row becomes due again when the lease expires and is sent again with the same
idempotency key, which lets the receiver drop the duplicate: delivery is at-least-once, and
exactly-once for receivers that honour the key.

A failed attempt is retried after an exponential backoff with jitter
(``backoff_initial · 2^(attempt-1)``, capped at ``backoff_max``, times a random factor in [0.5, 1]);
after ``max_attempts`` attempts, or at once for a permanent failure, the row is ``dead``:
``driftwatch alerts`` shows it and ``driftwatch alerts retry`` queues it again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from driftwatch.alerts.base import Sink, SinkOptions, build_sink, scrub, secret_values
from driftwatch.alerts.payload import Message, test_message
from driftwatch.config import AlertsConfig, Config, SinkConfig
from driftwatch.errors import AlertError, ConfigError, DeliveryError
from driftwatch.store.models import Notification
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DispatchReport",
    "backoff_delay",
    "dispatch_pending",
    "notifications_frame",
    "retry_dead",
    "send_test",
]

log = logging.getLogger("driftwatch.alerts")

LEASE_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatcher pass did: rows delivered, rescheduled for a retry, and given up on."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retried} to retry, {self.dead} dead"


def backoff_delay(attempt: int, alerts: AlertsConfig, rng: Callable[[], float]) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): capped exponential, jittered."""
    base = alerts.backoff_initial * (2 ** min(attempt - 1, 30))
    capped: timedelta = min(base, alerts.backoff_max)
    return capped * (0.5 + 0.5 * rng())


@dataclass
class _Target:
    sink: Sink | None
    secrets: list[str]
    lease: timedelta
    problem: str | None = None


def _target(config: Config, name: str, options: SinkOptions) -> _Target:
    try:
        sink_config: SinkConfig = config.sink(name)
    except ConfigError:
        return _Target(
            None, [], LEASE_MARGIN, f"sink {name!r} is no longer in the config; add it back "
            "and run `driftwatch alerts retry`"
        )  # fmt: skip
    secrets = secret_values(sink_config)
    timeout = getattr(sink_config, "timeout", timedelta(0))
    try:
        sink = build_sink(sink_config, options)
    except AlertError as exc:
        return _Target(None, secrets, LEASE_MARGIN, scrub(str(exc), secrets))
    return _Target(sink, secrets, timeout * 2 + LEASE_MARGIN)


def _claim(store: Store, row_id: int, attempts: int, now: datetime, lease: timedelta) -> bool:
    with store.session() as session:
        result = session.execute(
            sa.update(Notification)
            .where(
                Notification.id == row_id,
                Notification.status == "pending",
                Notification.attempts == attempts,
                Notification.next_attempt_at <= now,
            )
            .values(attempts=attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _finish(store: Store, row_id: int, attempts: int, **values: object) -> None:
    """Record the attempt's outcome, unless another dispatcher re-claimed the row meanwhile."""
    with store.session() as session:
        session.execute(
            sa.update(Notification)
            .where(
                Notification.id == row_id,
                Notification.status == "pending",
                Notification.attempts == attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def dispatch_pending(
    store: Store,
    config: Config,
    *,
    clock: Clock = system_clock,
    transport: httpx.BaseTransport | None = None,
    limit: int = 1000,
    rng: Callable[[], float] = random.random,
) -> DispatchReport:
    """Send every due pending notification once; safe to run from several processes at once.

    Returns how many were delivered, rescheduled and marked dead. Delivery failures are recorded
    on the rows (secrets scrubbed), never raised; only a store failure raises StoreError.
    """
    alerts = config.alerts
    options = SinkOptions(transport=transport, clock=clock)
    with store.session() as session:
        due = session.execute(
            sa.select(Notification.id, Notification.attempts, Notification.sink)
            .where(Notification.status == "pending", Notification.next_attempt_at <= clock())
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    targets: dict[str, _Target] = {}
    delivered = retried = dead = 0
    for row_id, attempts, sink_name in due:
        target = targets.get(sink_name)
        if target is None:
            target = targets[sink_name] = _target(config, sink_name, options)
        if not _claim(store, row_id, attempts, clock(), target.lease):
            continue  # another dispatcher has it
        attempt = attempts + 1
        with store.session() as session:
            key, event, payload = session.execute(
                sa.select(
                    Notification.idempotency_key, Notification.event, Notification.payload
                ).where(Notification.id == row_id)
            ).one()
        error: str | None = target.problem
        permanent = error is not None
        if target.sink is not None:
            try:
                target.sink.send(Message(key, event, payload))
            except DeliveryError as exc:
                error, permanent = scrub(str(exc), target.secrets), exc.permanent
            except Exception as exc:  # a sink bug must not lose the notification
                error = f"sink {sink_name!r}: unexpected {type(exc).__name__}; will retry"
        now = clock()
        if error is None:
            _finish(store, row_id, attempt, status="sent", sent_at=now, last_error=None)
            log.info("notification %s delivered to sink %s", key, sink_name)
            delivered += 1
        elif permanent or attempt >= alerts.max_attempts:
            _finish(store, row_id, attempt, status="dead", last_error=error, next_attempt_at=now)
            log.warning("notification %s is dead after %d attempt(s): %s", key, attempt, error)
            dead += 1
        else:
            retry_at = now + backoff_delay(attempt, alerts, rng)
            _finish(store, row_id, attempt, last_error=error, next_attempt_at=retry_at)
            log.info(
                "notification %s attempt %d failed, retry at %s: %s", key, attempt, retry_at, error
            )
            retried += 1
    return DispatchReport(delivered, retried, dead)


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


def send_test(
    config: Config,
    sink_name: str,
    *,
    clock: Clock = system_clock,
    transport: httpx.BaseTransport | None = None,
) -> Message:
    """Send a test notification straight to one sink (not through the outbox).

    Raises ConfigError for an unknown sink and DeliveryError (secrets scrubbed) when it fails.
    """
    sink_config = config.sink(sink_name)
    message = test_message(sink_name, clock())
    sink = build_sink(sink_config, SinkOptions(transport=transport, clock=clock))
    try:
        sink.send(message)
    except DeliveryError as exc:
        raise DeliveryError(
            scrub(str(exc), secret_values(sink_config)), permanent=exc.permanent
        ) from None
    return message


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
    return pd.DataFrame([tuple(r) for r in rows], columns=NOTIFICATION_COLUMNS)
