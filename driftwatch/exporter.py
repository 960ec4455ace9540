"""Prometheus metrics computed from the results database, so any process can serve them.

A custom collector (:class:`DriftCollector`) reads :func:`driftwatch.store.prometheus.snapshot` at
every scrape; nothing is kept in process memory, so the scheduler, a one-off ``driftwatch
metrics`` (node_exporter's textfile collector) and a ``driftwatch run --pushgateway`` all expose
the same figures. One series per monitor × feature × metric (the latest finished run only):

=================================================== ==========================================
``driftwatch_drift_value{monitor,feature,metric}``    the metric's value
``driftwatch_drift_severity{monitor,feature,metric}`` 0 ok, 1 warn, 2 critical, -1 no_data/error
``driftwatch_drift_p_value{monitor,feature,metric}``  the drift test's p-value (when tested)
``driftwatch_drift_decision_threshold{...}``          the value the metric had to exceed
``driftwatch_run_last_success_timestamp_seconds``     when the last succeeded run finished
``driftwatch_run_duration_seconds{monitor}``          the latest finished run's duration
``driftwatch_runs_total{monitor,status}``             finished runs per status (a counter)
``driftwatch_notifications{state}``                   outbox rows: pending, sent, dead
``driftwatch_store_up``                               1: the scrape read the results database
=================================================== ==========================================

While the results database cannot be read, ``/metrics`` still answers 200 with
``driftwatch_store_up 0`` and no other driftwatch series (as ``mysql_up``/``pg_up`` of the
database exporters: Prometheus's own ``up`` stays about the process), and the failure is logged
by the :class:`~driftwatch.logevents.Outage` rule: once in full, at most a line a minute while it
lasts, then its recovery. ``driftwatch metrics`` and pushes still fail with the error.

:func:`start_server` serves ``/metrics`` with bounded resources whatever the clients do: one
thread waits for every connection's request (``request_timeout`` to send it, else the
connection is closed), and a fixed set of ``workers`` threads answers the complete ones; beyond
``max_connections`` open connections the oldest still sending its request is closed.
"""

from __future__ import annotations

import io
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from driftwatch.errors import DriftwatchError, redact_url
from driftwatch.logevents import Outage
from driftwatch.store.connect import ConfigLike, database_of, open_readonly_store
from driftwatch.store.prometheus import MetricsSnapshot, snapshot
from driftwatch.store.repository import Store

__all__ = [
    "SEVERITY_VALUE",
    "DriftCollector",
    "MetricsServer",
    "PushError",
    "exposition",
    "metrics_text",
    "push",
    "push_metrics",
    "registry",
    "start_server",
]

log = logging.getLogger("driftwatch.ops")


class PushError(DriftwatchError):
    """The Pushgateway could not be reached or refused the metrics."""


SEVERITY_VALUE = {"ok": 0, "warn": 1, "critical": 2, "no_data": -1, "error": -1}
_FEATURE_LABELS = ["monitor", "feature", "metric"]


def families(data: MetricsSnapshot, *, notifications: bool = True) -> list[Metric]:
    """The metric families of one snapshot."""
    value = GaugeMetricFamily(
        "driftwatch_drift_value",
        "Drift metric value of the latest finished run.",
        labels=_FEATURE_LABELS,
    )
    severity = GaugeMetricFamily(
        "driftwatch_drift_severity",
        "Drift severity of the latest finished run: 0 ok, 1 warn, 2 critical, -1 no_data/error.",
        labels=_FEATURE_LABELS,
    )
    p_value = GaugeMetricFamily(
        "driftwatch_drift_p_value",
        "P-value of the drift test of the latest finished run.",
        labels=_FEATURE_LABELS,
    )
    decision = GaugeMetricFamily(
        "driftwatch_drift_decision_threshold",
        "Value the drift metric had to exceed to count as drift (latest finished run).",
        labels=_FEATURE_LABELS,
    )
    for row in data.latest:
        labels = [row.monitor, row.feature, row.metric]
        severity.add_metric(labels, SEVERITY_VALUE.get(row.status, -1))
        if row.value is not None:
            value.add_metric(labels, row.value)
        if row.p_value is not None:
            p_value.add_metric(labels, row.p_value)
        if row.decision_threshold is not None:
            decision.add_metric(labels, row.decision_threshold)
    success = GaugeMetricFamily(
        "driftwatch_run_last_success_timestamp_seconds",
        "Unix time the monitor's last succeeded run finished.",
        labels=["monitor"],
    )
    duration = GaugeMetricFamily(
        "driftwatch_run_duration_seconds",
        "Duration of the monitor's latest finished run.",
        labels=["monitor"],
        unit="seconds",
    )
    runs = CounterMetricFamily(
        "driftwatch_runs", "Finished runs per status.", labels=["monitor", "status"]
    )
    for monitor in data.monitors:
        if monitor.last_success_at is not None:
            success.add_metric([monitor.monitor], monitor.last_success_at.timestamp())
        if monitor.last_duration_seconds is not None:
            duration.add_metric([monitor.monitor], monitor.last_duration_seconds)
        for status in ("succeeded", "no_data", "failed"):
            runs.add_metric([monitor.monitor, status], monitor.runs_by_status.get(status, 0))
    found: list[Metric] = [value, severity, p_value, decision, success, duration, runs]
    if notifications:
        outbox = GaugeMetricFamily(
            "driftwatch_notifications", "Notifications in the outbox per state.", labels=["state"]
        )
        for state, count in data.notifications.items():
            outbox.add_metric([state], count)
        found.append(outbox)
    return found


