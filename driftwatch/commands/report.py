"""``driftwatch report`` (what is drifting now?, ``--html`` for the page) and ``driftwatch history``
(how has X moved?).

Both only read: the database must exist and be at this driftwatch's schema (see
:func:`~driftwatch.store.connect.open_readonly_store`). With ``database`` given, the config is
not read at all, so they work on any results database without its config file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from driftwatch.store import queries
from driftwatch.store.connect import ConfigLike, database_of, open_readonly_store
from driftwatch.timeutil import Clock, system_clock

__all__ = ["HtmlReport", "QueryResult", "history", "report", "report_html"]

DEFAULT_HISTORY = timedelta(days=30)


@dataclass(frozen=True)
class QueryResult:
    """Rows read from a results database, and which database (URL, password redacted)."""

    database: str
    frame: pd.DataFrame


def report(
    config: ConfigLike | None = None,
    *,
    database: str | None = None,
    monitors: Sequence[str] | None = None,
    metric: str | None = None,
) -> QueryResult:
    """Each monitor's latest finished run, one row per feature × metric, most severe first.

    The columns are :data:`driftwatch.store.queries.LATEST_COLUMNS`; an empty frame when no run
    finished yet.
    """
    with open_readonly_store(database_of(config, database)) as store:
        frame = queries.latest(store, list(monitors) if monitors else None, metric=metric)
        return QueryResult(store.url, frame)


def history(
    config: ConfigLike | None,
    monitor: str,
    feature: str,
    metric: str = "js",
    *,
    database: str | None = None,
    since: datetime | timedelta | None = DEFAULT_HISTORY,
    until: datetime | None = None,
    clock: Clock = system_clock,
) -> QueryResult:
    """One feature's metric over time (finished runs only), oldest window first.

    ``since`` is a datetime or a duration back from ``clock()`` (30 days by default, None for
    all); it and ``until`` bound ``window_end``. Columns:
    :data:`driftwatch.store.queries.HISTORY_COLUMNS`.
    """
    with open_readonly_store(database_of(config, database)) as store:
        frame = queries.history(
            store, monitor, feature, metric, since=since, until=until, clock=clock
        )
        return QueryResult(store.url, frame)


@dataclass(frozen=True)
class HtmlReport:
    """The file written, from which database (password redacted), and what it shows."""

    path: Path
    database: str
    monitors: tuple[str, ...]
    """The monitors with a finished run on the page."""
    features: int
    size_bytes: int


def report_html(
    config: ConfigLike | None = None,
    database: str | None = None,
    monitors: Sequence[str] | None = None,
    *,
    path: str | os.PathLike[str],
) -> HtmlReport:
    """Write the HTML report of each monitor's latest finished run (or of ``monitors``) to ``path``.

    Per monitor a traffic-light overview, per feature the two histograms as shares, the decision
    and the metric over the stored runs. Raises StoreError when the database is missing or
    behind, DriftwatchError when ``path`` cannot be written.
    """
    from driftwatch.report import render_store, write_html

    with open_readonly_store(database_of(config, database)) as store:
        page, html = render_store(store, list(monitors) if monitors else None)
        shown = store.url
    written = write_html(html, path)
    return HtmlReport(
        path=written,
        database=shown,
        monitors=tuple(m.name for m in page.monitors if m.features),
        features=sum(len(m.features) for m in page.monitors),
        size_bytes=written.stat().st_size,
    )
