"""The ``/metrics`` server with real sockets on 127.0.0.1: clients that connect and send nothing
(or trickle) hold no thread, are dropped after the request timeout, and never keep a scrape out."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from store_helpers import populate_example

from driftwatch.exporter import MetricsServer, start_server
from driftwatch.store import Store


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
