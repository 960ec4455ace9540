"""Fixtures for the source tests: one small dataset written to every kind of source.

``make_source(kind, frame, **config)`` writes ``frame`` to a CSV file, a Parquet file, a directory
of Parquet files, a SQLite or PostgreSQL table, or hands it over as an in-memory DataFrame, and
returns the opened :class:`~driftwatch.sources.Source`. PostgreSQL runs only when
``DRIFTWATCH_TEST_PG_URL`` is set; each test gets uniquely named tables, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from driftwatch.config import (
    CsvSourceConfig,
    DataFrameSourceConfig,
    ParquetSourceConfig,
    SqlSourceConfig,
)
from driftwatch.sources import Source, open_source
from driftwatch.sources.sql import dispose_engines

PG_ENV = "DRIFTWATCH_TEST_PG_URL"
ROLE = "monitor 'm' live"
ROWS = 48

SOURCE_KINDS = [
    "csv",
    "parquet-file",
    "parquet-dir",
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgresql),
    "dataframe",
]


def sample_frame(rows: int = ROWS) -> pd.DataFrame:
    """Hourly naive (= UTC) timestamps from 2024-01-01 00:00, with numeric and text columns."""
    ids = np.arange(rows)
    return pd.DataFrame(
        {
            "id": ids,
            "ts": pd.date_range("2024-01-01", periods=rows, freq="h"),
            "x": np.where(ids % 5 == 4, np.nan, ids * 1.5),
            "city": pd.Series(np.where(ids % 7 == 3, None, np.array(["a", "b", "c"])[ids % 3])),
            "flag": ids % 2 == 0,
        }
    )


@pytest.fixture(params=SOURCE_KINDS)
def source_kind(request: pytest.FixtureRequest) -> str:
    """Every kind of source: csv, parquet-file, parquet-dir, sqlite, postgresql, dataframe."""
    return str(request.param)


@pytest.fixture
def frame() -> pd.DataFrame:
    """48 hourly rows from 2024-01-01 00:00 (naive = UTC): id, ts, x (with NaN), city, flag."""
    return sample_frame()


class SqlDatabase:
    """A database the SQL tests write tables to; tables are dropped when the test ends."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.engine = sa.create_engine(url)
        self.tables: list[str] = []

    def write(self, frame: pd.DataFrame, **to_sql: Any) -> str:
        table = f"dw_test_{uuid.uuid4().hex[:12]}"
        self.tables.append(table)
        frame.to_sql(table, self.engine, index=False, **to_sql)
        return table

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql)

    def close(self) -> None:
        dispose_engines()  # the sources' pooled connections would block DROP TABLE
        with self.engine.begin() as conn:
            for table in self.tables:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        self.engine.dispose()


def _database(kind: str, tmp_path: Path) -> SqlDatabase:
    if kind == "postgresql":
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(
                f"PostgreSQL tests need {PG_ENV}, e.g. "
                "postgresql+psycopg://postgres@127.0.0.1:5432/test"
            )
        return SqlDatabase(kind, url)
    return SqlDatabase(kind, f"sqlite:///{tmp_path / 'data.db'}")


@pytest.fixture(autouse=True)
def _dispose_source_engines() -> Iterator[None]:
    yield
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """A SQL database: SQLite in a temp file, and PostgreSQL when DRIFTWATCH_TEST_PG_URL is set."""
    database = _database(str(request.param), tmp_path)
    yield database
    database.close()


MakeSource = Callable[..., Source]


@pytest.fixture
def make_source(tmp_path: Path) -> Iterator[MakeSource]:
    """``make_source(kind, frame, **config_fields) -> Source`` over ``frame`` stored as ``kind``."""
    databases: dict[str, SqlDatabase] = {}

    def make(kind: str, frame: pd.DataFrame, *, role: str = ROLE, **fields: Any) -> Source:
        folder = tmp_path / uuid.uuid4().hex[:8]
        folder.mkdir()
        config: Any
        if kind == "csv":
            path = folder / "data.csv"
            frame.to_csv(path, index=False)
            config = CsvSourceConfig(type="csv", path=path, **fields)
        elif kind == "parquet-file":
            path = folder / "data.parquet"
            table = pa.Table.from_pandas(frame, preserve_index=False)
            pq.write_table(table, path, row_group_size=7)
            config = ParquetSourceConfig(type="parquet", path=path, **fields)
        elif kind == "parquet-dir":
            for part, piece in enumerate(np.array_split(np.arange(len(frame)), 3)):
                table = pa.Table.from_pandas(frame.iloc[piece], preserve_index=False)
                pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=5)
            config = ParquetSourceConfig(type="parquet", path=folder, **fields)
        elif kind in ("sqlite", "postgresql"):
            if kind not in databases:
                databases[kind] = _database(kind, tmp_path)
            database = databases[kind]
            config = SqlSourceConfig(
                type="sql", url=database.url, table=database.write(frame), **fields
            )
        elif kind == "dataframe":
            config = DataFrameSourceConfig(type="dataframe", name="live", **fields)
            return open_source(config, frames={"live": frame}, role=role)
        else:
            raise AssertionError(f"unknown kind {kind}")
        return open_source(config, role=role)

    yield make
    for database in databases.values():
        database.close()
