"""The Source contract, checked identically for every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from driftwatch.config import CsvSourceConfig
from driftwatch.errors import SourceError
from driftwatch.sources import Source, open_source
from driftwatch.timeutil import TimeWindow

MakeSource = Callable[..., Source]
ROWS = 48  # rows of the ``frame`` fixture


def at(hour: int) -> datetime:
    """The ``frame`` fixture's timestamp of row ``hour`` (naive, meaning UTC)."""
    return datetime(2024, 1, 1) + timedelta(hours=hour)


def read_all(source: Source, columns: list[str], **kwargs: object) -> pd.DataFrame:
    chunks = list(source.read(columns, **kwargs))  # type: ignore[arg-type]
    if not chunks:
        return pd.DataFrame(columns=columns)
    return pd.concat(chunks, ignore_index=True)


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as object columns with every missing value spelled NaN."""
    return frame.astype(object).where(frame.notna(), float("nan"))


def ids(source: Source, **kwargs: object) -> list[int]:
    return [int(v) for v in read_all(source, ["id"], **kwargs)["id"]]


def test_columns_lists_the_data_columns(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame)
    assert source.columns() == ["id", "ts", "x", "city", "flag"]
    assert isinstance(source, Source)


def test_read_returns_exactly_the_requested_columns_in_order(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame)
    result = read_all(source, ["x", "id", "city"])
    assert list(result.columns) == ["x", "id", "city"]
    assert len(result) == ROWS
    assert result["id"].tolist() == frame["id"].tolist()
    pd.testing.assert_series_equal(result["x"], frame["x"], check_dtype=False)
    assert result["city"].isna().tolist() == frame["city"].isna().tolist()


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, ROWS, 10_000])
def test_chunks_concatenate_to_a_single_read(
    source_kind: str, chunk_rows: int, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts")
    columns = ["city", "x", "id", "flag"]
    whole = read_all(source, columns)
    chunks = list(source.read(columns, chunk_rows=chunk_rows))
    assert chunks, "expected at least one chunk"
    for chunk in chunks:
        assert list(chunk.columns) == columns
        assert 1 <= len(chunk) <= chunk_rows
        assert isinstance(chunk.index, pd.RangeIndex) and chunk.index.start == 0
    assert sum(len(c) for c in chunks) == ROWS
    # A chunk whose column is all missing may hold None (object) where the full read holds NaN.
    pd.testing.assert_frame_equal(
        canonical(pd.concat(chunks, ignore_index=True)), canonical(whole), check_dtype=False
    )


@pytest.mark.parametrize("chunk_rows", [1, 4, 10_000])
def test_chunking_with_a_window(
    source_kind: str, chunk_rows: int, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts")
    window = TimeWindow(at(5), at(17))
    chunks = list(source.read(["id"], window=window, chunk_rows=chunk_rows))
    assert all(1 <= len(c) <= chunk_rows for c in chunks)
    assert pd.concat(chunks)["id"].tolist() == list(range(5, 17))


def test_fixed_range_keeps_start_and_drops_end(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts", start=at(6), end=at(30))
    assert ids(source) == list(range(6, 30))


def test_window_intersects_the_fixed_range(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts", start=at(6), end=at(30))
    assert ids(source, window=TimeWindow(at(20), at(100))) == list(range(20, 30))
    assert ids(source, window=TimeWindow(at(0), at(10))) == list(range(6, 10))
    assert ids(source, window=TimeWindow(at(8), at(9))) == [8]


def test_open_sided_fixed_ranges(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    assert ids(make_source(source_kind, frame, timestamp_column="ts", start=at(40))) == list(
        range(40, ROWS)
    )
    assert ids(make_source(source_kind, frame, timestamp_column="ts", end=at(3))) == [0, 1, 2]


def test_naive_timestamps_are_utc(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    """The data's naive times are UTC: a window given in UTC+02:00 selects by UTC instant."""
    source = make_source(source_kind, frame, timestamp_column="ts")
    plus_two = timezone(timedelta(hours=2))
    window = TimeWindow(datetime(2024, 1, 1, 12, tzinfo=plus_two), datetime(2024, 1, 1, 15))
    assert window.start == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert ids(source, window=window) == list(range(10, 15))


