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
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from driftwatch.alerts._registry import build_sink
from driftwatch.alerts.base import Sink, SinkOptions, scrub, secret_values
from driftwatch.alerts.payload import Message, test_message
from driftwatch.bounded_tasks import Guard, Task, run_bounded
from driftwatch.config import AlertsConfig, Config, SinkConfig
from driftwatch.errors import AlertError, ConfigError, DeliveryError
from driftwatch.store.outbox import Claimed, Due, claim, due, mark_dead, mark_retry, mark_sent
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import httpx

__all__ = ["DispatchReport", "backoff_delay", "dispatch_pending", "send_deadline", "send_test"]

log = logging.getLogger("driftwatch.alerts")

LEASE_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatcher pass did: rows delivered, rescheduled for a retry, and given up on."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    """Due rows not attempted: their sink had just failed in this pass (sent at the next one)."""

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead

    def __str__(self) -> str:
        text = f"{self.delivered} delivered, {self.retried} to retry, {self.dead} dead"
        return f"{text}, {self.deferred} deferred" if self.deferred else text


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
    timeout: timedelta = timedelta(0)


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
    return _Target(sink, secrets, send_deadline(timeout) + LEASE_MARGIN, timeout=timeout)


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

    Each sink is a lane of its own, and the lanes run side by side: a dead sink never delays
    another. Within a lane the rows go oldest first, each send under the sink's deadline
    (:func:`send_deadline`); the first failure that may pass later (a timeout, a refused
    connection, HTTP 5xx) ends the lane for this pass, and its remaining rows wait, unclaimed, for
    the next one (``deferred``), so a dead sink costs one timeout per pass, not one per row.

    Returns how many were delivered, rescheduled, marked dead and deferred. Delivery failures
    are recorded on the rows (secrets scrubbed), never raised; only a store failure raises
    StoreError.
    """
    options = SinkOptions(transport=transport, clock=clock)
    lanes: dict[str, list[Due]] = {}
    for row in due(store, clock(), limit):
        lanes.setdefault(row.sink, []).append(row)

    def lane(name: str, rows: list[Due]) -> Task[DispatchReport]:
        def deliver(_guard: Guard) -> DispatchReport:
            target = _target(config, name, options)
            return _deliver_lane(store, config, target, name, rows, clock, rng)

        return Task(deliver, math.inf, DispatchReport, name=f"sink {name}")

    reports = run_bounded([lane(n, r) for n, r in lanes.items()], max(1, len(lanes)))
    return DispatchReport(
        sum(r.delivered for r in reports),
        sum(r.retried for r in reports),
        sum(r.dead for r in reports),
        sum(r.deferred for r in reports),
    )


def send_deadline(target_timeout: timedelta) -> timedelta:
    """How long one send may take before the dispatcher stops waiting for it: twice the sink's
    ``timeout`` (connect, then read) plus 5 s. The lease of a claim outlasts it by a minute, so
    an abandoned send's row is sent again (same idempotency key) only after the send gave up."""
    return target_timeout * 2 + timedelta(seconds=5)


def _deliver_lane(
    store: Store,
    config: Config,
    target: _Target,
    name: str,
    rows: list[Due],
    clock: Clock,
    rng: Callable[[], float],
) -> DispatchReport:
    """Deliver one sink's due rows in order until a retryable failure (see dispatch_pending)."""
    alerts = config.alerts
    delivered = retried = dead = 0
    for index, row in enumerate(rows):
        claimed = claim(store, row, clock(), target.lease)
        if claimed is None:
            continue  # another dispatcher has it
        key, attempt = claimed.idempotency_key, claimed.attempt
        sent = _send(target, name, claimed)
        error, permanent = sent.error, sent.permanent
        now = clock()
        if sent.abandoned:
            # Not settled: the row stays claimed until its lease ends, then it is due again (the
            # abandoned send may still land; the re-send carries the same idempotency key).
            log.warning("notification %s: %s", key, error)
            left = len(rows) - index - 1
            return DispatchReport(delivered, retried + 1, dead, left)
        if error is None:
            mark_sent(store, claimed, now)
            log.info("notification %s delivered to sink %s", key, name)
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
            left = len(rows) - index - 1
            if left:
                log.info("sink %s failed: its %d other due notification(s) wait", name, left)
            return DispatchReport(delivered, retried, dead, left)
    return DispatchReport(delivered, retried, dead)


@dataclass(frozen=True)
class _Sent:
    """One attempt's result: the error (None: delivered), whether it is permanent, and whether
    the dispatcher stopped waiting for it at its deadline."""

    error: str | None
    permanent: bool = False
    abandoned: bool = False


def _send(target: _Target, name: str, claimed: Claimed) -> _Sent:
    """One attempt under the sink's deadline (:func:`send_deadline`).

    A send still running at its deadline is abandoned: the caller leaves its row claimed until the
    lease expires, then it is due again. A late success of the abandoned send is not settled (the
    lease's re-send carries the same idempotency key, so a receiver drops the duplicate).
    """
    sink = target.sink
    if sink is None:
        return _Sent(target.problem, permanent=True)
    message = Message.stored(claimed.idempotency_key, claimed.event, claimed.payload)

    def attempt(_guard: Guard) -> _Sent:
        try:
            sink.send(message)
        except DeliveryError as exc:
            return _Sent(scrub(str(exc), target.secrets), exc.permanent)
        except Exception as exc:  # a sink bug must not lose the notification
            return _Sent(f"sink {name!r}: unexpected {type(exc).__name__}; will retry")
        return _Sent(None)

    limit = send_deadline(target.timeout)

    def timed_out() -> _Sent:
        seconds = f"{limit.total_seconds():g}"
        return _Sent(f"sink {name!r}: no answer within {seconds} s; will retry", abandoned=True)

    task = Task(attempt, limit.total_seconds(), timed_out, name=f"send to {name}")
    return run_bounded([task], 1)[0]


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
