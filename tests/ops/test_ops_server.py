"""The ``/metrics`` server with real sockets on 127.0.0.1: clients that connect and send nothing
(or trickle) hold no thread, are dropped after the request timeout, and never keep a scrape out;
a results database that is down is ``driftwatch_store_up 0`` at every scrape and one log line."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from ops_helpers import free_port
from store_helpers import populate_example

from driftwatch.exporter import MetricsServer, start_server
from driftwatch.store import Store
from driftwatch.store.database import connect


@pytest.fixture
def sqlite_store(sqlite_database: str) -> Iterator[Store]:
    """The server's behaviour is the same on every backend: SQLite only."""
    store = Store.open(sqlite_database)
    populate_example(store)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def serving(store: Store, **limits: Any) -> Iterator[MetricsServer]:
    server = start_server(store, "127.0.0.1", 0, **limits)
    try:
        yield server
    finally:
        server.close()


def scrape(server: MetricsServer, timeout: float = 10) -> tuple[int, str, float]:
    """Status, body and seconds taken of a GET /metrics."""
    started = time.monotonic()
    url = f"http://127.0.0.1:{server.port}/metrics"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode(), time.monotonic() - started


def connected(server: MetricsServer, stack: ExitStack, count: int) -> list[socket.socket]:
    """``count`` clients that connect and send nothing."""
    clients = []
    for _ in range(count):
        client = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), 5))
        client.settimeout(10)
        clients.append(client)
    return clients


def closed_by_server(client: socket.socket) -> bool:
    """Whether the server closed ``client`` (EOF or reset; waits up to its timeout)."""
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def test_idle_clients_take_no_thread_and_a_scrape_still_answers(sqlite_store: Store) -> None:
    with serving(sqlite_store) as server, ExitStack() as stack:
        status, _, _ = scrape(server)  # the server and its workers are up
        threads = threading.active_count()
        connected(server, stack, 50)
        time.sleep(0.5)  # accepted by now

        status, body, seconds = scrape(server)

        assert status == 200 and "driftwatch_drift_value{" in body
        assert seconds < 3
        assert threading.active_count() <= threads


def test_a_client_that_sends_no_request_is_dropped_after_the_timeout(sqlite_store: Store) -> None:
    with serving(sqlite_store, request_timeout=0.5) as server, ExitStack() as stack:
        (idle,) = connected(server, stack, 1)
        started = time.monotonic()
        assert closed_by_server(idle)
        assert 0.4 <= time.monotonic() - started < 3


def test_a_client_that_trickles_its_request_is_dropped_after_the_timeout(
    sqlite_store: Store,
) -> None:
    with serving(sqlite_store, request_timeout=0.5) as server, ExitStack() as stack:
        (slow,) = connected(server, stack, 1)
        started = time.monotonic()
        dropped = False
        for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":  # never the blank line
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                dropped = True
                break
            time.sleep(0.05)
        dropped = dropped or closed_by_server(slow)
        assert dropped and time.monotonic() - started < 5
        assert scrape(server)[0] == 200


def test_past_the_connection_limit_the_oldest_idle_client_makes_room(
    sqlite_store: Store,
) -> None:
    with serving(sqlite_store, max_connections=10, workers=1) as server, ExitStack() as stack:
        clients = connected(server, stack, 30)
        time.sleep(0.5)

        status, _, seconds = scrape(server)

        assert status == 200 and seconds < 3
        for client in clients[:20]:  # evicted, oldest first, at once (not after the timeout)
            client.settimeout(1)
            assert closed_by_server(client)


# --- a results database that is down ---------------------------------------------------------


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_scrapes_of_a_database_that_is_down_answer_store_up_0_and_log_one_line(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/results"  # nothing listens
    store = Store(connect(down, check=False))
    try:
        with serving(store) as server, caplog.at_level(logging.INFO, logger="driftwatch"):
            answers = [scrape(server) for _ in range(10)]
    finally:
        store.close()

    assert {status for status, _, _ in answers} == {200}
    for _, body, _ in answers:
        assert "driftwatch_store_up 0.0" in body and "driftwatch_drift_value" not in body
    (line,) = problems(caplog)
    assert line.startswith("reading the results database for /metrics failed: ")
    assert "Connection refused" in line and "Traceback" not in capsys.readouterr().err


class Relay:
    """A TCP relay on 127.0.0.1 to a server, which the test cuts (an outage) and restores."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        assert self._listener is not None
        for sock in [self._listener, *self._sockets]:  # shutdown wakes a thread in accept()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, 5)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)


@pytest.mark.postgresql
def test_a_database_outage_is_one_line_then_its_recovery_whatever_the_scrapes(
    pg_database: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sa.engine.make_url(pg_database)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    store = Store.open(url.set(host="127.0.0.1", port=relay.port).render_as_string(False))
    try:
        populate_example(store)
        with serving(store) as server, caplog.at_level(logging.INFO, logger="driftwatch"):
            before = scrape(server)[1]
            relay.stop()
            during = [scrape(server)[1] for _ in range(10)]
            relay.start()
            after = scrape(server)[1]
    finally:
        relay.stop()
        store.close()

    for body in (before, after):
        assert "driftwatch_store_up 1.0" in body and "driftwatch_drift_value{" in body
    for body in during:
        assert "driftwatch_store_up 0.0" in body and "driftwatch_drift_value" not in body
    failed, recovered = problems(caplog)
    assert failed.startswith("reading the results database for /metrics failed: ")
    assert recovered.startswith("reading the results database for /metrics recovered after ")
    assert recovered.endswith("(10 failures)")
    assert "Traceback" not in capsys.readouterr().err
