"""Fixtures for the alert tests: a fake clock, tiny deterministic data, configs, real receivers.

* ``receiver``: a real HTTP/1.1 server (``http.server.ThreadingHTTPServer``) on 127.0.0.1 in a
  thread, recording every request and answering with scripted statuses, headers and bodies (and
  optional delays / holds).
* ``smtp_server``: a real SMTP server (aiosmtpd) on 127.0.0.1 recording every message.
* ``alert_config``: a config over in-memory DataFrames whose drift level is chosen per run
  (``ok`` / ``warn`` / ``critical`` / ``no_data``), thresholds ``kind: constant`` set explicitly.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftwatch.api import run_monitors
from driftwatch.config import Config, parse_config
from driftwatch.results import RunOutcome
from tests.helpers import FakeClock

# --- time -----------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- data -----------------------------------------------------------------------------------------

EDGES = [float(e) for e in range(11)]
REFERENCE_VALUES = np.repeat(np.arange(10), 50) + 0.5  # 50 rows in each of 10 bins
# Share of the live rows moved beyond the reference range: js ≈ 0.108 (warn), 0.311 (critical).
SHIFT = {"ok": 0.0, "warn": 0.2, "critical": 0.5}


def _column(level: str) -> np.ndarray:
    if level == "no_data":
        return np.full(5, 0.5)
    moved = SHIFT[level]
    kept = np.repeat(np.arange(10), round(50 * (1 - moved))) + 0.5
    return np.concatenate([kept, np.full(500 - kept.size, 100.0)])


def live_frame(**levels: str) -> pd.DataFrame:
    """Live data with each named feature at a drift level; unnamed features are ``ok``."""
    columns = {name: _column(levels.get(name, "ok")) for name in FEATURES}
    n = min(len(c) for c in columns.values())
    return pd.DataFrame({name: c[:n] for name, c in columns.items()})


FEATURES = ("x", "y")
REFERENCE = pd.DataFrame({name: REFERENCE_VALUES for name in FEATURES})


def config_dict(
    *,
    sinks: Sequence[dict[str, Any]] = ({"name": "audit", "type": "log", "level": "info"},),
    alerts: dict[str, Any] | None = None,
    for_: int = 1,
    dataset_drift: dict[str, Any] | None = None,
    monitor_alerts: Sequence[str] | None = None,
    database: str = "sqlite:///unused.db",
) -> dict[str, Any]:
    monitor: dict[str, Any] = {
        "name": "model",
        "reference": {"type": "dataframe", "name": "reference"},
        "live": {"type": "dataframe", "name": "live"},
        "features": {"numeric": list(FEATURES)},
        "binning": {"strategy": "fixed", "edges": EDGES},
        "metrics": ["js"],
        "thresholds": {"js": {"kind": "constant", "warn": 0.05, "critical": 0.25, "for": for_}},
        "alerts": [s["name"] for s in sinks] if monitor_alerts is None else list(monitor_alerts),
    }
    if dataset_drift is not None:
        monitor["dataset_drift"] = dataset_drift
    return {
        "database": database,
        "alerts": {"repeat_interval": "24h", **(alerts or {}), "sinks": list(sinks)},
        "monitors": [monitor],
    }


@pytest.fixture
def alert_config() -> Callable[..., Config]:
    def make(**kwargs: Any) -> Config:
        return parse_config(config_dict(**kwargs))

    return make


def run_levels(
    config: Config,
    store: Any,
    clock: FakeClock,
    *,
    step: timedelta = timedelta(hours=1),
    **levels: str,
) -> RunOutcome:
    """Advance the clock, then run the monitor on live data at the given drift levels."""
    clock.advance(step)
    frames = {"reference": REFERENCE, "live": live_frame(**levels)}
    (outcome,) = run_monitors(config, store, clock=clock, frames=frames)
    assert outcome.status != "failed", outcome.error
    return outcome


# --- a real HTTP receiver -------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    """A scripted answer: a status, headers, and a body (bytes, or chunks sent as they come)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[], Iterable[bytes]] = b"ok"


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1: records requests, answers queued statuses or answers (else
    200 "ok"); HTTP/1.1, so a client may keep its connection (``connections`` counts them)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    statuses: deque[int | Answer] = field(default_factory=deque)
    connections: set[tuple[str, int]] = field(default_factory=set)
    delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def respond(self, *statuses: int | Answer) -> None:
        self.statuses.extend(statuses)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits for a delayed ACK (40 ms)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                receiver.connections.add(self.client_address)
                receiver.arrived.set()
                if receiver.release is not None:
                    receiver.release.wait(timeout=30)
                if receiver.delay:
                    time.sleep(receiver.delay)
                scripted = receiver.statuses.popleft() if receiver.statuses else 200
                answer = Answer(scripted) if isinstance(scripted, int) else scripted
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if isinstance(answer.body, bytes):
                        self.send_header("Content-Length", str(len(answer.body)))
                        self.end_headers()
                        self.wfile.write(answer.body)
                        return
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in answer.body():  # until the client stops reading
                        self.wfile.write(chunk)
                except OSError:
                    self.close_connection = True  # the client gave up, or was killed

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self.server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            if self.release is not None:
                self.release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 and its key, written as PEM files."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    """A port nothing listens on right now (for a receiver that is down, then comes up)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(0).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def make_receiver() -> Iterator[Callable[[int], Receiver]]:
    """Receivers on chosen ports, not started yet (``.start()`` brings one up)."""
    made: list[Receiver] = []

    def make(port: int) -> Receiver:
        made.append(Receiver(port))
        return made[-1]

    yield make
    for one in made:
        one.stop()


# --- a real SMTP server ---------------------------------------------------------------------------

SMTP_USER = "driftwatch"


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Any]
    password: str


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 with AUTH (plain, no TLS needed); the password is random per test."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    password = f"smtp-{np.random.default_rng().integers(1 << 40):x}"
    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],  # PLAIN only: one AUTH exchange per login
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, messages, password)
    finally:
        controller.stop()


@pytest.fixture
def sqlite_store(sqlite_database: str) -> Iterator[Any]:
    """A SQLite store only, for tests about delivery rather than the database (kept fast)."""
    from driftwatch.store import Store

    opened = Store.open(sqlite_database)
    try:
        yield opened
    finally:
        opened.close()
