"""Every sink over a real receiver: Slack messages, email over SMTP, log lines, the test command."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from driftwatch.alerts._registry import sink_types
from driftwatch.alerts.outbox import dispatch_pending, send_test
from driftwatch.config import Config
from driftwatch.errors import AlertError, ConfigError, DeliveryError
from driftwatch.store import Store
from tests.alerts.conftest import SMTP_USER, Receiver, SmtpServer, run_levels
from tests.helpers import FakeClock, run_python


def email_sink(server: SmtpServer, password: str | None = None) -> dict[str, object]:
    return {
        "name": "mail",
        "type": "email",
        "host": server.host,
        "port": server.port,
        "username": SMTP_USER,
        "password": password or server.password,
        "sender": "driftwatch@example.com",
        "recipients": ["oncall@example.com"],
        "timeout": "5s",
    }


def test_registry_lists_every_sink_type() -> None:
    assert sink_types() == ("alertmanager", "email", "log", "pagerduty", "slack", "webhook")


_REGISTER_FIRST = """
from driftwatch.alerts._registry import register_sink, sink_class, sink_types
from driftwatch.alerts.webhook import WebhookSink

class TeamsSink:
    digest = True

    def __init__(self, config, options):
        self.name = config.name

    def send(self, message):
        pass

register_sink("teams", TeamsSink)
assert sink_class("teams") is TeamsSink
assert sink_class("webhook") is WebhookSink, sink_types()
print(",".join(sink_types()))
"""


def test_registering_a_custom_sink_before_any_lookup_keeps_the_built_in_ones() -> None:
    """In a fresh interpreter, so the registry has seen no lookup before the registration."""
    done = run_python("-c", _REGISTER_FIRST, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "alertmanager,email,log,pagerduty,slack,teams,webhook"


def test_the_config_accepts_exactly_the_registered_sink_types() -> None:
    """One list of sink types: each config model of the ``SinkConfig`` union has its sink class."""
    from typing import get_args

    from driftwatch.alerts._registry import BUILTIN_SINKS, config_type
    from driftwatch.config import SinkConfig

    union, _discriminator = get_args(SinkConfig)
    assert {sink.config_model for sink in BUILTIN_SINKS} == set(get_args(union))
    assert {config_type(sink.config_model) for sink in BUILTIN_SINKS} == set(sink_types())


def test_unknown_sink_type_error_lists_the_accepted_names() -> None:
    from driftwatch.alerts._registry import sink_class

    with pytest.raises(
        AlertError,
        match="unknown sink type 'pager'; choose one of: alertmanager, email, log, pagerduty",
    ):
        sink_class("pager")


def test_slack_gets_one_digest_with_the_top_drifted_features(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[{"name": "chat", "type": "slack", "url": receiver.url}])
    run_levels(config, sqlite_store, clock, x="critical", y="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    (request,) = receiver.requests
    message = request.json()
    text = "\n".join(b["text"]["text"] for b in message["blocks"] if "text" in b)
    assert "*FIRING* (critical)" in text and "monitor *model*" in text
    lines = [line for line in text.splitlines() if line.startswith("•")]
    assert lines[0].startswith("• `x` js = *0.3113*") and "threshold 0.25" in lines[0]
    assert lines[1].startswith("• `y` js = *0.108*") and "threshold 0.05" in lines[1]
    assert "moved most: `(10, +inf)` 0.0% → 50.0%" in lines[0]
    assert message["text"].startswith("[FIRING critical] monitor model, 2 features")


def test_email_is_delivered_over_smtp_with_text_and_html(
    sqlite_store: Store,
    clock: FakeClock,
    smtp_server: SmtpServer,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[email_sink(smtp_server)])
    run_levels(config, sqlite_store, clock, x="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    (message,) = smtp_server.messages
    assert message["Subject"] == "[driftwatch] FIRING warn: model: x (window 2026-01-01 01:00 UTC)"
    assert message["To"] == "oncall@example.com"
    assert message["X-Driftwatch-Idempotency-Key"].startswith("dw-")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "x | js | 0.108 | 0.05 | warn | 500" in text
    assert "<td>x</td>" in html and "(10, +inf)" in html


def test_email_with_a_wrong_password_is_dead_at_once_and_not_quoted(
    sqlite_store: Store,
    clock: FakeClock,
    smtp_server: SmtpServer,
    alert_config: Callable[..., Config],
) -> None:
    import sqlalchemy as sa

    from driftwatch.store.models import Notification

    config = alert_config(sinks=[email_sink(smtp_server, password="not-the-password")])
    run_levels(config, sqlite_store, clock, x="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).dead == 1
    assert smtp_server.messages == []
    with sqlite_store.session() as session:
        error = session.scalars(sa.select(Notification.last_error)).one()
    assert error is not None and error.startswith("email sink 'mail' (127.0.0.1:")
    assert "login refused (SMTP 535)" in error
    assert "not-the-password" not in error


@pytest.fixture
def hangs_up_on_login() -> Iterator[int]:
    """A real SMTP peer on 127.0.0.1 that greets, offers AUTH, and closes the connection when a
    client logs in, as servers (aiosmtpd's LOGIN among them) do with refused credentials."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection, connection.makefile("rwb") as stream:
                stream.write(b"220 test ESMTP\r\n")
                stream.flush()
                for line in stream:
                    if line.upper().startswith((b"EHLO", b"HELO")):
                        stream.write(b"250-test\r\n250 AUTH PLAIN LOGIN\r\n")
                        stream.flush()
                    elif line.upper().startswith(b"AUTH"):
                        return  # hang up mid-login
                    else:
                        stream.write(b"250 OK\r\n")
                        stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    listener.close()
    thread.join(timeout=10)


def test_email_login_cut_off_by_the_server_is_dead_not_retried(
    sqlite_store: Store,
    clock: FakeClock,
    hangs_up_on_login: int,
    alert_config: Callable[..., Config],
) -> None:
    import sqlalchemy as sa

    from driftwatch.store.models import Notification

    sink = {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": hangs_up_on_login,
        "username": SMTP_USER,
        "password": "wrong-password",
        "sender": "driftwatch@example.com",
        "recipients": ["oncall@example.com"],
        "timeout": "5s",
    }
    config = alert_config(sinks=[sink])
    run_levels(config, sqlite_store, clock, x="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).dead == 1
    with sqlite_store.session() as session:
        error = session.scalars(sa.select(Notification.last_error)).one()
    assert error is not None and "closed the connection during login" in error
    assert "will retry" not in error and "wrong-password" not in error


def test_log_sink_logs_one_short_line_and_the_payload_at_debug(
    sqlite_store: Store,
    clock: FakeClock,
    alert_config: Callable[..., Config],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = alert_config()  # the default sink: {type: log, level: info}
    run_levels(config, sqlite_store, clock, x="warn")
    with caplog.at_level(logging.DEBUG, logger="driftwatch.alerts.sink"):
        assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    line, payload = [r for r in caplog.records if r.name == "driftwatch.alerts.sink"]
    assert line.levelno == logging.INFO
    assert "[FIRING warn] monitor model, feature x: js = 0.108 (threshold 0.05)" in line.message
    assert len(line.message) < 200
    assert payload.levelno == logging.DEBUG
    assert '"top_bins":[{"contribution"' in payload.message


@pytest.mark.parametrize("kind", ["log", "webhook", "slack", "email", "alertmanager", "pagerduty"])
def test_every_sink_delivers_a_test_notification(
    kind: str,
    receiver: Receiver,
    smtp_server: SmtpServer,
    alert_config: Callable[..., Config],
) -> None:
    sinks = {
        "log": {"name": "s", "type": "log"},
        "webhook": {"name": "s", "type": "webhook", "url": receiver.url},
        "slack": {"name": "s", "type": "slack", "url": receiver.url},
        "email": {**email_sink(smtp_server), "name": "s"},
        "alertmanager": {"name": "s", "type": "alertmanager", "url": receiver.url},
        "pagerduty": {"name": "s", "type": "pagerduty", "url": receiver.url, "routing_key": "k"},
    }
    message = send_test(alert_config(sinks=[sinks[kind]]), "s")
    assert message.event == "test"
    if kind in ("webhook", "slack", "alertmanager"):
        assert len(receiver.requests) == 1
    if kind == "alertmanager":
        assert receiver.requests[0].path == "/hook/api/v2/alerts"
    if kind == "pagerduty":  # a test incident is triggered, then resolved at once
        actions = [r.json()["event_action"] for r in receiver.requests]
        assert actions == ["trigger", "resolve"]
    if kind == "email":
        assert len(smtp_server.messages) == 1


def test_test_send_to_an_unknown_sink_names_the_configured_ones(
    alert_config: Callable[..., Config],
) -> None:
    with pytest.raises(ConfigError, match="no alert sink named 'nope'; choose one of: audit"):
        send_test(alert_config(), "nope")


def test_a_failing_test_send_raises_a_delivery_error(
    receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    receiver.respond(404)
    config = alert_config(sinks=[{"name": "s", "type": "webhook", "url": receiver.url}])
    with pytest.raises(DeliveryError, match=r"webhook sink 's' .*HTTP 404"):
        send_test(config, "s")


def test_fake_clock_used_for_webhook_timestamps(
    receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    clock = FakeClock()
    clock.advance(timedelta(seconds=5))
    config = alert_config(
        sinks=[{"name": "s", "type": "webhook", "url": receiver.url, "secret": "k"}]
    )
    send_test(config, "s", clock=clock)
    stamp = int(clock().timestamp())
    assert receiver.requests[0].headers["x-driftwatch-signature"].startswith(f"t={stamp},v1=")
