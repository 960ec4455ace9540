"""The outbox over real receivers on 127.0.0.1: signed webhooks, retries, dead letters, timeouts."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from driftwatch.alerts.outbox import dispatch_pending, send_test
from driftwatch.config import Config
from driftwatch.errors import DeliveryError
from driftwatch.store import Store
from driftwatch.store.models import Notification
from driftwatch.store.outbox import retry_dead
from tests.alerts.conftest import Receiver, free_port, run_levels
from tests.helpers import FakeClock

SECRET = "whsec-test-0123456789"


def _readme_recipe() -> Callable[..., bool]:
    """The README's verification recipe, executed exactly as documented."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(import hashlib, hmac, time\n.+?)```", readme, re.S)
    assert match is not None, "README lost its signature verification recipe"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)
    return namespace["verify_signature"]  # type: ignore[no-any-return]


verify_signature = _readme_recipe()


def webhook(url: str, **extra: object) -> dict[str, object]:
    return {"name": "hook", "type": "webhook", "url": url, "secret": SECRET, **extra}


def rows(store: Store) -> list[tuple[str, int, str | None]]:
    with store.session() as session:
        found = session.execute(
            sa.select(Notification.status, Notification.attempts, Notification.last_error)
        ).all()
    return [(s, a, e) for s, a, e in found]


@pytest.fixture
def real_clock() -> FakeClock:
    """A fake clock starting now, so signature timestamps are fresh for the recipe."""
    from driftwatch.timeutil import system_clock

    return FakeClock(system_clock())


def test_webhook_receives_a_signed_self_contained_payload(
    sqlite_store: Store,
    real_clock: FakeClock,
    receiver: Receiver,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[webhook(receiver.url, headers={"X-Team": "ml"})])
    run_levels(config, sqlite_store, real_clock, step=timedelta(0), x="critical")
    report = dispatch_pending(sqlite_store, config, clock=real_clock)
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    (request,) = receiver.requests
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "ml"
    assert verify_signature(SECRET, request.headers["x-driftwatch-signature"], request.body)
    assert not verify_signature("wrong", request.headers["x-driftwatch-signature"], request.body)
    payload = request.json()
    assert request.headers["x-driftwatch-idempotency-key"] == payload["idempotency_key"]
    assert request.headers["x-driftwatch-event"] == "firing"
    assert payload["monitor"] == "model" and payload["event"] == "firing"
    assert payload["feature"] == "x" and payload["metric"] == "js"
    assert payload["severity"] == "critical" and payload["threshold"] == 0.25
    assert payload["value"] == pytest.approx(0.311, abs=1e-3)
    assert payload["n_live"] == 500
    assert payload["window"]["end"] is not None
    top = payload["top_bins"][0]
    assert top["label"] == "(10, +inf)"
    assert (top["reference_share"], top["live_share"]) == (0.0, 0.5)
    assert top["contribution"] > 0
    assert rows(sqlite_store) == [("sent", 1, None)]


def test_a_tampered_body_fails_verification(
    sqlite_store: Store,
    real_clock: FakeClock,
    receiver: Receiver,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    run_levels(config, sqlite_store, real_clock, step=timedelta(0), x="warn")
    dispatch_pending(sqlite_store, config, clock=real_clock)
    (request,) = receiver.requests
    tampered = request.body.replace(b'"warn"', b'"ok"')
    assert not verify_signature(SECRET, request.headers["x-driftwatch-signature"], tampered)


def test_500_twice_then_200_is_delivered_exactly_once(
    store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)], alerts={"backoff_initial": "10s"})
    receiver.respond(500, 500)
    run_levels(config, store, clock, x="warn")
    reports = []
    for _ in range(4):
        reports.append(dispatch_pending(store, config, clock=clock, rng=lambda: 1.0))
        clock.advance(timedelta(minutes=5))
    assert [(r.delivered, r.retried) for r in reports] == [(0, 1), (0, 1), (1, 0), (0, 0)]
    keys = {r.headers["x-driftwatch-idempotency-key"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1
    assert rows(store) == [("sent", 3, None)]


def test_backoff_waits_before_the_next_attempt(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)], alerts={"backoff_initial": "60s"})
    receiver.respond(503, 503)
    run_levels(config, sqlite_store, clock, x="warn")
    dispatch_pending(sqlite_store, config, clock=clock, rng=lambda: 1.0)
    clock.advance(timedelta(seconds=59))
    assert dispatch_pending(sqlite_store, config, clock=clock).attempted == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert dispatch_pending(sqlite_store, config, clock=clock, rng=lambda: 1.0).retried == 1
    clock.advance(timedelta(seconds=119))  # the second wait is twice as long
    assert dispatch_pending(sqlite_store, config, clock=clock).attempted == 0
    clock.advance(timedelta(seconds=1))
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1


