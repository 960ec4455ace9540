"""Dashboard questions as pandas DataFrames: latest state, a feature's history, runs, histograms.

The read side of the store: the same answers the SQL views give to Grafana or Metabase
(``latest_feature_results``, ``feature_timeseries``, created by the migrations), for Python callers
and the CLI. Every function takes a :class:`~driftwatch.store.Store` or a database URL;
timestamps come back as timezone-aware UTC columns. A URL is opened with :func:`open_readonly`:
asking a question never creates or migrates a database, so a mistyped URL is an error, not an
empty answer.

    >>> from driftwatch.store import queries
    >>> queries.latest("sqlite:///driftwatch.db", monitor="credit-model")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from driftwatch.errors import StoreError
from driftwatch.results import DISPLAY_ORDER
from driftwatch.store.database import one_line
from driftwatch.store.models import HistogramRow, Run, UTCDateTime
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, as_utc, system_clock

__all__ = [
    "HISTOGRAM_COLUMNS",
    "HISTORY_COLUMNS",
    "LATEST_COLUMNS",
    "RUN_COLUMNS",
    "histograms",
    "history",
    "latest",
    "latest_table",
    "monitor_history",
    "open_readonly",
    "runs",
    "timeseries_table",
]

_views = sa.MetaData()  # not Base.metadata: views are made by migrations, not by alembic check


def _view(name: str) -> sa.Table:
    return sa.Table(
        name,
        _views,
        sa.Column("monitor", sa.String),
        sa.Column("feature", sa.String),
        sa.Column("kind", sa.String),
        sa.Column("metric", sa.String),
        sa.Column("value", sa.Float),
        sa.Column("unit", sa.String),
        sa.Column("status", sa.String),
        sa.Column("threshold_kind", sa.String),
        sa.Column("warn_threshold", sa.Float),
        sa.Column("critical_threshold", sa.Float),
        sa.Column("decision_threshold", sa.Float),
        sa.Column("n_reference", sa.BigInteger),
        sa.Column("n_live", sa.BigInteger),
        sa.Column("missing_share", sa.Float),
        sa.Column("unseen_share", sa.Float),
        sa.Column("p_value", sa.Float),
        sa.Column("reason", sa.Text),
        sa.Column("window_start", UTCDateTime()),
        sa.Column("window_end", UTCDateTime()),
        sa.Column("run_id", sa.Integer),
    )


latest_table = _view("latest_feature_results")
"""The ``latest_feature_results`` view: every row of each monitor's latest finished run."""
timeseries_table = _view("feature_timeseries")
"""The ``feature_timeseries`` view: every row of every finished run (failed runs left out)."""

LATEST_COLUMNS = [c.name for c in latest_table.columns]
HISTORY_COLUMNS = [
    "window_start",
    "window_end",
    "value",
    "unit",
    "status",
    "warn_threshold",
    "critical_threshold",
    "decision_threshold",
    "p_value",
    "n_reference",
    "n_live",
    "missing_share",
    "unseen_share",
    "reason",
    "run_id",
]
RUN_COLUMNS = [
    "run_id",
    "monitor",
    "window_start",
    "window_end",
    "status",
    "trigger",
    "started_at",
    "finished_at",
    "duration_seconds",
    "n_reference",
    "n_live",
    "n_features",
    "n_drifted",
    "dataset_drift",
    "profile_id",
    "error",
    "reference_kind",
    "reference_windows",
]
HISTOGRAM_COLUMNS = [
    "feature",
    "kind",
    "bin",
    "label",
    "reference_count",
    "live_count",
    "reference_share",
    "live_share",
]
_TIME_COLUMNS = {"window_start", "window_end", "started_at", "finished_at"}
_INTEGER_COLUMNS = {
    "run_id", "n_reference", "n_live", "n_features", "n_drifted", "profile_id", "bin",
    "reference_count", "live_count",
}  # fmt: skip
_FLOAT_COLUMNS = {
    "value", "warn_threshold", "critical_threshold", "decision_threshold", "p_value",
    "missing_share", "unseen_share", "duration_seconds", "reference_share", "live_share",
}  # fmt: skip

StoreLike = Store | str
"""A :class:`Store` already open, or a database URL (opened read-only, checked, closed per call)."""


def open_readonly(
    url: str, *, config_hint: str = "--database URL", origin: str = "the database URL"
) -> Store:
    """The existing results database at ``url`` to read from (:meth:`Store.open_readonly`)."""
    return Store.open_readonly(url, config_hint=config_hint, origin=origin)


@contextmanager
def _connection(target: StoreLike) -> Iterator[sa.Connection]:
    store = target if isinstance(target, Store) else open_readonly(target)
    try:
        with store.engine.connect() as connection:
            yield connection
    except SQLAlchemyError as exc:
        raise StoreError(f"results database {store.url!r}: {one_line(exc)}") from exc
    finally:
        if store is not target:
            store.close()


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(columns))
    for name in columns:
        if name in _TIME_COLUMNS:
            frame[name] = pd.to_datetime(frame[name], utc=True)
        elif name in _INTEGER_COLUMNS:
            frame[name] = frame[name].astype("Int64")  # nullable: a failed run has no n_live
        elif name in _FLOAT_COLUMNS:
            frame[name] = frame[name].astype("float64")
    return frame


