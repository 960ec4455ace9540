"""``driftwatch metrics``: the results database as Prometheus text exposition (read-only)."""

from __future__ import annotations

from driftwatch.exporter import metrics_text
from driftwatch.store.connect import ConfigLike

__all__ = ["metrics"]


def metrics(config: ConfigLike, *, database: str | None = None) -> str:
    """The Prometheus metrics of the results database, text exposition format (read-only)."""
    return metrics_text(config, database=database)
