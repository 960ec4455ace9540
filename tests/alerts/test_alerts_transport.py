"""The HTTP sinks' transport against real servers on 127.0.0.1: bounded reads of the answer,
Retry-After, one connection pool per sink, and each transport failure said as what it is."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from driftwatch.alerts._http import BODY_CAP, retry_after_seconds
from driftwatch.alerts.outbox import dispatch_pending, send_test
from driftwatch.config import Config
from driftwatch.errors import DeliveryError
from driftwatch.store import Store
from driftwatch.store.models import Notification
from tests.alerts.conftest import Answer, Receiver, free_port, run_levels, self_signed
from tests.helpers import FakeClock, run_python

TOKEN = "T0k3n-s3cr3t-value"


def webhook(url: str, **extra: object) -> dict[str, object]:
    return {"name": "hook", "type": "webhook", "url": url, **extra}


def failure(config: Config) -> DeliveryError:
    with pytest.raises(DeliveryError) as raised:
        send_test(config, "hook")
    return raised.value


def next_attempt(store: Store) -> tuple[str, datetime, str | None]:
    with store.session() as session:
        status, at, error = session.execute(
            sa.select(Notification.status, Notification.next_attempt_at, Notification.last_error)
        ).one()
    return status, at, error


# --- the answer's body ----------------------------------------------------------------------------


def test_an_error_answer_is_quoted_short_on_one_line_without_the_url(
    receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    url = f"{receiver.url}?token={TOKEN}"
    echoed = f'{{"error": "invalid_payload",\n "url": "{url}", "pad": "{"x" * 5000}"}}'
    receiver.respond(Answer(400, body=echoed.encode()))
    error = failure(alert_config(sinks=[webhook(url)]))
    message = str(error)
    assert error.permanent and "HTTP 400 Bad Request" in message
    assert '"error": "invalid_payload"' in message and "\n" not in message
    assert TOKEN not in message and len(message) < 600


def test_an_answer_of_any_size_costs_at_most_the_cap(
    receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        chunk = b"x" * 65536
        for _ in range(16 * 1024):  # 1 GiB, were it all read
            sent.append(len(chunk))
            yield chunk

    receiver.respond(Answer(503, {"Content-Length": str(1 << 30)}, endless))
    error = failure(alert_config(sinks=[webhook(receiver.url, timeout="5s")]))
    assert "HTTP 503" in str(error) and not error.permanent
    assert sum(sent) < 64 * BODY_CAP  # the client stopped reading: the server's writes failed


# --- Retry-After ----------------------------------------------------------------------------------


def test_retry_after_seconds_reads_both_forms_within_bounds() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("2", now) == 2.0
    assert retry_after_seconds(" 120 ", now) == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds("99999999999999999999", now) == 3600.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("", now) is None and retry_after_seconds(None, now) is None


def test_a_429_with_retry_after_is_not_tried_again_before_it(
    sqlite_store: Store,
    clock: FakeClock,
    receiver: Receiver,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)], alerts={"backoff_initial": "100ms"})
    receiver.respond(Answer(429, {"Retry-After": "2"}))
    run_levels(config, sqlite_store, clock, x="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).retried == 1
    status, at, error = next_attempt(sqlite_store)
    assert status == "pending" and at - clock() == timedelta(seconds=2)
    assert "HTTP 429" in (error or "") and "Retry-After: 2 s" in (error or "")
    clock.advance(timedelta(seconds=1.9))
    assert dispatch_pending(sqlite_store, config, clock=clock).attempted == 0
    clock.advance(timedelta(seconds=0.1))
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("1", timedelta(seconds=60), id="shorter-than-the-backoff"),
        pytest.param("86400", timedelta(hours=1), id="a-day-is-cut-to-an-hour"),
        pytest.param("http-date", timedelta(seconds=600), id="http-date"),
    ],
)
def test_retry_after_never_goes_below_the_backoff_nor_beyond_an_hour(
    sqlite_store: Store,
    clock: FakeClock,
    receiver: Receiver,
    alert_config: Callable[..., Config],
    header: str,
    expected: timedelta,
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)], alerts={"backoff_initial": "60s"})
    if header == "http-date":  # an HTTP date counts from the real time, not the test's clock
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=601), usegmt=True)
    receiver.respond(Answer(503, {"Retry-After": header}))
    run_levels(config, sqlite_store, clock, x="warn")
    dispatch_pending(sqlite_store, config, clock=clock, rng=lambda: 1.0)
    _, at, _ = next_attempt(sqlite_store)
    assert abs((at - clock()) - expected) <= timedelta(seconds=2)


# --- one client per sink and pass -------------------------------------------------------------


def test_a_pass_reuses_its_connections(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(sinks=[webhook(receiver.url)])
    for _ in range(15):  # 15 episodes of x: 30 notifications
        run_levels(config, sqlite_store, clock, x="warn")
        run_levels(config, sqlite_store, clock, x="ok")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 30
    assert len(receiver.requests) == 30
    assert len(receiver.connections) <= 8  # a connection per POST was 30


# --- transport failures, each said as what it is ----------------------------------------------


@pytest.fixture
def https_receiver(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (not trusted by the client)."""
    cert, key = self_signed(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_an_untrusted_certificate_is_named_as_such(
    https_receiver: str, alert_config: Callable[..., Config]
) -> None:
    error = failure(alert_config(sinks=[webhook(f"{https_receiver}?token={TOKEN}")]))
    message = str(error)
    assert "TLS: the certificate of 127.0.0.1 was refused (self-signed certificate)" in message
    assert not error.permanent and "ConnectError" not in message and TOKEN not in message


def test_a_host_name_that_does_not_resolve_is_named_as_such(
    alert_config: Callable[..., Config],
) -> None:
    error = failure(alert_config(sinks=[webhook(f"http://dw-test.invalid/hook?token={TOKEN}")]))
    message = str(error)
    assert "DNS: cannot resolve the host name 'dw-test.invalid'" in message
    assert not error.permanent and TOKEN not in message


def test_a_refused_connection_is_named_as_such(alert_config: Callable[..., Config]) -> None:
    port = free_port()
    error = failure(alert_config(sinks=[webhook(f"http://127.0.0.1:{port}/h?token={TOKEN}")]))
    message = str(error)
    assert f"connection refused by 127.0.0.1:{port}" in message
    assert not error.permanent and TOKEN not in message


def test_a_timeout_names_its_phase(receiver: Receiver, alert_config: Callable[..., Config]) -> None:
    receiver.delay = 5.0
    error = failure(alert_config(sinks=[webhook(receiver.url, timeout="200ms")]))
    assert "timed out waiting for the answer" in str(error) and not error.permanent


# --- a 2 GiB answer, in a process of its own --------------------------------------------------

SEND_AND_MEASURE = """
import re, sys, time
from driftwatch.alerts.outbox import send_test
from driftwatch.config import parse_config
from driftwatch.errors import DeliveryError

config = parse_config({
    "database": "sqlite:///unused.db",
    "alerts": {"sinks": [{"name": "hook", "type": "webhook", "url": sys.argv[1],
                          "timeout": "10s"}]},
    "monitors": [{"name": "m", "reference": {"type": "dataframe", "name": "r"},
                  "live": {"type": "dataframe", "name": "l"}, "features": {"numeric": ["x"]},
                  "alerts": ["hook"]}],
})
def peak_kib():  # this process's own high-water mark (getrusage's counts the forking parent's)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))

before = peak_kib()
started = time.perf_counter()
for status in ("200", "500"):
    try:
        send_test(config, "hook")
        print(status, "delivered")
    except DeliveryError as exc:
        print(status, "failed:", str(exc)[:80])
seconds = time.perf_counter() - started
after = peak_kib()
print(f"peak_kib {before} {after} seconds {seconds:.2f}")
"""


@pytest.mark.slow
def test_a_2_gib_answer_leaves_the_sending_process_small(
    receiver: Receiver, tmp_path: Path
) -> None:
    written: list[int] = []

    def two_gib() -> Iterator[bytes]:
        chunk = b"y" * (1 << 20)
        for _ in range(2048):
            written.append(len(chunk))
            yield chunk

    size = {"Content-Length": str(2 << 30)}
    receiver.respond(Answer(200, size, two_gib), Answer(500, size, two_gib))

    done = run_python("-c", SEND_AND_MEASURE, receiver.url, cwd=tmp_path, timeout=120)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "200 delivered"
    assert lines[1].startswith("500 failed:") and "HTTP 500" in lines[1]
    _, before, after, _, seconds = lines[2].split()
    assert int(after) < 300 * 1024, lines  # KiB: the whole answer was 2 GiB, twice
    assert int(after) - int(before) < 64 * 1024, lines  # the imports are most of it
    assert float(seconds) < 30
    assert sum(written) < 256 << 20  # the server could write little before the client hung up
    print(f"peak RSS {int(before) // 1024} MiB before, {int(after) // 1024} MiB after the sends")