def test_a_receiver_that_is_down_gets_it_once_it_comes_up(
    sqlite_store: Store,
    clock: FakeClock,
    make_receiver: Callable[[int], Receiver],
    alert_config: Callable[..., Config],
) -> None:
    down = make_receiver(free_port())
    config = alert_config(sinks=[webhook(down.url)])
    run_levels(config, sqlite_store, clock, x="warn")
    report = dispatch_pending(sqlite_store, config, clock=clock)
    assert report.retried == 1
    ((status, attempts, error),) = rows(sqlite_store)
    assert (status, attempts) == ("pending", 1) and "cannot connect" in (error or "")
    down.start()
    clock.advance(timedelta(hours=1))
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    assert len(down.requests) == 1


def test_a_slow_receiver_times_out_and_is_retried(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url, timeout="200ms")])
    receiver.delay = 10.0  # far beyond the 200 ms timeout, so machine load cannot blur the two
    run_levels(config, sqlite_store, clock, x="warn")
    started = time.perf_counter()
    report = dispatch_pending(sqlite_store, config, clock=clock)
    assert time.perf_counter() - started < 5.0
    assert report.retried == 1
    assert "timed out" in (rows(sqlite_store)[0][2] or "")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        pytest.param(400, "dead", id="400-permanent"),
        pytest.param(401, "dead", id="401-permanent"),
        pytest.param(404, "dead", id="404-permanent"),
        pytest.param(408, "pending", id="408-retry"),
        pytest.param(429, "pending", id="429-retry"),
        pytest.param(502, "pending", id="502-retry"),
    ],
)
def test_http_status_decides_retry_or_dead(
    sqlite_store: Store,
    clock: FakeClock,
    receiver: Receiver,
    alert_config: Callable[..., Config],
    status: int,
    outcome: str,
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    receiver.respond(status)
    run_levels(config, sqlite_store, clock, x="warn")
    dispatch_pending(sqlite_store, config, clock=clock)
    ((got, attempts, error),) = rows(sqlite_store)
    assert (got, attempts) == (outcome, 1)
    assert f"HTTP {status}" in (error or "")


def test_after_max_attempts_it_is_dead_and_retry_resends_it(
    store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)], alerts={"max_attempts": 2})
    receiver.respond(500, 500)
    run_levels(config, store, clock, x="warn")
    dispatch_pending(store, config, clock=clock)
    clock.advance(timedelta(hours=2))
    assert dispatch_pending(store, config, clock=clock).dead == 1
    assert rows(store)[0][:2] == ("dead", 2)
    assert retry_dead(store, clock=clock) == 1
    assert dispatch_pending(store, config, clock=clock).delivered == 1
    assert rows(store) == [("sent", 1, None)]
    assert len({r.headers["x-driftwatch-idempotency-key"] for r in receiver.requests}) == 1


def test_two_dispatchers_never_send_the_same_row(
    store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    config = alert_config(sinks=[webhook(receiver.url)])
    for _ in range(6):  # six episodes: six notifications
        run_levels(config, store, clock, x="warn")
        run_levels(config, store, clock, x="ok")
    receiver.delay = 0.02
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: dispatch_pending(store, config, clock=clock), range(2)))
    assert sum(r.delivered for r in reports) == 12
    keys = [r.headers["x-driftwatch-idempotency-key"] for r in receiver.requests]
    assert len(keys) == len(set(keys)) == 12


def test_a_sink_removed_from_the_config_marks_its_notifications_dead(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    run_levels(alert_config(sinks=[webhook(receiver.url)]), sqlite_store, clock, x="warn")
    report = dispatch_pending(sqlite_store, alert_config(sinks=[]), clock=clock)
    assert report.dead == 1
    assert "no longer in the config" in (rows(sqlite_store)[0][2] or "")


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        pytest.param(200, None, id="200"),
        pytest.param(204, None, id="204"),
        pytest.param(301, True, id="301"),
        pytest.param(403, True, id="403"),
        pytest.param(408, False, id="408"),
        pytest.param(429, False, id="429"),
        pytest.param(500, False, id="500"),
        pytest.param(503, False, id="503"),
    ],
)
def test_injected_transport_classifies_every_status(
    alert_config: Callable[..., Config], status: int, permanent: bool | None
) -> None:
    config = alert_config(sinks=[webhook("https://hooks.example.com/drift")])
    transport = httpx.MockTransport(lambda request: httpx.Response(status))
    if permanent is None:
        send_test(config, "hook", transport=transport)
        return
    with pytest.raises(DeliveryError, match=f"HTTP {status}") as raised:
        send_test(config, "hook", transport=transport)
    assert raised.value.permanent is permanent
