"""Fixtures of the hardening matrix: a results database per backend, reset for every case.

``case_database(backend)`` gives the URL a case runs against: a new SQLite file in the case's
folder, or this worker's PostgreSQL database (created once per session, emptied before each case:
its rows truncated when the schema is at head, its schema dropped when a case moved it or prepares
it with ``setup``), so the
PostgreSQL half of the matrix does not pay a ``CREATE DATABASE`` and a migration per case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from driftwatch.errors import StoreError
from driftwatch.store import database as schema
from tests.pg_helpers import created_pg_database
from tests.reliability.harness import Backend, Case, run_case

_TABLES = (
    "notifications",
    "alerts",
    "silences",
    "histograms",
    "feature_results",
    "runs",
    "reference_profiles",
    "window_claims",
)


@pytest.fixture(scope="session")
def matrix_pg_url(pg_server_url: str) -> Iterator[str]:
    """One PostgreSQL database for this worker's cases; dropped at the end of the session."""
    with created_pg_database(pg_server_url, prefix="dw_matrix") as url:
        yield url


def _reset(url: str, *, empty: bool) -> None:
    engine = sa.create_engine(url)
    try:
        try:
            at_head = not empty and schema.current_revision(engine) == schema.HEAD_REVISION
        except StoreError:  # a case left several revisions behind
            at_head = False
        with engine.begin() as connection:
            if at_head:
                connection.exec_driver_sql(
                    f"TRUNCATE {', '.join(_TABLES)} RESTART IDENTITY CASCADE"
                )
            else:  # a case moved the schema (or this is the first case): start empty
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture
def case_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Backend, bool], str]:
    """The results database URL of a case on ``backend`` (``any``: a SQLite file); ``empty``
    asks for a database with no schema at all (a case that migrates it itself)."""

    def url(backend: Backend, empty: bool = False) -> str:
        if backend == "postgresql":
            pg_url = str(request.getfixturevalue("matrix_pg_url"))
            _reset(pg_url, empty=empty)
            return pg_url
        return f"sqlite:///{tmp_path / 'results.db'}"

    return url


CheckCase = Callable[[Case, Backend], None]


@pytest.fixture
def check_case(tmp_path: Path, case_database: Callable[[Backend, bool], str]) -> CheckCase:
    """Run one matrix case on one backend and check all it expects."""

    def check(case: Case, backend: Backend) -> None:
        folder = tmp_path / "case"
        folder.mkdir()
        empty = bool(case.setup or case.setup_sql)  # the case prepares the schema itself
        run_case(case, folder, case_database(backend, empty))

    return check
