"""The outbox dispatcher: deliver pending notifications, with retries, never twice at once.

The rows and their claims are the store's (:mod:`driftwatch.store.outbox`, which states the
guarantee: a claimed row is sent by one dispatcher at a time, a crash mid-send loses nothing and
a re-send carries the same idempotency key). This module decides what to do with each claimed row:
send it through its sink, then settle it as sent, to retry, or dead.

A failed attempt is retried after an exponential backoff with jitter
(``backoff_initial · 2^(attempt-1)``, capped at ``backoff_max``, times a random factor in [0.5, 1]);
after ``max_attempts`` attempts, or at once for a permanent failure, the row is ``dead``:
``driftwatch alerts`` shows it and ``driftwatch alerts retry`` queues it again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from driftwatch.alerts._registry import build_sink
from driftwatch.alerts.base import Sink, SinkOptions, scrub, secret_values
from driftwatch.alerts.payload import Message, test_message
from driftwatch.config import AlertsConfig, Config, SinkConfig
from driftwatch.errors import AlertError, ConfigError, DeliveryError
from driftwatch.store.outbox import claim, due, mark_dead, mark_retry, mark_sent
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import httpx

__all__ = ["DispatchReport", "backoff_delay", "dispatch_pending", "send_test"]

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
        gone = f"sink {name!r} is no longer in the config; add it back and run "
        gone += "`driftwatch alerts retry`"
        return _Target(None, [], LEASE_MARGIN, gone)
    secrets = secret_values(sink_config)
    timeout = getattr(sink_config, "timeout", timedelta(0))
    try:
        sink = build_sink(sink_config, options)
    except AlertError as exc:
        return _Target(None, secrets, LEASE_MARGIN, scrub(str(exc), secrets))
    return _Target(sink, secrets, timeout * 2 + LEASE_MARGIN)


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
    targets: dict[str, _Target] = {}
    delivered = retried = dead = 0
    for row in due(store, clock(), limit):
        target = targets.get(row.sink)
        if target is None:
            target = targets[row.sink] = _target(config, row.sink, options)
        claimed = claim(store, row, clock(), target.lease)
        if claimed is None:
            continue  # another dispatcher has it
        key, attempt = claimed.idempotency_key, claimed.attempt
        error: str | None = target.problem
        permanent = error is not None
        if target.sink is not None:
            try:
                target.sink.send(Message(key, claimed.event, claimed.payload))
            except DeliveryError as exc:
                error, permanent = scrub(str(exc), target.secrets), exc.permanent
            except Exception as exc:  # a sink bug must not lose the notification
                error = f"sink {row.sink!r}: unexpected {type(exc).__name__}; will retry"
        now = clock()
        if error is None:
            mark_sent(store, claimed, now)
            log.info("notification %s delivered to sink %s", key, row.sink)
            delivered += 1
        elif permanent or attempt >= alerts.max_attempts:
            mark_dead(store, claimed, error, now)
            log.warning("notification %s is dead after %d attempt(s): %s", key, attempt, error)
            dead += 1
        else:
            retry_at = now + backoff_delay(attempt, alerts, rng)
            mark_retry(store, claimed, error, retry_at)
            log.info(
                "notification %s attempt %d failed, retry at %s: %s", key, attempt, retry_at, error
            )
            retried += 1
    return DispatchReport(delivered, retried, dead)


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
