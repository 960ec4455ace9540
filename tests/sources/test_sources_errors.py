"""Bad input gets one clear line: what went wrong, where (the role) and how to fix it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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
from driftwatch.engine import NumericBins
from driftwatch.errors import ColumnError, SourceError
from driftwatch.sources import Source, open_source
from driftwatch.sources.counting import FeatureBins
from driftwatch.timeutil import TimeWindow

ROLE = "monitor 'weather' live"
WINDOW = TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 2))


def _csv(tmp: Path, text: str | bytes, **fields: Any) -> Source:
    path = tmp / "data.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return open_source(CsvSourceConfig(type="csv", path=path, **fields), role=ROLE)


def _parquet(tmp: Path, **fields: Any) -> Source:
    frame = pd.DataFrame({"ts": ["2024-01-01"], "x": [1.0]})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp / "data.parquet")
    return open_source(
        ParquetSourceConfig(type="parquet", path=tmp / "data.parquet", **fields), role=ROLE
    )


def _sqlite(tmp: Path, **fields: Any) -> Source:
    url = f"sqlite:///{tmp / 'data.db'}"
    engine = sa.create_engine(url)
    pd.DataFrame({"ts": ["2024-01-01"], "x": [1.0]}).to_sql("t", engine, index=False)
    engine.dispose()
    return open_source(SqlSourceConfig(type="sql", url=url, **fields), role=ROLE)


def _corrupt_parquet_file(tmp: Path) -> Source:
    (tmp / "bad.parquet").write_bytes(b"PAR1 this is not really parquet")
    return open_source(ParquetSourceConfig(type="parquet", path=tmp / "bad.parquet"), role=ROLE)


def _corrupt_parquet_in_directory(tmp: Path) -> Source:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp / "a.parquet")
    good = (tmp / "a.parquet").read_bytes()
    (tmp / "b.parquet").write_bytes(good[: len(good) // 2] + good[-8:])  # truncated body
    return open_source(ParquetSourceConfig(type="parquet", path=tmp), role=ROLE)


def _mysql_typed_sqlite(tmp: Path) -> Source:
    """A SQLite table declared with MySQL's ``INT(11)``, which SQLAlchemy cannot rebuild (it warns
    on reflecting it)."""
    url = f"sqlite:///{tmp / 'data.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INT(11), x DOUBLE)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1, 1.5)")
    engine.dispose()
    return open_source(SqlSourceConfig(type="sql", url=url, table="t"), role=ROLE)


def _parquet_with_a_repeated_column(tmp: Path, *, directory: bool) -> Source:
    table = pa.table([pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], names=["x", "x"])
    if directory:
        pq.write_table(pa.table({"x": [5.0, 6.0]}), tmp / "a.parquet")
    pq.write_table(table, tmp / "b.parquet")
    path = tmp if directory else tmp / "b.parquet"
    return open_source(ParquetSourceConfig(type="parquet", path=path), role=ROLE)


def _parquet_directory_with_a_file_lacking(tmp: Path, column: str) -> Source:
    full = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    pq.write_table(pa.Table.from_pandas(full, preserve_index=False), tmp / "a.parquet")
    short = full.drop(columns=[column])
    pq.write_table(pa.Table.from_pandas(short, preserve_index=False), tmp / "b.parquet")
    return open_source(ParquetSourceConfig(type="parquet", path=tmp), role=ROLE)


DECIMAL_COMMA = "a;b;c\n0,5;1,25;x\n1,5;2,5;y\n"
"""A semicolon file with decimal commas: read with ',' its rows have more fields than its
header (pandas warns on the header read)."""

Case = tuple[Callable[[Path], Source], Callable[[Source], object], type[Exception], list[str]]

CASES: dict[str, Case] = {
    "missing csv file": (
        lambda tmp: open_source(CsvSourceConfig(type="csv", path=tmp / "x.csv"), role=ROLE),
        lambda s: s.columns(),
        SourceError,
        ["file '", "/x.csv' not found; fix the 'path' key or create the file"],
    ),
    "missing parquet path": (
        lambda tmp: open_source(
            ParquetSourceConfig(type="parquet", path=tmp / "nope.parquet"), role=ROLE
        ),
        lambda s: s.read(["x"]),
        SourceError,
        ["nope.parquet' not found", "fix the 'path' key"],
    ),
    "csv path is a directory": (
        lambda tmp: open_source(CsvSourceConfig(type="csv", path=tmp), role=ROLE),
        lambda s: s.columns(),
        SourceError,
        ["is a directory"],
    ),
    "missing column": (
        lambda tmp: _csv(tmp, "ts,temp_max,wind\n2024-01-01,1,2\n"),
        lambda s: s.read(["temp_max", "temp_min"]),
        ColumnError,
        ["column 'temp_min' not found in csv file", "available columns: ts, temp_max, wind"],
    ),
    "several missing columns": (
        lambda tmp: _csv(tmp, "ts,a\n2024-01-01,1\n"),
        lambda s: s.read(["b", "a", "c"]),
        ColumnError,
        ["columns 'b', 'c' not found", "available columns: ts, a"],
    ),
    "missing column in parquet": (
        lambda tmp: _parquet(tmp),
        lambda s: s.read(["y"]),
        ColumnError,
        ["column 'y' not found in parquet file", "available columns: ts, x"],
    ),
    "missing timestamp column": (
        lambda tmp: _csv(tmp, "time,x\n2024-01-01,1\n", timestamp_column="ts"),
        lambda s: s.read(["x"], window=WINDOW),
        ColumnError,
        ["timestamp column 'ts' not found", "fix 'timestamp_column'", "available columns: time"],
    ),
    "window without timestamp_column": (
        lambda tmp: _csv(tmp, "ts,x\n2024-01-01,1\n"),
        lambda s: s.read(["x"], window=WINDOW),
        SourceError,
        ["a time window [2024-01-01T00:00:00+00:00", "has no 'timestamp_column'"],
    ),
    "window without timestamp_column (dataframe)": (
        lambda tmp: open_source(
            DataFrameSourceConfig(type="dataframe", name="live"),
            frames={"live": pd.DataFrame({"x": [1]})},
            role=ROLE,
        ),
        lambda s: s.read(["x"], window=WINDOW),
        SourceError,
        ["has no 'timestamp_column'"],
    ),
    "unparseable timestamps": (
        lambda tmp: _csv(tmp, "ts,x\n2024-01-01,1\nabc,2\n", timestamp_column="ts"),
        lambda s: list(s.read(["x"], window=WINDOW)),
        SourceError,
        ["column 'ts' of csv file", "holds values that are not timestamps, such as 'abc'"],
    ),
    "unparseable first timestamp": (
        lambda tmp: _csv(tmp, "ts,x\nyesterday,1\n2024-01-01,2\n", timestamp_column="ts"),
        lambda s: list(s.read(["x"], window=WINDOW)),
        SourceError,
        ["not timestamps, such as 'yesterday'"],
    ),
    "numbers as timestamps": (
        lambda tmp: _csv(tmp, "ts,x\n1704067200,1\n", timestamp_column="ts"),
        lambda s: list(s.read(["x"], window=WINDOW)),
        SourceError,
        ["not timestamps, such as '1704067200'"],
    ),
    "unparseable timestamps in sqlite": (
        lambda tmp: _sqlite(tmp, query="SELECT 'soon' AS ts, 1 AS x", timestamp_column="ts"),
        lambda s: list(s.read(["x"], window=WINDOW)),
        SourceError,
        ["column 'ts' of sql query", "not timestamps, such as 'soon'"],
    ),
    "empty csv": (
        lambda tmp: _csv(tmp, ""),
        lambda s: s.columns(),
        SourceError,
        ["is empty", "header row"],
    ),
    "csv with an unterminated quote": (
        lambda tmp: _csv(tmp, 'a,b\n1,2\n3,"4\n5,6\n'),
        lambda s: list(s.read(["a"])),
        SourceError,
        ["is not valid CSV", "EOF inside string starting at row 2", "'delimiter'"],
    ),
    "decimal-comma csv read with commas": (
        lambda tmp: _csv(tmp, DECIMAL_COMMA),
        lambda s: s.columns(),
        SourceError,
        ["has one column 'a;b;c' in its header: it looks ';'-delimited, not ','"],
    ),
    "missing column of a table with a MySQL type": (
        _mysql_typed_sqlite,
        lambda s: s.read(["y"]),
        ColumnError,
        ["column 'y' not found in sql table t", "available columns: n, x"],
    ),
    "repeated csv header name": (
        lambda tmp: _csv(tmp, "x,y,x\n1,2,3\n"),
        lambda s: list(s.read(["y", "x"])),
        ColumnError,
        ["csv file '", "data.csv' has 2 columns named 'x' in its header (fields 1, 3)"],
    ),
    "pandas' name for a repeated csv header name": (
        lambda tmp: _csv(tmp, "x,y,x\n1,2,3\n"),
        lambda s: list(s.read(["x.1"])),
        ColumnError,
        ["has 2 columns named 'x' in its header", "rename the repeated ones"],
    ),
    "binary file as csv": (
        lambda tmp: _csv(tmp, b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00garbage\xff"),
        lambda s: s.columns(),
        SourceError,
        ["is not text in encoding 'utf-8'", "'encoding' key"],
    ),
    "unknown encoding": (
        lambda tmp: _csv(tmp, "a\n1\n", encoding="klingon"),
        lambda s: s.columns(),
        SourceError,
        ["klingon", "fix the 'encoding' key"],
    ),
    "corrupt parquet file": (
        _corrupt_parquet_file,
        lambda s: s.columns(),
        SourceError,
        ["parquet file /", "bad.parquet cannot be read as Parquet: Parquet magic bytes"],
    ),
    "corrupt parquet in a directory": (
        _corrupt_parquet_in_directory,
        lambda s: list(s.read(["x"])),
        SourceError,
        ["parquet file /", "/b.parquet cannot be read as Parquet:", "smaller than"],
    ),
    "repeated column in a parquet file": (
        lambda tmp: _parquet_with_a_repeated_column(tmp, directory=False),
        lambda s: list(s.read(["x"])),
        ColumnError,
        ["parquet file /", "/b.parquet has 2 columns named 'x'", "rename or drop the repeated"],
    ),
    "repeated column in one parquet file of a directory": (
        lambda tmp: _parquet_with_a_repeated_column(tmp, directory=True),
        lambda s: list(s.read(["x"])),
        ColumnError,
        ["parquet file /", "/b.parquet has 2 columns named 'x'"],
    ),
    "a file of a parquet directory lacks a column": (
        lambda tmp: _parquet_directory_with_a_file_lacking(tmp, "y"),
        lambda s: list(s.read(["x", "y"])),
        ColumnError,
        ["parquet file /", "/b.parquet has no column 'y', which the parquet directory /"],
    ),
    "a file of a parquet directory lacks a column (counting)": (
        lambda tmp: _parquet_directory_with_a_file_lacking(tmp, "x"),
        lambda s: s.count([FeatureBins("x", "numeric", NumericBins(edges=(0.0, 1.0, 2.0)))]),
        ColumnError,
        ["/b.parquet has no column 'x'", "add the column to that file (nulls where unknown)"],
    ),
    "empty parquet directory": (
        lambda tmp: open_source(ParquetSourceConfig(type="parquet", path=tmp), role=ROLE),
        lambda s: s.columns(),
        SourceError,
        ["holds no Parquet files"],
    ),
    "unreachable database": (
        lambda tmp: open_source(
            SqlSourceConfig(
                type="sql", url="postgresql+psycopg://u:SECRETPW@127.0.0.1:1/x", table="t"
            ),
            role=ROLE,
        ),
        lambda s: s.read(["x"]),
        SourceError,
        ["cannot connect to postgresql+psycopg://u:***@127.0.0.1:1/x", "check the 'url' key"],
    ),
    "unreachable database (fingerprint)": (
        lambda tmp: open_source(
            SqlSourceConfig(
                type="sql", url="postgresql+psycopg://u:SECRETPW@127.0.0.1:1/x", query="SELECT 1"
            ),
            role=ROLE,
        ),
        lambda s: s.fingerprint(),
        SourceError,
        ["cannot connect to postgresql+psycopg://u:***@127.0.0.1:1/x"],
    ),
    "missing sqlite file": (
        lambda tmp: open_source(
            SqlSourceConfig(type="sql", url=f"sqlite:///{tmp / 'none.db'}", table="t"), role=ROLE
        ),
        lambda s: s.columns(),
        SourceError,
        ["SQLite database file", "none.db' not found"],
    ),
    "not a database url": (
        lambda tmp: open_source(SqlSourceConfig(type="sql", url="warehouse", table="t"), role=ROLE),
        lambda s: s.columns(),
        SourceError,
        ["'warehouse' is not a database URL"],
    ),
    "unknown dialect": (
        lambda tmp: open_source(
            SqlSourceConfig(type="sql", url="nosuchdb://u:SECRETPW@h/d", table="t"), role=ROLE
        ),
        lambda s: s.columns(),
        SourceError,
        ["nosuchdb://u:***@h/d: unknown database type 'nosuchdb'"],
    ),
    "bad sql": (
        lambda tmp: _sqlite(tmp, query="SELECT nope FROM t"),
        lambda s: s.columns(),
        SourceError,
        ["listing the columns of sql query 'SELECT nope FROM t'", "no such column: nope"],
    ),
    "bad sql while reading": (
        lambda tmp: _sqlite(tmp, query="SELECT x, ts FROM t WHERE ts > :other"),
        lambda s: list(s.read(["x"])),
        SourceError,
        ["sql query", "check the 'query' key"],
    ),
    "missing table": (
        lambda tmp: _sqlite(tmp, table="predictions"),
        lambda s: s.read(["x"]),
        SourceError,
        ["table 'predictions' not found", "tables there: t"],
    ),
    "unknown frame name": (
        lambda tmp: open_source(
            DataFrameSourceConfig(type="dataframe", name="live"),
            frames={"reference": pd.DataFrame(), "today": pd.DataFrame()},
            role=ROLE,
        ),
        lambda s: s.columns(),
        SourceError,
        ["no DataFrame named 'live'", "given names: reference, today"],
    ),
    "no frames at all": (
        lambda tmp: open_source(DataFrameSourceConfig(type="dataframe", name="live"), role=ROLE),
        lambda s: s.fingerprint(),
        SourceError,
        ["no DataFrame named 'live'", "no DataFrames were given", "frames={'live': df}"],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_error_messages(case: str, tmp_path: Path) -> None:
    build, action, kind, fragments = CASES[case]
    source = build(tmp_path)
    with pytest.raises(kind) as info:
        action(source)
    message = str(info.value)
    assert message.startswith(f"{ROLE}: "), message
    assert "\n" not in message, message
    assert "SECRETPW" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    "case",
    ["decimal-comma csv read with commas", "missing column of a table with a MySQL type"],
    ids=["csv-parser-warning", "sql-reflection-warning"],
)
def test_a_library_warning_is_neither_shown_nor_left_in_the_filters(
    case: str, tmp_path: Path
) -> None:
    """The error line says it all: pandas' or SQLAlchemy's warning is dropped for that one call,
    and the process's warning filters are as they were (the caller's own, not driftwatch's)."""
    build, action, kind, _ = CASES[case]
    source = build(tmp_path)
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shown = list(warnings.filters)
        with pytest.raises(kind):
            action(source)
        assert list(warnings.filters) == shown
    assert [str(w.message) for w in caught] == []
    assert list(warnings.filters) == before


def test_describe_redacts_the_password() -> None:
    config = SqlSourceConfig(
        type="sql", url="postgresql+psycopg://user:SECRETPW@host/db", table="predictions"
    )
    text = open_source(config).describe()
    assert text == "sql table predictions on postgresql+psycopg://user:***@host/db"


@pytest.mark.postgresql
def test_errors_from_a_password_bearing_url_on_a_live_server() -> None:
    """A server that rejects the login: the reason is shown, the password is not."""
    url = os.environ.get("DRIFTWATCH_TEST_PG_URL")
    if not url:
        pytest.skip("needs DRIFTWATCH_TEST_PG_URL")
    bad = sa.engine.make_url(url).set(username="no_such_user_dw", password="SECRETPW")
    config = SqlSourceConfig(type="sql", url=bad.render_as_string(False), table="t")
    with pytest.raises(SourceError) as info:
        open_source(config, role=ROLE).columns()
    assert "SECRETPW" not in str(info.value)
    assert "no_such_user_dw:***@" in str(info.value)