def _store_up(value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "driftwatch_store_up",
        "1 when the scrape read the results database, 0 when it could not (the other driftwatch "
        "series are then absent).",
        value=value,
    )


class DriftCollector(Collector):
    """Reads the results database at every collection (for one monitor, or all of them).

    A per-monitor collector (used for pushes grouped by monitor) leaves out
    ``driftwatch_notifications`` and ``driftwatch_store_up``, which belong to no monitor.

    With an ``outage``, a collection that cannot read the database reports it to the outage
    (which logs it once, not at every scrape) and yields ``driftwatch_store_up 0`` alone;
    without one, the StoreError is raised.
    """

    def __init__(
        self, store: Store, monitor: str | None = None, *, outage: Outage | None = None
    ) -> None:
        self.store = store
        self.monitor = monitor
        self.outage = outage

    def describe(self) -> Iterable[Metric]:
        return []  # no collection at registration: the database is read per scrape only

    def collect(self) -> Iterator[Metric]:
        whole = self.monitor is None
        try:
            data = snapshot(self.store, self.monitor)
        except DriftwatchError as exc:
            if self.outage is None:
                raise
            self.outage.failed(exc)
            if whole:
                yield _store_up(0)
            return
        if self.outage is not None:
            self.outage.succeeded()
        yield from families(data, notifications=whole)
        if whole:
            yield _store_up(1)


def registry(
    store: Store, monitor: str | None = None, *, outage: Outage | None = None
) -> CollectorRegistry:
    """A registry holding only driftwatch's collector (no process or platform metrics)."""
    found = CollectorRegistry(auto_describe=False)
    found.register(DriftCollector(store, monitor, outage=outage))
    return found


def exposition(store: Store) -> str:
    """The text exposition format of every metric, as ``driftwatch metrics`` prints it."""
    from prometheus_client import generate_latest

    return generate_latest(registry(store)).decode()


def push(store: Store, gateway: str, monitors: Iterable[str], *, timeout: float = 10.0) -> None:
    """PUT each monitor's metrics to a Pushgateway (job ``driftwatch``, grouping key monitor).

    Raises OSError when the gateway cannot be reached or refuses the push.
    """
    from prometheus_client import push_to_gateway

    for monitor in monitors:
        push_to_gateway(
            gateway,
            job="driftwatch",
            registry=registry(store, monitor),
            grouping_key={"monitor": monitor},
            timeout=timeout,
        )


_MAX_HEAD = 64 * 1024
"""The most bytes a request line and its headers may take (a scrape sends a few hundred)."""


@dataclass
class _Waiting:
    """A connection whose request has not fully arrived: what came so far, and until when."""

    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)


class _Handler(WSGIRequestHandler):
    """Answers one request whose bytes the server's loop already read; logs nothing."""

    def __init__(self, request: Any, client_address: Any, server: Any, head: bytes = b"") -> None:
        self._head = head
        super().__init__(request, client_address, server)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = io.BytesIO(self._head)

    def log_message(self, format: str, *args: Any) -> None:
        """No line per request (as prometheus_client's own handler)."""


