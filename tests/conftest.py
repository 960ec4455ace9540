"""Shared fixtures: results databases on every backend, the bundled data, config factories.

Backend fixtures are parametrised with ids ``sqlite`` and ``postgresql``. PostgreSQL tests need
``DRIFTWATCH_TEST_PG_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test
gets a brand-new database on that server, dropped afterwards. Without the variable they skip —
except under CI (``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from driftwatch.data import DATA_DIR
from tests.pg_helpers import created_pg_database

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO_ROOT / "config" / "example.yaml"


def _pg_base_url() -> str:
    url = os.environ.get("DRIFTWATCH_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but DRIFTWATCH_TEST_PG_URL is not set: PostgreSQL tests must run")
        pytest.skip("PostgreSQL tests need DRIFTWATCH_TEST_PG_URL (see tests/conftest.py)")
    return url


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The PostgreSQL server under test (its maintenance database); skip or fail if absent."""
    url = _pg_base_url()
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at DRIFTWATCH_TEST_PG_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at DRIFTWATCH_TEST_PG_URL is unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    """A brand-new, empty PostgreSQL database for one test; dropped afterwards."""
    with created_pg_database(pg_server_url) as url:
        yield url


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'results.db'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty results database URL on each backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_database"))
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def store(database_url: str) -> Iterator[Any]:
    """A migrated :class:`driftwatch.store.Store` on each backend."""
    from driftwatch.store import Store

    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config mapping (or YAML text) to a temp file and return its path."""

    def write(content: dict[str, Any] | str, name: str = "driftwatch.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
