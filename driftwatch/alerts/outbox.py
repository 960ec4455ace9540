"""The outbox dispatcher: deliver pending notifications, with retries, never twice at once.

The rows and their claims are the store's (:mod:`driftwatch.store.outbox`, which states the
guarantee: a claimed row is sent by one dispatcher at a time, a crash mid-send loses nothing and
a re-send carries the same idempotency key). This module decides what to do with each claimed row:
send it through its sink, then settle it as sent, to retry, or dead.

A failed attempt is retried after an exponential backoff with jitter
(``backoff_initial · 2^(attempt-1)``, capped at ``backoff_max``, times a random factor in [0.5, 1]),
or after the receiver's ``Retry-After`` when it asks for longer (at most an hour); after
``max_attempts`` attempts, or at once for a permanent failure, the row is ``dead``:
``driftwatch alerts`` shows it and ``driftwatch alerts retry`` queues it again.
"""

from __future__ import annotations

import heapq
import logging
import math
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from driftwatch.alerts._registry import build_sink
from driftwatch.alerts.base import RetryLater, Sink, SinkOptions, scrub, secret_values
from driftwatch.alerts.payload import Message, test_message
from driftwatch.bounded_tasks import Task, run_bounded
from driftwatch.config import AlertsConfig, Config, SinkConfig
from driftwatch.errors import AlertError, ConfigError, DeliveryError, DriftwatchError
from driftwatch.store.outbox import Claimed, Due, Outcome, due, exchange
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import httpx

__all__ = ["DispatchReport", "backoff_delay", "dispatch_pending", "send_deadline", "send_test"]

log = logging.getLogger("driftwatch.alerts")

LEASE_MARGIN = timedelta(seconds=60)
WORKERS = 8
"""The most sends of one sink in flight at once (after its first delivery in a pass)."""
PREFETCH = 8
"""A lane claims rows ahead, up to this many times its sends at once (fewer transactions); a row
whose lease would end before its send could is given back unsent."""
PAGE = 1000
"""Due rows read at a time."""
SETTLE_BATCH = 200
SETTLE_EVERY = 0.2
"""Outcomes are settled in one transaction per this many, or this often (seconds)."""
MAX_RETRY_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatcher pass did: rows delivered, rescheduled for a retry, and given up on."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    """Due rows not attempted: their sink had just failed in this pass, or the pass was stopped
    (sent at the next one)."""

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            self.delivered + other.delivered,
            self.retried + other.retried,
            self.dead + other.dead,
            self.deferred + other.deferred,
        )

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
    limit: int | None = None,
    rng: Callable[[], float] = random.random,
    stop: threading.Event | None = None,
    workers: int = WORKERS,
) -> DispatchReport:
    """Send every due pending notification once (at most ``limit``, None: all); safe to run from
    several processes at once.

    Each sink is a lane of its own, and the lanes run side by side: a dead sink never delays
    another. A lane sends up to ``workers`` notifications at once over one HTTP client (one
    connection pool), oldest first, one alert's notifications (same monitor, feature and metric)
    one after another, each send under the sink's deadline (:func:`send_deadline`); it starts
    with one send at a time and opens up after its first delivery, so a dead sink costs one
    attempt per pass. The first failure that may pass later (a timeout, a refused connection,
    HTTP 5xx) or a send abandoned at its deadline ends the lane for this pass: the sends in flight
    finish and its remaining rows wait, unclaimed, for the next pass (``deferred``). Rows are
    claimed a few at a time just before they are sent and settled in batches (one transaction
    for many rows, see :mod:`driftwatch.store.outbox`).

    Once ``stop`` is set no new send starts: the sends in flight finish (or are abandoned at
    their deadline), claimed rows not yet sent go back to due, and the pass returns; rows not sent
    stay pending (the next dispatcher sends them, with the same idempotency keys).

    Returns how many were delivered, rescheduled, marked dead and deferred. Delivery failures
    are recorded on the rows (secrets scrubbed), never raised; only a store failure raises
    StoreError.
    """
    options = SinkOptions(transport=transport, clock=clock)
    stopping = stop if stop is not None else threading.Event()
    lanes: dict[str, _Lane] = {}
    total = DispatchReport()
    after, left = 0, limit
    try:
        while not stopping.is_set() and (left is None or left > 0):
            size = PAGE if left is None else min(PAGE, left)
            page = due(store, clock(), size, after=after)
            if not page:
                break
            after = page[-1].id
            if left is not None:
                left -= len(page)
            by_sink: dict[str, list[Due]] = {}
            for row in page:
                by_sink.setdefault(row.sink, []).append(row)
            tasks = []
            for name, rows in by_sink.items():
                if name not in lanes:
                    lane = _Lane(store, config, name, options, clock, rng, stopping, workers)
                    lanes[name] = lane
                tasks.append(_lane_task(lanes[name], rows))
            for report in run_bounded(tasks, len(tasks)):
                total = total + report
            if len(page) < size:
                break
    finally:
        for lane in lanes.values():
            lane.close()
    return total


def _lane_task(lane: _Lane, rows: list[Due]) -> Task[DispatchReport]:
    return Task(lambda _guard: lane.deliver(rows), math.inf, DispatchReport, name=lane.label)


def send_deadline(target_timeout: timedelta) -> timedelta:
    """How long one send may take before the dispatcher stops waiting for it: twice the sink's
    ``timeout`` (connect, then read) plus 5 s. The lease of a claim outlasts it by a minute, so
    an abandoned send's row is sent again (same idempotency key) only after the send gave up."""
    return target_timeout * 2 + timedelta(seconds=5)