class _BoundedServer(WSGIServer):
    """A WSGI server whose threads are bounded, whatever its clients do.

    Its loop (:meth:`serve_forever`, one thread) accepts connections and reads their requests
    without blocking; a connection that has not sent a complete request line and headers within
    ``request_timeout`` seconds (an idle or trickling client) is closed. Complete requests are
    answered by ``workers`` threads, so a client never holds a thread while it makes up its mind.
    Past ``max_connections`` open connections, the oldest one still sending is closed for a new
    one (a flood evicts itself, a scrape gets through), or the new one when none is.
    """

    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        request_timeout: float,
        workers: int,
        max_connections: int,
    ) -> None:
        host, port = address
        family, *_, sockaddr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        self.address_family = family
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._open = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._requests: queue.SimpleQueue[tuple[socket.socket, Any, bytes] | None]
        self._requests = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"metrics worker {i}", daemon=True)
            for i in range(workers)
        ]
        super().__init__((str(sockaddr[0]), int(sockaddr[1])), _Handler)
        for worker in self._workers:
            worker.start()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        waiting: dict[socket.socket, _Waiting] = {}
        self.socket.setblocking(False)
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                while not self._stop.is_set():
                    for key, _events in selector.select(poll_interval):
                        if key.fileobj is self.socket:
                            self._accept(selector, waiting)
                        else:
                            self._read(selector, waiting, key.fileobj)  # type: ignore[arg-type]
                    now = time.monotonic()
                    for connection in [c for c, w in waiting.items() if w.deadline <= now]:
                        self._drop(selector, waiting, connection)
                for connection in list(waiting):
                    self._drop(selector, waiting, connection)
        finally:
            self._stopped.set()

    def _accept(
        self, selector: selectors.BaseSelector, waiting: dict[socket.socket, _Waiting]
    ) -> None:
        while True:
            try:
                connection, address = self.socket.accept()
            except OSError:  # none left (BlockingIOError), or one that went away meanwhile
                return
            with self._lock:
                full = self._open >= self.max_connections
                self._open += 1
            if full and waiting:
                self._drop(selector, waiting, next(iter(waiting)))  # the oldest still sending
            elif full:
                self._close(connection)
                continue
            connection.setblocking(False)
            waiting[connection] = _Waiting(address, time.monotonic() + self.request_timeout)
            selector.register(connection, selectors.EVENT_READ)

    def _read(
        self,
        selector: selectors.BaseSelector,
        waiting: dict[socket.socket, _Waiting],
        connection: socket.socket,
    ) -> None:
        entry = waiting[connection]
        try:
            chunk = connection.recv(8192)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        entry.head += chunk
        if not chunk or len(entry.head) > _MAX_HEAD:
            self._drop(selector, waiting, connection)
        elif b"\r\n\r\n" in entry.head or b"\n\n" in entry.head:
            selector.unregister(connection)
            del waiting[connection]
            connection.setblocking(True)
            connection.settimeout(self.request_timeout)  # per send of the response
            self._requests.put((connection, entry.address, bytes(entry.head)))

    def _drop(
        self,
        selector: selectors.BaseSelector,
        waiting: dict[socket.socket, _Waiting],
        connection: socket.socket,
    ) -> None:
        selector.unregister(connection)
        del waiting[connection]
        self._close(connection)

    def _close(self, connection: socket.socket) -> None:
        self.shutdown_request(connection)
        with self._lock:
            self._open -= 1

    def _work(self) -> None:
        while (request := self._requests.get()) is not None:
            connection, address, head = request
            try:
                _Handler(connection, address, self, head)
            except Exception as exc:  # the client went away, or stopped reading the response
                log.debug("metrics request from %s failed: %s", address, exc)
            finally:
                self._close(connection)

    def shutdown(self) -> None:
        """Stop the loop (closing the connections it waits on) and the workers."""
        self._stop.set()
        self._stopped.wait(5.0)
        for _worker in self._workers:
            self._requests.put(None)


@dataclass
class MetricsServer:
    """The ``/metrics`` HTTP server, its loop in a daemon thread."""

    server: WSGIServer
    host: str
    port: int

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_server(
    store: Store,
    host: str,
    port: int,
    *,
    request_timeout: float = 10.0,
    workers: int = 4,
    max_connections: int = 256,
) -> MetricsServer:
    """Serve ``/metrics`` on ``host:port`` (port 0: a free one); OSError when it cannot bind.

    A client has ``request_timeout`` seconds to send its request (else it is disconnected);
    ``workers`` threads answer, and at most ``max_connections`` connections are open at once.
    While the database cannot be read, scrapes get ``driftwatch_store_up 0`` and the outage is
    logged once (then a line a minute at most, then its recovery), not at every scrape.
    """
    from prometheus_client import make_wsgi_app

    server = _BoundedServer(
        (host, port),
        request_timeout=request_timeout,
        workers=workers,
        max_connections=max_connections,
    )
    outage = Outage(log, "reading the results database for /metrics")
    server.set_app(make_wsgi_app(registry(store, outage=outage)))
    thread = threading.Thread(target=server.serve_forever, name="metrics server", daemon=True)
    thread.start()
    bound = int(server.server_address[1])
    log.info("serving Prometheus metrics on http://%s:%d/metrics", host, bound)
    return MetricsServer(server, host, bound)


def metrics_text(config: ConfigLike, *, database: str | None = None) -> str:
    """``driftwatch metrics``: the exposition of the config's results database (read-only)."""
    with open_readonly_store(database_of(config, database)) as store:
        return exposition(store)


def push_metrics(
    config: ConfigLike,
    gateway: str,
    monitors: Iterable[str],
    *,
    database: str | None = None,
) -> None:
    """``driftwatch run --pushgateway URL``: push ``monitors``' metrics after their runs.

    Raises OpsError (one line, the gateway URL redacted) when the push fails.
    """
    with open_readonly_store(database_of(config, database)) as store:
        try:
            push(store, gateway, monitors)
        except OSError as exc:
            reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
            raise PushError(
                f"cannot push metrics to the Pushgateway at {redact_url(gateway)}: {reason}; "
                "check --pushgateway (e.g. http://127.0.0.1:9091)"
            ) from None
