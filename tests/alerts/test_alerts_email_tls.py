"""Email over STARTTLS with login: a real aiosmtpd server that refuses AUTH before TLS."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from driftwatch.alerts.outbox import send_test
from driftwatch.config import Config
from driftwatch.errors import DeliveryError
from tests.alerts.conftest import SMTP_USER, free_port, self_signed


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[int, list[Any], Path]]:
    """aiosmtpd demanding STARTTLS before AUTH and mail; yields (port, messages, cert file)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(envelope)
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and data.password == b"tls-password"
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        yield port, messages, cert
    finally:
        controller.stop()


def _config(alert_config: Callable[..., Config], port: int, starttls: bool) -> Config:
    sink = {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "starttls": starttls,
        "username": SMTP_USER,
        "password": "tls-password",
        "sender": "dw@example.com",
        "recipients": ["oncall@example.com"],
        "timeout": "5s",
    }
    return alert_config(sinks=[sink])


def test_starttls_then_login_delivers(
    tls_smtp: tuple[int, list[Any], Path],
    alert_config: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, messages, cert = tls_smtp
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    send_test(_config(alert_config, port, starttls=True), "mail")
    assert len(messages) == 1


def test_without_starttls_a_server_requiring_it_refuses(
    tls_smtp: tuple[int, list[Any], Path], alert_config: Callable[..., Config]
) -> None:
    port, messages, _ = tls_smtp
    with pytest.raises(DeliveryError, match="email sink 'mail'") as raised:
        send_test(_config(alert_config, port, starttls=False), "mail")
    assert raised.value.permanent and messages == []


def test_an_untrusted_certificate_is_not_accepted(
    tls_smtp: tuple[int, list[Any], Path], alert_config: Callable[..., Config]
) -> None:
    port, messages, _ = tls_smtp
    with pytest.raises(DeliveryError, match="will retry"):
        send_test(_config(alert_config, port, starttls=True), "mail")
    assert messages == []
