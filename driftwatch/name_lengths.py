"""How long a name may be: the results database's column lengths, set in this one place.

The store's tables (:mod:`driftwatch.store.models`) declare their columns with these lengths, and
config validation refuses a longer name when the file is read. PostgreSQL enforces ``VARCHAR(n)``
and SQLite does not, so without the check a long name would pass ``validate`` and lose the run
on PostgreSQL only. A low-layer module, so that config and store share it without importing
each other.
"""

from __future__ import annotations

__all__ = ["FEATURE_NAME_LENGTH", "METRIC_NAME_LENGTH", "MONITOR_NAME_LENGTH", "SINK_NAME_LENGTH"]

MONITOR_NAME_LENGTH = 200
"""``runs.monitor``, ``feature_results.monitor``, ``alerts.monitor``, ``silences.monitor``..."""
FEATURE_NAME_LENGTH = 300
"""``feature_results.feature``, ``histograms.feature``, ``alerts.feature``..."""
SINK_NAME_LENGTH = 200
"""``notifications.sink``."""
METRIC_NAME_LENGTH = 32
"""``feature_results.metric``, ``alerts.metric`` (the metric registry's names fit)."""
