"""Fixtures of the ops suite: the store suite's example database (tests/store/store_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from store_helpers import populate_example


@pytest.fixture
def example_store(store: Any) -> Any:
    """A migrated store on each backend, holding the example database of store_helpers."""
    populate_example(store)
    return store
