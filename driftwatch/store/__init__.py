"""The results database: tables, migrations, atomic run writes and dashboard queries."""

from driftwatch.store.repository import SaveResult, Store

__all__ = ["SaveResult", "Store"]
