"""What the Prometheus metrics report, read from the results database (read-only, any process).

One :func:`snapshot` reads, in one connection:

* the latest finished run's rows of each monitor (the ``latest_feature_results`` view): one
  :class:`LatestValue` per monitor × feature × metric, so the cardinality is bounded by the config,
  not by history;
* per monitor: when the last succeeded run finished, the duration of the latest finished run and
  the number of runs per status (``running`` rows are left out: they change status, and a counter
  must not go down);
* the outbox: notifications per state (pending, sent, dead).

``decision_threshold`` is the value a metric had to exceed to count as drift (migration 0004).

A feature's name is its label value with hidden characters (control, bidi, zero-width) escaped
(:func:`driftwatch.escaping.prometheus_label`): the exposition then holds no control byte, and
the label is the same whether scraped, pushed or printed by ``driftwatch metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from driftwatch.errors import StoreError
from driftwatch.escaping import prometheus_label
from driftwatch.store.database import one_line
from driftwatch.store.models import Notification, Run
from driftwatch.store.queries import latest_table
from driftwatch.store.repository import Store

__all__ = [
    "NOTIFICATION_STATES",
    "LatestValue",
    "MetricsSnapshot",
    "MonitorRuns",
    "snapshot",
]

NOTIFICATION_STATES = ("pending", "sent", "dead")
_FINISHED = ("succeeded", "no_data", "failed")


@dataclass(frozen=True)
class LatestValue:
    """One (monitor, feature, metric) of a monitor's latest finished run (``feature`` as a
    Prometheus label value)."""

    monitor: str
    feature: str
    metric: str
    status: str
    value: float | None
    p_value: float | None
    decision_threshold: float | None


@dataclass(frozen=True)
class MonitorRuns:
    """One monitor's run figures."""

    monitor: str
    last_success_at: datetime | None
    last_duration_seconds: float | None
    runs_by_status: dict[str, int]


@dataclass(frozen=True)
class MetricsSnapshot:
    latest: list[LatestValue]
    monitors: list[MonitorRuns]
    notifications: dict[str, int]


def snapshot(store: Store, monitor: str | None = None) -> MetricsSnapshot:
    """The figures the metrics expose, for every monitor or only ``monitor``.

    Raises StoreError when the database cannot be read.
    """
    try:
        return _snapshot(store, monitor)
    except SQLAlchemyError as exc:
        raise StoreError(f"results database {store.url!r}: {one_line(exc)}") from exc


def _snapshot(store: Store, monitor: str | None) -> MetricsSnapshot:
    view = latest_table
    latest = sa.select(
        view.c.monitor,
        view.c.feature,
        view.c.metric,
        view.c.status,
        view.c.value,
        view.c.p_value,
        view.c.decision_threshold,
    )
    runs = sa.select(Run.monitor, Run.status, sa.func.count()).where(Run.status.in_(_FINISHED))
    success = sa.select(Run.monitor, sa.func.max(Run.finished_at)).where(Run.status == "succeeded")
    ranked = (
        sa.select(
            Run.monitor,
            Run.duration_seconds,
            sa.func.row_number()
            .over(partition_by=Run.monitor, order_by=(Run.finished_at.desc(), Run.id.desc()))
            .label("recency"),
        )
        .where(Run.status.in_(_FINISHED), Run.finished_at.is_not(None))
        .subquery()
    )
    durations = sa.select(ranked.c.monitor, ranked.c.duration_seconds).where(ranked.c.recency == 1)
    if monitor is not None:
        latest = latest.where(view.c.monitor == monitor)
        runs = runs.where(Run.monitor == monitor)
        success = success.where(Run.monitor == monitor)
        durations = durations.where(ranked.c.monitor == monitor)
    latest = latest.order_by(view.c.monitor, view.c.feature, view.c.metric)
    with store.engine.connect() as connection:
        values = [
            LatestValue(
                str(row[0]),
                prometheus_label(row[1]),
                str(row[2]),
                str(row[3]),
                row[4],
                row[5],
                row[6],
            )
            for row in connection.execute(latest)
        ]
        counts: dict[str, dict[str, int]] = {}
        for name, status, count in connection.execute(runs.group_by(Run.monitor, Run.status)):
            counts.setdefault(name, {})[status] = int(count)
        ends = {row[0]: row[1] for row in connection.execute(success.group_by(Run.monitor))}
        last = {row[0]: row[1] for row in connection.execute(durations)}
        notifications = {state: 0 for state in NOTIFICATION_STATES}
        if monitor is None:
            query = sa.select(Notification.status, sa.func.count()).group_by(Notification.status)
            for state, count in connection.execute(query):
                notifications[state] = int(count)
    names = sorted({*counts, *ends, *last})
    monitors = [
        MonitorRuns(
            name,
            ends.get(name),
            last.get(name),
            counts.get(name, {}),
        )
        for name in names
    ]
    return MetricsSnapshot(values, monitors, notifications)