Alert = tuple[str, str | None, str | None]
"""An alert's notifications (monitor, feature, metric) are sent in order, one at a time."""


@dataclass(frozen=True)
class _Sent:
    """One attempt's result: the error (None: delivered), whether it is permanent, and the wait
    the receiver asked for (seconds)."""

    error: str | None
    permanent: bool = False
    retry_after: float | None = None
    lapsed: bool = False
    """Not sent: the claim's lease would have ended before the send's deadline."""


@dataclass
class _Job:
    claimed: Claimed
    alert: Alert
    deadline: float = math.inf
    """time.monotonic() past which the send is abandoned (set when it starts)."""


class _Lane:
    """One sink's sends during one dispatcher pass (see :func:`dispatch_pending`).

    The lane's thread claims and settles (one transaction for both, now and then), and keeps a
    few claimed rows ready; its workers (daemon threads: an abandoned send never keeps the process
    alive) take them one by one, send, and hand the result back.
    """

    def __init__(
        self,
        store: Store,
        config: Config,
        name: str,
        options: SinkOptions,
        clock: Clock,
        rng: Callable[[], float],
        stop: threading.Event,
        workers: int,
    ) -> None:
        self.store, self.alerts, self.name = store, config.alerts, name
        self.clock, self.rng, self.stop = clock, rng, stop
        self.label = f"sink {name}"
        self.target = _target(config, name, options)
        self.limit = send_deadline(self.target.timeout).total_seconds()
        self.workers = max(1, workers)
        self.capacity = 1
        """Sends at once: one until the first delivery of the pass, then ``workers``."""
        self.ended = False
        """A failure that may pass later, or an abandoned send: the rest waits for the next pass."""

    def close(self) -> None:
        close = getattr(self.target.sink, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:  # a sink's cleanup must not fail the pass
                log.debug("sink %s: close failed: %s", self.name, type(exc).__name__)

    def deliver(self, rows: list[Due]) -> DispatchReport:
        """Send ``rows`` (this sink's, oldest first) as far as the lane gets; see the class."""
        if self.ended or self.stop.is_set():
            return DispatchReport(deferred=len(rows))
        queues: dict[Alert, deque[Due]] = {}
        for row in rows:
            queues.setdefault(row.alert, deque()).append(row)
        ready = [(found[0].id, alert) for alert, found in queues.items()]
        heapq.heapify(ready)  # each alert's oldest row not claimed yet, oldest first
        work = _Work()
        counts = {"sent": 0, "retry": 0, "dead": 0, "lapsed": 0}
        outcomes: list[Outcome] = []
        lapsed: list[Claimed] = []  # claimed, not sent: the lease was too short by then
        flushed = time.monotonic()
        try:
            while True:
                with work.lock:
                    self.ended = self.ended or work.halted
                    halted = self.ended or self.stop.is_set()
                    released = [job.claimed for job in work.ready] if halted else []
                    if halted:
                        work.ready.clear()
                    queued, running = len(work.ready), len(work.running)
                wanted: list[Due] = []
                if not halted and ready and queued < 2 * self.capacity:
                    # Until the first delivery one row at a time: a dead sink costs one attempt.
                    ahead = PREFETCH if self.capacity > 1 else 1
                    room = ahead * self.capacity - queued - running
                    while ready and len(wanted) < room:
                        wanted.append(queues[heapq.heappop(ready)[1]].popleft())
                idle = not queued and not running and not wanted
                full = len(outcomes) >= SETTLE_BATCH or time.monotonic() - flushed >= SETTLE_EVERY
                settle_now = bool(outcomes) and (full or idle or halted)
                if settle_now or released or lapsed or wanted:  # outcomes ride along anyway
                    taken = exchange(
                        self.store,
                        settled=outcomes,
                        released=released + lapsed,
                        wanted=wanted,
                        now=self.clock(),
                        lease=self.target.lease,
                    )
                    outcomes, lapsed, flushed = [], [], time.monotonic()
                    self._hand_out(work, wanted, taken, ready, queues)
                    continue
                if idle and (halted or not ready):
                    break
                for row_id, sent in self._wait(work, 0.05 if outcomes else 0.5):
                    job = work.finish(row_id)
                    if job is None:
                        continue  # abandoned at its deadline: its late result is not settled
                    if sent.lapsed:  # given back; the alert's later rows wait for the next pass
                        lapsed.append(job.claimed)
                        counts["lapsed"] += 1
                        continue
                    outcome = self._outcome(job.claimed, sent)
                    outcomes.append(outcome)
                    counts[outcome.status] += 1
                    if outcome.status == "retry":
                        self.ended = True
                        continue
                    if outcome.status == "sent" and self.capacity < self.workers:
                        self.capacity = self.workers
                        self._staff(work)
                    self._next(ready, queues, job.alert)
                counts["retry"] += self._abandon_late(work)
        finally:
            work.close()
            self._give_back([job.claimed for job in work.ready] + lapsed, outcomes)
        deferred = sum(len(found) for found in queues.values()) + counts["lapsed"]
        if self.ended and deferred:
            log.info("sink %s failed: its %d other due notification(s) wait", self.name, deferred)
        return DispatchReport(counts["sent"], counts["retry"], counts["dead"], deferred)

    def _hand_out(
        self,
        work: _Work,
        wanted: list[Due],
        taken: list[Claimed],
        ready: list[tuple[int, Alert]],
        queues: dict[Alert, deque[Due]],
    ) -> None:
        """Queue the rows claimed for the workers; for a row another dispatcher has, go on with
        its alert's next row."""
        claimed = {c.id: c for c in taken}
        jobs = []
        for row in wanted:
            if row.id in claimed:
                jobs.append(_Job(claimed[row.id], row.alert))
            else:
                self._next(ready, queues, row.alert)
        if jobs:
            with work.lock:
                work.ready.extend(jobs)
                work.lock.notify(len(jobs))
            self._staff(work)

    def _staff(self, work: _Work) -> None:
        """Start workers up to the lane's capacity."""
        while work.staff < self.capacity:
            work.staff += 1
            threading.Thread(
                target=self._worker, args=(work,), name=f"send to {self.name}", daemon=True
            ).start()

    def _worker(self, work: _Work) -> None:
        target = self.target
        while True:
            with work.lock:
                while not work.closed and (not work.ready or work.halted or self.stop.is_set()):
                    work.lock.wait(0.5 if work.ready else None)  # the stop has no condition
                if work.closed:
                    return
                job = work.ready.popleft()
                job.deadline = time.monotonic() + self.limit
                work.running[job.claimed.id] = job
            claimed = job.claimed
            if target.sink is None:
                sent = _Sent(target.problem, permanent=True)
            elif self.clock() + send_deadline(target.timeout) > claimed.lease_end:
                sent = _Sent(None, lapsed=True)  # another dispatcher may take it once it ends
            else:
                message = Message.stored(claimed.idempotency_key, claimed.event, claimed.payload)
                sent = _attempt(target.sink, message, target.secrets, self.name)
            retry = sent.error is not None and not sent.permanent
            if retry and claimed.attempt < self.alerts.max_attempts:
                with work.lock:  # the lane ends: the other workers start nothing more
                    work.halted = True
            work.results.put((claimed.id, sent))

    @staticmethod
    def _next(
        ready: list[tuple[int, Alert]], queues: dict[Alert, deque[Due]], alert: Alert
    ) -> None:
        if queues[alert]:
            heapq.heappush(ready, (queues[alert][0].id, alert))

    @staticmethod
    def _wait(work: _Work, most: float) -> list[tuple[int, _Sent]]:
        """The results that came within ``most`` seconds (less when a deadline comes first)."""
        with work.lock:
            deadlines = [job.deadline for job in work.running.values()]
        if deadlines:
            most = min(most, max(0.0, min(deadlines) - time.monotonic()))
        found = []
        try:
            found.append(work.results.get(timeout=most) if most > 0 else work.results.get_nowait())
            while True:
                found.append(work.results.get_nowait())
        except queue.Empty:
            pass
        return found

    def _abandon_late(self, work: _Work) -> int:
        """Stop waiting for the sends past their deadline; returns how many. Their rows stay
        claimed until the lease ends, then they are due again (the abandoned send may still
        land; the re-send carries the same idempotency key)."""
        now = time.monotonic()
        with work.lock:
            late = [job for job in work.running.values() if now >= job.deadline]
            for job in late:
                del work.running[job.claimed.id]
        for job in late:
            error = f"sink {self.name!r}: no answer within {self.limit:g} s; will retry"
            log.warning("notification %s: %s", job.claimed.idempotency_key, error)
            self.ended = True
        return len(late)

    def _outcome(self, claimed: Claimed, sent: _Sent) -> Outcome:
        key, attempt, error = claimed.idempotency_key, claimed.attempt, sent.error
        now = self.clock()
        if error is None:
            log.debug("notification %s delivered to sink %s", key, self.name)
            return Outcome(claimed, "sent", now)
        if sent.permanent or attempt >= self.alerts.max_attempts:
            log.warning("notification %s is dead after %d attempt(s): %s", key, attempt, error)
            return Outcome(claimed, "dead", now, error)
        wait = backoff_delay(attempt, self.alerts, self.rng)
        if sent.retry_after is not None:  # the receiver's wish, within bounds, never below ours
            wait = max(wait, min(timedelta(seconds=sent.retry_after), MAX_RETRY_AFTER))
        retry_at = now + wait
        log.info(
            "notification %s attempt %d failed, retry at %s: %s", key, attempt, retry_at, error
        )
        return Outcome(claimed, "retry", retry_at, error)

    def _give_back(self, left: list[Claimed], outcomes: list[Outcome]) -> None:
        """At the end of a lane (or when the store failed it): settle what is known and release
        what was claimed and not started."""
        if not left and not outcomes:
            return
        try:
            exchange(self.store, settled=outcomes, released=left, now=self.clock())
        except DriftwatchError as exc:  # the leases expire by themselves
            log.warning("sink %s: could not settle the last attempts: %s", self.name, exc)


class _Work:
    """What a lane's thread shares with its workers."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.ready: deque[_Job] = deque()
        """Claimed, not started."""
        self.running: dict[int, _Job] = {}
        self.results: queue.SimpleQueue[tuple[int, _Sent]] = queue.SimpleQueue()
        self.staff = 0
        self.halted = False
        """A send failed and may pass later: no new send starts (the lane ends)."""
        self.closed = False

    def finish(self, row_id: int) -> _Job | None:
        """The job of a result, None when it was abandoned."""
        with self.lock:
            return self.running.pop(row_id, None)

    def close(self) -> None:
        """Let the workers go once they are idle (a stuck one leaves when its send returns)."""
        with self.lock:
            self.closed = True
            self.lock.notify_all()


def _attempt(sink: Sink, message: Message, secrets: list[str], name: str) -> _Sent:
    """One send, its failure scrubbed of the sink's secrets."""
    try:
        sink.send(message)
    except RetryLater as exc:
        return _Sent(scrub(str(exc), secrets), retry_after=exc.retry_after)
    except DeliveryError as exc:
        return _Sent(scrub(str(exc), secrets), exc.permanent)
    except Exception as exc:  # a sink bug must not lose the notification
        return _Sent(f"sink {name!r}: unexpected {type(exc).__name__}; will retry")
    return _Sent(None)


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
    finally:
        close = getattr(sink, "close", None)
        if callable(close):
            close()
    return message
