"""SQL sources: table and query forms, window binds, streaming, against SQLite and PostgreSQL.

The ``db`` fixture runs each test on SQLite (a temp file) and, when ``DRIFTWATCH_TEST_PG_URL`` is
set, on PostgreSQL too (uniquely named tables, dropped afterwards).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from driftwatch.config import SqlSourceConfig
from driftwatch.errors import ColumnError, SourceError
from driftwatch.sources import Source, open_source
from driftwatch.timeutil import TimeWindow


def at(hour: int) -> datetime:
    """The ``frame`` fixture's timestamp of row ``hour`` (naive, meaning UTC)."""
    return datetime(2024, 1, 1) + timedelta(hours=hour)


def sql_source(db: Any, **fields: Any) -> Source:
    config = SqlSourceConfig(type="sql", url=db.url, **fields)
    return open_source(config, role="monitor 'm' live")


def read_ids(source: Source, **kwargs: Any) -> list[int]:
    chunks = list(source.read(["id"], **kwargs))
    return [int(v) for chunk in chunks for v in chunk["id"]]


def test_table_form(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    source = sql_source(db, table=table, timestamp_column="ts")
    assert source.columns() == ["id", "ts", "x", "city", "flag"]
    assert source.describe() == f"sql table {table} on {db.url}"
    result = pd.concat(source.read(["city", "id"], window=TimeWindow(at(3), at(9))))
    assert list(result.columns) == ["city", "id"]
    assert result["id"].tolist() == [3, 4, 5, 6, 7, 8]


def test_query_form_filters_outside_the_query(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    query = f"SELECT id, ts, x * 2 AS double_x FROM {table} WHERE id >= 10;\n"
    source = sql_source(db, query=query, timestamp_column="ts", end=at(20))
    assert source.columns() == ["id", "ts", "double_x"]
    assert source.describe().startswith("sql query 'SELECT id, ts, x * 2 AS double_x FROM")
    result = pd.concat(source.read(["double_x", "id"], window=TimeWindow(at(5), at(15))))
    assert result["id"].tolist() == list(range(10, 15))
    assert result["double_x"].tolist() == pytest.approx(
        [v * 2 for v in frame["x"][10:15]], nan_ok=True
    )
    assert read_ids(source) == list(range(10, 20))


def test_query_window_binds_receive_the_effective_bounds(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    query = f"SELECT * FROM {table} WHERE ts >= :window_start AND ts < :window_end"
    source = sql_source(db, query=query, timestamp_column="ts", start=at(2))
    assert "window_start" not in source.columns()
    assert read_ids(source, window=TimeWindow(at(0), at(6))) == [2, 3, 4, 5]
    # with the end open, :window_end covers the whole time axis
    assert read_ids(source) == list(range(2, 48))


def test_query_binds_alone_do_the_filtering(db: Any, frame: pd.DataFrame) -> None:
    """A query that only uses :window_end still gets the outer filter for the start."""
    table = db.write(frame)
    query = f"SELECT id, ts FROM {table} WHERE ts < :window_end ORDER BY id"
    source = sql_source(db, query=query, timestamp_column="ts")
    assert read_ids(source, window=TimeWindow(at(40), at(44))) == [40, 41, 42, 43]


def test_casts_are_not_mistaken_for_binds(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    cast = "CAST(x AS REAL)" if db.name == "sqlite" else "x::float8"
    source = sql_source(db, query=f"SELECT id, {cast} AS xf, ts FROM {table}")
    assert len(pd.concat(source.read(["xf"]))) == 48


@pytest.mark.parametrize("chunk_rows", [1, 5, 1000])
def test_streams_in_chunks(db: Any, frame: pd.DataFrame, chunk_rows: int) -> None:
    source = sql_source(db, table=db.write(frame), timestamp_column="ts")
    chunks = list(source.read(["id", "x"], chunk_rows=chunk_rows))
    assert all(1 <= len(c) <= chunk_rows for c in chunks)
    assert [int(v) for c in chunks for v in c["id"]] == list(range(48))


def test_timezone_aware_column(db: Any, frame: pd.DataFrame) -> None:
    aware = frame.assign(ts=frame["ts"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
    if db.name == "sqlite":  # SQLAlchemy would store Tokyo wall times without their offset
        aware["ts"] = aware["ts"].map(lambda t: t.isoformat())
    table = db.write(aware)
    source = sql_source(db, table=table, timestamp_column="ts")
    assert read_ids(source, window=TimeWindow(at(7), at(10))) == [7, 8, 9]


def test_reads_a_table_in_a_schema(db: Any, frame: pd.DataFrame) -> None:
    schema = "main" if db.name == "sqlite" else "public"
    table = db.write(frame)
    source = sql_source(db, table=table, schema=schema, timestamp_column="ts")
    assert source.describe() == f"sql table {schema}.{table} on {db.url}"
    assert read_ids(source, window=TimeWindow(at(0), at(2))) == [0, 1]


def test_text_timestamps_in_sqlite_use_exact_boundaries(tmp_path: Any, frame: pd.DataFrame) -> None:
    """SQLite stores text: other formats than SQLAlchemy's own are still filtered exactly."""
    import sqlalchemy as sa

    formats: dict[str, Callable[[pd.Series], pd.Series]] = {
        "iso_t": lambda s: s.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "slashes": lambda s: s.dt.strftime("%Y/%m/%d %H:%M"),
        "offset": lambda s: (s.dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")).map(
            lambda t: t.isoformat()
        ),
    }
    url = f"sqlite:///{tmp_path / 'text.db'}"
    engine = sa.create_engine(url)
    for name, render in formats.items():
        frame.assign(ts=render(frame["ts"])).to_sql(name, engine, index=False)
    engine.dispose()
    for name in formats:
        config = SqlSourceConfig(type="sql", url=url, table=name, timestamp_column="ts")
        source = open_source(config)
        assert read_ids(source, window=TimeWindow(at(5), at(7))) == [5, 6], name


def test_missing_table_lists_the_tables(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    source = sql_source(db, table="no_such_table")
    with pytest.raises(SourceError) as info:
        source.columns()
    message = str(info.value)
    assert message.startswith("monitor 'm' live: table 'no_such_table' not found")
    assert table in message


def test_missing_column_lists_the_available_ones(db: Any, frame: pd.DataFrame) -> None:
    source = sql_source(db, table=db.write(frame))
    with pytest.raises(ColumnError, match=r"'temperature' not found .*available columns: id, ts"):
        source.read(["temperature"])


def test_bad_sql_gives_the_database_reason(db: Any, frame: pd.DataFrame) -> None:
    db.write(frame)  # the database exists
    source = sql_source(db, query="SELEC nonsense FROM nowhere")
    with pytest.raises(SourceError) as info:
        source.columns()
    message = str(info.value)
    assert message.startswith("monitor 'm' live: ")
    assert "syntax error" in message.lower()
    assert "\n" not in message and db.url in message


def test_fingerprint_counts_rows(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    source = sql_source(db, table=table, timestamp_column="ts", end=at(10))
    first = source.fingerprint()
    assert first == sql_source(db, table=table, timestamp_column="ts", end=at(10)).fingerprint()
    db.execute(f"DELETE FROM {table} WHERE id = 47")  # outside the fixed range: same count
    assert source.fingerprint() == first
    db.execute(f"DELETE FROM {table} WHERE id = 3")
    assert source.fingerprint() != first
    other_range = sql_source(db, table=table, timestamp_column="ts", end=at(11))
    assert other_range.fingerprint() != source.fingerprint()


def test_fingerprint_of_a_query_with_binds(db: Any, frame: pd.DataFrame) -> None:
    table = db.write(frame)
    query = f"SELECT * FROM {table} WHERE ts >= :window_start"
    source = sql_source(db, query=query, timestamp_column="ts", start=at(40))
    first = source.fingerprint()
    db.execute(f"DELETE FROM {table} WHERE id = 45")
    assert source.fingerprint() != first


def test_naive_postgres_timestamps_are_utc_whatever_the_session_timezone(
    db: Any, frame: pd.DataFrame
) -> None:
    if db.name != "postgresql":
        pytest.skip("PostgreSQL session time zones only")
    table = db.write(frame)
    separator = "&" if "?" in db.url else "?"
    url = f"{db.url}{separator}options=-c%20timezone%3DAmerica/New_York"
    config = SqlSourceConfig(type="sql", url=url, table=table, timestamp_column="ts")
    source = open_source(config)
    window = TimeWindow(datetime(2024, 1, 1, 5, tzinfo=UTC), datetime(2024, 1, 1, 7))
    assert read_ids(source, window=window) == [5, 6]
