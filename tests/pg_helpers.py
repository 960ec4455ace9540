"""A throwaway PostgreSQL database, shared by the per-test and per-worker fixtures."""

from __future__ import annotations

from contextlib import AbstractContextManager

from driftwatch.store.snapshot import scratch_postgresql


def created_pg_database(server_url: str, prefix: str = "dw_test") -> AbstractContextManager[str]:
    """A brand-new, empty, uniquely named PostgreSQL database on ``server_url``; dropped after."""
    return scratch_postgresql(server_url, prefix=prefix)
