"""Fixtures of the performance-path tests (helpers live in ``perf_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from driftwatch.sources.sql import dispose_engines


@pytest.fixture(autouse=True)
def _dispose_source_engines() -> Iterator[None]:
    """Close the SQL sources' pooled connections so test databases can be dropped."""
    yield
    dispose_engines()
