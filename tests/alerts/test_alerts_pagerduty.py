"""The ``pagerduty`` sink against a local receiver that checks the Events API v2 schema.

The receiver (a real HTTP server on 127.0.0.1) enforces what PagerDuty documents for
``POST /v2/enqueue``: ``routing_key``, ``event_action`` in trigger/acknowledge/resolve, a
``dedup_key`` of at most 255 characters (required to resolve), and for a trigger a ``payload``
with ``summary`` (≤ 1024 characters), ``source`` and ``severity`` in critical/error/warning/info;
``links`` entries need ``href``. A valid event gets ``202`` with ``{"status": "success",
"dedup_key": ...}``, an invalid one ``400`` with ``{"status": "invalid event", "errors": [...]}``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.config import Config, load_config
from driftwatch.store import Store
from tests.alerts.conftest import config_dict, run_levels
from tests.helpers import FakeClock

ROUTING_KEY = "R0UT1NGKEYdriftwatch0123456789ab"
SEVERITIES = {"critical", "error", "warning", "info"}


def schema_errors(event: Any) -> list[str]:
    errors: list[str] = []
    if not isinstance(event, dict):
        return ["body is not a JSON object"]
    if not isinstance(event.get("routing_key"), str) or not event["routing_key"]:
        errors.append("routing_key is required")
    action = event.get("event_action")
    if action not in {"trigger", "acknowledge", "resolve"}:
        errors.append(f"event_action {action!r} is invalid")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("dedup_key must be a string of at most 255 characters")
    if action in {"acknowledge", "resolve"} and not dedup:
        errors.append("dedup_key is required to acknowledge or resolve")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("payload is required for a trigger")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary or len(summary) > 1024:
                errors.append("payload.summary must be 1..1024 characters")
            if not isinstance(payload.get("source"), str) or not payload["source"]:
                errors.append("payload.source is required")
            if payload.get("severity") not in SEVERITIES:
                errors.append(f"payload.severity {payload.get('severity')!r} is invalid")
            if "timestamp" in payload:
                datetime.fromisoformat(payload["timestamp"])
    for link in event.get("links", []):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            errors.append("links[].href is required")
    return errors


class EventsApi:
    """PagerDuty's Events API v2 as far as the docs specify it, on 127.0.0.1."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.invalid: list[list[str]] = []
        self.statuses: deque[int] = deque()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if (
                    self.path != "/v2/enqueue"
                    or self.headers.get("Content-Type") != "application/json"
                ):
                    return self._answer(404, {"status": "not found"})
                if api.statuses:
                    return self._answer(api.statuses.popleft(), {"status": "throttled"})
                event = json.loads(body)
                errors = schema_errors(event)
                if errors:
                    api.invalid.append(errors)
                    return self._answer(400, {"status": "invalid event", "errors": errors})
                api.events.append(event)
                self._answer(
                    202,
                    {
                        "status": "success",
                        "message": "Event processed",
                        "dedup_key": event.get("dedup_key"),
                    },
                )

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/enqueue"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def events_api() -> Iterator[EventsApi]:
    api = EventsApi()
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def pd_config(
    events_api: EventsApi, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> Config:
    """A config whose pagerduty sink reads its routing key from the environment."""
    monkeypatch.setenv("PD_ROUTING_KEY", ROUTING_KEY)
    sink = {
        "name": "pd",
        "type": "pagerduty",
        "routing_key": "${PD_ROUTING_KEY}",
        "url": events_api.url,
    }
    raw = config_dict(
        sinks=[sink], alerts={"links": {"report_url": "https://r.example.com/{monitor}"}}
    )
    return load_config(write_config(raw))


def test_trigger_escalate_and_resolve_share_one_dedup_key(
    sqlite_store: Store, clock: FakeClock, events_api: EventsApi, pd_config: Config
) -> None:
    for level in ("warn", "critical", "ok"):
        run_levels(pd_config, sqlite_store, clock, x=level)
        assert dispatch_pending(sqlite_store, pd_config, clock=clock).delivered == 1
    assert events_api.invalid == []
    trigger, escalate, resolve = events_api.events
    assert [e["event_action"] for e in events_api.events] == ["trigger", "trigger", "resolve"]
    assert {e["dedup_key"] for e in events_api.events} == {"driftwatch:model:x:js"}
    assert {e["routing_key"] for e in events_api.events} == {ROUTING_KEY}
    assert (trigger["payload"]["severity"], escalate["payload"]["severity"]) == (
        "warning",
        "critical",
    )
    assert trigger["payload"]["summary"].startswith(
        "driftwatch: monitor model, feature x: js = 0.108"
    )
    assert trigger["payload"]["source"] == "driftwatch"
    assert trigger["payload"]["custom_details"]["n_live"] == 500
    assert trigger["links"] == [
        {"href": "https://r.example.com/model", "text": "driftwatch report"}
    ]
    assert "payload" not in resolve


def test_a_throttled_event_is_retried_with_the_same_dedup_key(
    sqlite_store: Store, clock: FakeClock, events_api: EventsApi, pd_config: Config
) -> None:
    events_api.statuses.append(429)
    run_levels(pd_config, sqlite_store, clock, x="warn")
    assert dispatch_pending(sqlite_store, pd_config, clock=clock).retried == 1
    clock.advance()
    assert dispatch_pending(sqlite_store, pd_config, clock=clock).delivered == 1
    (event,) = events_api.events
    assert event["dedup_key"] == "driftwatch:model:x:js"


def test_a_refused_event_is_dead_and_the_routing_key_is_never_logged_or_stored(
    sqlite_store: Store,
    clock: FakeClock,
    events_api: EventsApi,
    pd_config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    events_api.statuses.append(400)
    run_levels(pd_config, sqlite_store, clock, x="warn")
    with caplog.at_level(logging.DEBUG):
        assert dispatch_pending(sqlite_store, pd_config, clock=clock).dead == 1
    with sqlite_store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT payload, last_error FROM notifications")).one()
    assert "HTTP 400" in stored.last_error
    assert ROUTING_KEY not in caplog.text
    assert ROUTING_KEY not in f"{stored.payload}{stored.last_error}"
