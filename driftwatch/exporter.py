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
=================================================== ==========================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from driftwatch.errors import DriftwatchError, redact_url
from driftwatch.store.connect import ConfigLike, database_of, open_readonly_store
from driftwatch.store.prometheus import MetricsSnapshot, snapshot
from driftwatch.store.repository import Store

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

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


class DriftCollector(Collector):
    """Reads the results database at every collection (for one monitor, or all of them).

    A per-monitor collector (used for pushes grouped by monitor) leaves out
    ``driftwatch_notifications``, which belongs to no monitor.
    """

    def __init__(self, store: Store, monitor: str | None = None) -> None:
        self.store = store
        self.monitor = monitor

    def describe(self) -> Iterable[Metric]:
        return []  # no collection at registration: the database is read per scrape only

    def collect(self) -> Iterator[Metric]:
        data = snapshot(self.store, self.monitor)
        yield from families(data, notifications=self.monitor is None)


def registry(store: Store, monitor: str | None = None) -> CollectorRegistry:
    """A registry holding only driftwatch's collector (no process or platform metrics)."""
    found = CollectorRegistry(auto_describe=False)
    found.register(DriftCollector(store, monitor))
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


@dataclass
class MetricsServer:
    """prometheus_client's HTTP server serving ``/metrics`` in a daemon thread."""

    server: WSGIServer
    host: str
    port: int

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_server(store: Store, host: str, port: int) -> MetricsServer:
    """Serve ``/metrics`` on ``host:port`` (port 0: a free one); OSError when it cannot bind."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry(store))
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
