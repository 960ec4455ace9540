"""Draining the outbox: many notifications fast and exactly once, one alert's in order, a stop that
starts nothing new and loses nothing, and a superseded claim that never writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.config import Config
from driftwatch.store import Store
from driftwatch.store.models import Notification
from driftwatch.store.outbox import (
    NewNotification,
    Outcome,
    claim,
    due,
    exchange,
    outbox_counts,
    queue,
    retry_dead,
)
from tests.alerts.conftest import Receiver

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=65)


def webhook(url: str, **extra: object) -> dict[str, object]:
    return {"name": "hook", "type": "webhook", "url": url, **extra}


def enqueue(store: Store, count: int, *, features: int = 100, at: datetime = NOW) -> list[str]:
    """``count`` firing notifications for sink ``hook``, ``features`` alerts taking turns."""
    keys = [f"drain-{i:06d}" for i in range(count)]
    with store.session() as session:
        queue(
            session,
            [
                NewNotification(
                    key, "hook", "firing", "model", f"f{i % features}", "js", "warn", None,
                    {"idempotency_key": key, "event": "firing", "seq": i}, at,
                )
                for i, key in enumerate(keys)
            ],
        )  # fmt: skip
    return keys


def rows(store: Store) -> dict[str, tuple[str, int]]:
    """idempotency key → (status, attempts)."""
    with store.session() as session:
        found = session.execute(
            sa.select(Notification.idempotency_key, Notification.status, Notification.attempts)
        ).all()
    return {key: (status, attempts) for key, status, attempts in found}


def received(receiver: Receiver) -> list[str]:
    return [r.headers["x-driftwatch-idempotency-key"] for r in list(receiver.requests)]


# --- a claim's token --------------------------------------------------------------------------


def test_a_superseded_claim_never_writes_its_settle(store: Store) -> None:
    enqueue(store, 1)
    (row,) = due(store, NOW, 10)
    first = claim(store, row, NOW, LEASE)  # a dispatcher that then pauses past its lease
    assert first is not None
    later = NOW + LEASE + timedelta(seconds=1)
    assert claim(store, row, NOW, LEASE) is None  # held: nobody else gets it meanwhile
    (again,) = due(store, later, 10)
    second = claim(store, again, later, LEASE)
    assert second is not None and second.attempt == 2

    exchange(store, settled=[Outcome(first, "sent", later)], now=later)  # the paused one wakes

    assert rows(store) == {"drain-000000": ("pending", 2)}  # the newer claim still holds it
    exchange(store, settled=[Outcome(second, "sent", later)], now=later)
    assert rows(store) == {"drain-000000": ("sent", 2)}


def test_a_claim_superseded_by_a_requeued_row_at_the_same_attempt_never_writes(
    store: Store,
) -> None:
    enqueue(store, 1)
    (row,) = due(store, NOW, 10)
    stale = claim(store, row, NOW, LEASE)  # attempt 1, then its dispatcher hangs
    assert stale is not None
    later = NOW + LEASE * 2
    (again,) = due(store, later, 10)
    taken = claim(store, again, later, LEASE)
    assert taken is not None
    exchange(store, settled=[Outcome(taken, "dead", later, "HTTP 400")], now=later)
    assert retry_dead(store, clock=lambda: later) == 1  # attempts back to 0
    (requeued,) = due(store, later, 10)
    fresh = claim(store, requeued, later, LEASE)
    assert fresh is not None and fresh.attempt == stale.attempt == 1  # same attempt number

    exchange(store, settled=[Outcome(stale, "retry", later, "late")], now=later)

    with store.session() as session:
        error, until = session.execute(
            sa.select(Notification.last_error, Notification.next_attempt_at)
        ).one()
    assert until == fresh.lease_end and error == "HTTP 400"  # the stale write matched nothing


def test_rows_given_back_are_due_again_at_their_attempt(store: Store) -> None:
    enqueue(store, 3)
    taken = exchange(store, wanted=due(store, NOW, 10), now=NOW, lease=LEASE)
    assert [c.attempt for c in taken] == [1, 1, 1] and due(store, NOW, 10) == []
    exchange(store, released=taken[1:], now=NOW)
    assert [(r.id, r.attempts) for r in due(store, NOW, 10)] == [(2, 0), (3, 0)]


def test_two_dispatchers_claiming_the_same_rows_get_each_row_once(store: Store) -> None:
    enqueue(store, 200)
    wanted = due(store, NOW, 500)
    got: list[list[int]] = [[], []]

    def take(slot: int) -> None:
        for start in range(0, len(wanted), 20):
            batch = exchange(store, wanted=wanted[start : start + 20], now=NOW, lease=LEASE)
            got[slot].extend(c.id for c in batch)

    threads = [threading.Thread(target=take, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(got[0] + got[1]) == [row.id for row in wanted]


# --- a pass ---------------------------------------------------------------------------------


def test_one_alerts_notifications_arrive_in_order_while_others_go_side_by_side(
    sqlite_store: Store, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    keys = enqueue(sqlite_store, 120, features=6)
    receiver.delay = 0.01

    report = dispatch_pending(sqlite_store, config, clock=lambda: NOW)

    assert report.delivered == 120
    got = received(receiver)
    assert sorted(got) == keys
    for feature in range(6):  # each alert's keys in the order they were queued
        mine = [key for key in got if int(key.split("-")[1]) % 6 == feature]
        assert mine == sorted(mine)


def test_a_stop_starts_no_new_send_and_leaves_the_rest_pending(
    sqlite_store: Store, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    keys = enqueue(sqlite_store, 400)
    stop = threading.Event()
    receiver.delay = 0.02
    seen_at_stop: list[int] = []

    def stop_after_some() -> None:
        while len(receiver.requests) < 40:
            time.sleep(0.005)
        seen_at_stop.append(len(receiver.requests))
        stop.set()

    watcher = threading.Thread(target=stop_after_some, daemon=True)
    watcher.start()
    report = dispatch_pending(sqlite_store, config, clock=lambda: NOW, stop=stop)
    watcher.join(10)

    got = received(receiver)
    assert len(got) <= seen_at_stop[0] + 8  # only the sends already in flight
    state = rows(sqlite_store)
    sent = {key for key, (status, _) in state.items() if status == "sent"}
    assert sent == set(got) and len(got) == len(set(got)) == report.delivered
    rest = {key: value for key, value in state.items() if key not in sent}
    assert set(rest.values()) == {("pending", 0)}  # claimed and not sent: given back, uncounted

    receiver.delay = 0.0
    again = dispatch_pending(sqlite_store, config, clock=lambda: NOW)
    assert again.delivered == len(rest)
    assert sorted(received(receiver)) == keys  # every one exactly once


# --- 10,000 notifications ------------------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_notifications_reach_the_receiver_within_a_minute_exactly_once(
    store: Store, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    keys = enqueue(store, 10_000)

    started = time.perf_counter()
    report = dispatch_pending(store, config, clock=lambda: NOW)
    seconds = time.perf_counter() - started

    assert (report.delivered, report.retried, report.dead, report.deferred) == (10_000, 0, 0, 0)
    assert sorted(received(receiver)) == keys  # each once
    assert outbox_counts(store) == {"sent": 10_000}
    assert seconds <= 60, f"{seconds:.1f} s"
    print(f"{store.engine.dialect.name}: 10,000 in {seconds:.1f} s = {10_000 / seconds:.0f}/s")


def test_dispatch_report_adds_up() -> None:
    from driftwatch.alerts.outbox import DispatchReport

    total = DispatchReport(1, 2, 3, 4) + DispatchReport(10, 20, 30, 40)
    assert total == DispatchReport(11, 22, 33, 44)