def _since(since: datetime | timedelta | None, clock: Clock) -> datetime | None:
    if since is None:
        return None
    if isinstance(since, timedelta):
        return as_utc(clock()) - since
    return as_utc(since)


def latest(
    store: StoreLike,
    monitor: str | Sequence[str] | None = None,
    *,
    metric: str | None = None,
) -> pd.DataFrame:
    """The state now: each monitor's latest finished run, one row per feature × metric.

    Most severe first (critical, warn, error, no_data, ok), then by monitor, feature and metric.
    """
    query = sa.select(latest_table)
    if isinstance(monitor, str):
        query = query.where(latest_table.c.monitor == monitor)
    elif monitor is not None:
        query = query.where(latest_table.c.monitor.in_(list(monitor)))
    if metric is not None:
        query = query.where(latest_table.c.metric == metric)
    with _connection(store) as connection:
        frame = _frame(connection.execute(query).all(), LATEST_COLUMNS)
    if frame.empty:
        return frame
    order = pd.DataFrame(
        {
            "severity": frame["status"].map(DISPLAY_ORDER).fillna(len(DISPLAY_ORDER)),
            "monitor": frame["monitor"],
            "feature": frame["feature"],
            "metric": frame["metric"],
        }
    )
    index = order.sort_values(list(order.columns), kind="stable").index
    return frame.loc[index].reset_index(drop=True)


def history(
    store: StoreLike,
    monitor: str,
    feature: str,
    metric: str = "js",
    *,
    since: datetime | timedelta | None = None,
    until: datetime | None = None,
    clock: Clock = system_clock,
) -> pd.DataFrame:
    """One feature's metric over time (finished runs only), oldest window first.

    ``since`` is a datetime or a timedelta back from ``clock()``; it and ``until`` bound
    ``window_end`` (``since`` inclusive, ``until`` exclusive).
    """
    view = timeseries_table
    query = (
        sa.select(*(view.c[name] for name in HISTORY_COLUMNS))
        .where(view.c.monitor == monitor, view.c.feature == feature, view.c.metric == metric)
        .order_by(view.c.window_end, view.c.run_id)
    )
    start = _since(since, clock)
    if start is not None:
        query = query.where(view.c.window_end >= start)
    if until is not None:
        query = query.where(view.c.window_end < as_utc(until))
    with _connection(store) as connection:
        return _frame(connection.execute(query).all(), HISTORY_COLUMNS)


def monitor_history(
    store: StoreLike, monitor: str, *, since: datetime | None = None
) -> pd.DataFrame:
    """Every feature × metric of ``monitor`` over time (finished runs only), in one query.

    The columns of :data:`HISTORY_COLUMNS` (``decision_threshold`` among them) plus ``feature``
    and ``metric``, oldest window first. The HTML report draws each feature's history from it
    without one query per feature.
    """
    view = timeseries_table
    names = ["feature", "metric", *HISTORY_COLUMNS]
    query = (
        sa.select(*(view.c[name] for name in names))
        .where(view.c.monitor == monitor)
        .order_by(view.c.window_end, view.c.run_id, view.c.feature, view.c.metric)
    )
    if since is not None:
        query = query.where(view.c.window_end >= as_utc(since))
    with _connection(store) as connection:
        rows = connection.execute(query).all()
    return _frame(rows, names)


def runs(
    store: StoreLike,
    monitor: str | None = None,
    *,
    since: datetime | timedelta | None = None,
    status: str | None = None,
    limit: int | None = None,
    clock: Clock = system_clock,
) -> pd.DataFrame:
    """Runs, newest window first, with their status, row counts, timing and error."""
    query = sa.select(
        Run.id.label("run_id"), *(getattr(Run, name) for name in RUN_COLUMNS[1:])
    ).order_by(Run.window_end.desc(), Run.id.desc())
    if monitor is not None:
        query = query.where(Run.monitor == monitor)
    start = _since(since, clock)
    if start is not None:
        query = query.where(Run.window_end >= start)
    if status is not None:
        query = query.where(Run.status == status)
    if limit is not None:
        query = query.limit(limit)
    with _connection(store) as connection:
        return _frame(connection.execute(query).all(), RUN_COLUMNS)


def histograms(store: StoreLike, run_id: int, feature: str | None = None) -> pd.DataFrame:
    """The reference and live histograms of one run: one row per feature × bin, in bin order.

    Raises StoreError when there is no run ``run_id``.
    """
    query = (
        sa.select(HistogramRow).where(HistogramRow.run_id == run_id).order_by(HistogramRow.feature)
    )
    if feature is not None:
        query = query.where(HistogramRow.feature == feature)
    with _connection(store) as connection:
        if connection.execute(sa.select(Run.id).where(Run.id == run_id)).first() is None:
            raise StoreError(
                f"no run with id {run_id} in the results database; list the runs with "
                "driftwatch.store.queries.runs()"
            )
        stored = connection.execute(query).all()
    rows = []
    for row in stored:
        reference_total = sum(row.reference_counts) or 1
        live_total = sum(row.live_counts) or 1
        for index, (label, ref, live) in enumerate(
            zip(row.labels, row.reference_counts, row.live_counts, strict=True)
        ):
            rows.append(
                (
                    row.feature,
                    row.kind,
                    index,
                    str(label),
                    int(ref),
                    int(live),
                    ref / reference_total,
                    live / live_total,
                )
            )
    return _frame(rows, HISTOGRAM_COLUMNS)
