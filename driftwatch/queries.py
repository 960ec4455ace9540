"""``driftwatch.queries``: the dashboard questions as pandas DataFrames.

An alias of :mod:`driftwatch.store.queries` so callers need not know where the store lives.
"""

from driftwatch.store.queries import (
    HISTOGRAM_COLUMNS,
    HISTORY_COLUMNS,
    LATEST_COLUMNS,
    RUN_COLUMNS,
    histograms,
    history,
    latest,
    latest_table,
    monitor_history,
    open_readonly,
    runs,
    timeseries_table,
)

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