def test_no_matching_rows_yields_no_chunks(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts", start=at(6), end=at(30))
    far = TimeWindow(datetime(2030, 1, 1), datetime(2030, 2, 1))
    assert list(source.read(["id", "x"], window=far)) == []
    disjoint = TimeWindow(at(30), at(40))  # touches the fixed range's open end only
    assert list(source.read(["id"], window=disjoint)) == []


def test_timestamp_column_is_returned_only_when_requested(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts", start=at(1), end=at(3))
    assert list(read_all(source, ["x"]).columns) == ["x"]
    with_ts = read_all(source, ["ts", "id"])
    assert list(with_ts.columns) == ["ts", "id"]
    stamps = pd.to_datetime(with_ts["ts"], utc=True)
    assert stamps.tolist() == [pd.Timestamp(at(1), tz="UTC"), pd.Timestamp(at(2), tz="UTC")]


def test_requested_duplicates_are_repeated(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame)
    result = read_all(source, ["id", "x", "id"])
    assert list(result.columns) == ["id", "x", "id"]


def test_describe_is_one_line(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    text = make_source(source_kind, frame).describe()
    assert "\n" not in text and text


def test_rows_with_missing_timestamps_are_dropped_only_when_filtering(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    frame = frame.head(6).copy()
    frame.loc[2, "ts"] = pd.NaT
    unfiltered = make_source(source_kind, frame, timestamp_column="ts")
    assert ids(unfiltered) == [0, 1, 2, 3, 4, 5]
    assert ids(unfiltered, window=TimeWindow(at(0), at(10))) == [0, 1, 3, 4, 5]


def test_dataframe_source_does_not_mutate_the_callers_frame(
    make_source: MakeSource, frame: pd.DataFrame
) -> None:
    before = frame.copy(deep=True)
    source = make_source("dataframe", frame, timestamp_column="ts", start=at(2))
    for chunk in source.read(["x", "ts"], chunk_rows=5):
        chunk["x"] = -1.0
        chunk.loc[:, "ts"] = pd.NaT
    pd.testing.assert_frame_equal(frame, before)


def test_csv_offsets_in_timestamps_are_converted_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text(
        "ts,v\n"
        "2024-01-01T01:30:00+02:00,1\n"  # 2023-12-31 23:30 UTC
        "2024-01-01T00:00:00Z,2\n"
        "2024-01-01 02:00:00,3\n"  # naive: UTC
        "2024-01-01T03:00:00-01:00,4\n"  # 04:00 UTC
    )
    source = open_source(CsvSourceConfig(type="csv", path=path, timestamp_column="ts"))
    window = TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 1, 4))
    assert read_all(source, ["v"], window=window)["v"].tolist() == [2, 3]


def test_read_validates_before_iterating(make_source: MakeSource, frame: pd.DataFrame) -> None:
    source = make_source("csv", frame)
    with pytest.raises(SourceError):
        source.read(["nope"])  # raises at call time, not at the first next()
    with pytest.raises(ValueError, match="chunk_rows"):
        source.read(["x"], chunk_rows=0)


# --- TimeWindow --------------------------------------------------------------------------------


def test_time_window_normalises_to_utc() -> None:
    plus_one = timezone(timedelta(hours=1))
    window = TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 2, 1, tzinfo=plus_one))
    assert window.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2024, 1, 2, tzinfo=UTC)
    assert window.start.tzinfo is UTC and window.end.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end"),
    [(datetime(2024, 1, 2), datetime(2024, 1, 1)), (datetime(2024, 1, 1), datetime(2024, 1, 1))],
)
def test_time_window_needs_start_before_end(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError, match="start < end"):
        TimeWindow(start, end)


def test_time_window_needs_datetimes() -> None:
    with pytest.raises(TypeError, match="two datetimes"):
        TimeWindow("2024-01-01", datetime(2024, 1, 2))  # type: ignore[arg-type]


def test_time_window_str_is_iso() -> None:
    window = TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 1, 1))
    assert str(window) == "[2024-01-01T00:00:00+00:00, 2024-01-01T01:00:00+00:00)"
    assert TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 1, 1)) == window


def test_open_source_rejects_unknown_types_listing_the_accepted_ones() -> None:
    class Fake:
        type = "excel"

    with pytest.raises(SourceError, match=r"^reference: unknown source type 'excel'") as info:
        open_source(Fake(), role="reference")  # type: ignore[arg-type]
    assert "csv, dask, dataframe, parquet, sql" in str(info.value)
