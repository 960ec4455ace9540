"""Fixtures of the store suite: the example database on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from store_helpers import populate_example


@pytest.fixture
def example_store(store: Any) -> Any:
    """A migrated store on each backend, holding the example database of store_helpers."""
    populate_example(store)
    return store
