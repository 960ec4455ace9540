"""Fixtures of the report tests: the example run into a temporary database."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import EXAMPLE

from driftwatch import api


@pytest.fixture
def example_database(tmp_path: Path) -> str:
    """A results database holding one run of every example monitor."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    api.run(EXAMPLE, database=url, dispatch=False)
    return url
