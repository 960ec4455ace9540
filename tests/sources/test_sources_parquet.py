"""Parquet specifics: time filter pushdown on Arrow timestamp types, fallbacks, hive folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftwatch.config import ParquetSourceConfig
from driftwatch.sources import open_source
from driftwatch.sources.parquet import ParquetSource
from driftwatch.timeutil import TimeWindow

START = datetime(2024, 1, 1)


def at(hour: int) -> datetime:
    return START + timedelta(hours=hour)


def write(path: Path, columns: dict[str, Any], **options: Any) -> Path:
    pq.write_table(pa.table(columns), path, **options)
    return path


def ids(source: Any, **kwargs: Any) -> list[int]:
    return [int(v) for chunk in source.read(["id"], **kwargs) for v in chunk["id"]]


STAMPS = [at(h) for h in range(24)]


@pytest.mark.parametrize(
    "arrow_type",
    [
        pa.timestamp("s"),
        pa.timestamp("ms"),
        pa.timestamp("us"),
        pa.timestamp("ns"),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("ns", tz="America/Los_Angeles"),
    ],
    ids=str,
)
def test_pushdown_on_timestamp_types(tmp_path: Path, arrow_type: Any) -> None:
    stamps = pa.array(STAMPS, type=pa.timestamp("us"))
    if arrow_type.tz is not None:  # the naive values are UTC instants
        stamps = pa.array([s.replace(tzinfo=UTC) for s in STAMPS], type=pa.timestamp("us", "UTC"))
    path = write(
        tmp_path / "t.parquet",
        {"id": list(range(24)), "ts": stamps.cast(arrow_type)},
        row_group_size=4,
    )
    config = ParquetSourceConfig(type="parquet", path=path, timestamp_column="ts", start=at(2))
    source = open_source(config)
    assert isinstance(source, ParquetSource)
    window = TimeWindow(at(0), at(9))
    assert ids(source, window=window) == list(range(2, 9))
    # the pushed-down filter means the timestamp column is not even read
    assert list(pd.concat(source.read(["id"], window=window)).columns) == ["id"]


def test_pushdown_and_pandas_paths_agree(tmp_path: Path) -> None:
    typed = write(
        tmp_path / "typed.parquet",
        {"id": list(range(24)), "ts": pa.array(STAMPS, pa.timestamp("us"))},
    )
    text = write(
        tmp_path / "text.parquet",
        {"id": list(range(24)), "ts": [s.strftime("%Y/%m/%d %H:%M") for s in STAMPS]},
    )
    window = TimeWindow(at(3), at(17))
    results = [
        ids(
            open_source(ParquetSourceConfig(type="parquet", path=p, timestamp_column="ts")),
            window=window,
        )
        for p in (typed, text)
    ]
    assert results[0] == results[1] == list(range(3, 17))


def test_bounds_beyond_the_nanosecond_range_fall_back_to_pandas(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ns.parquet",
        {"id": [0, 1], "ts": pa.array([at(0), at(1)], pa.timestamp("ns"))},
    )
    config = ParquetSourceConfig(
        type="parquet", path=path, timestamp_column="ts", end=datetime(3000, 1, 1)
    )
    assert ids(open_source(config), window=TimeWindow(at(1), datetime(2900, 1, 1))) == [1]


def test_date_columns_are_filtered(tmp_path: Path) -> None:
    days = [datetime(2024, 1, d).date() for d in range(1, 11)]
    path = write(
        tmp_path / "d.parquet", {"id": list(range(10)), "day": pa.array(days, pa.date32())}
    )
    config = ParquetSourceConfig(type="parquet", path=path, timestamp_column="day")
    window = TimeWindow(datetime(2024, 1, 3), datetime(2024, 1, 5))
    assert ids(open_source(config), window=window) == [2, 3]


def test_hive_partitioned_directory(tmp_path: Path) -> None:
    for region, offset in (("eu", 0), ("us", 100)):
        folder = tmp_path / f"region={region}"
        folder.mkdir()
        write(
            folder / "part.parquet",
            {"id": [offset, offset + 1], "ts": pa.array([at(0), at(5)], pa.timestamp("us"))},
        )
    config = ParquetSourceConfig(type="parquet", path=tmp_path, timestamp_column="ts")
    source = open_source(config)
    assert source.columns() == ["id", "ts", "region"]
    frame = pd.concat(source.read(["region", "id"], window=TimeWindow(at(0), at(1))))
    assert sorted(zip(frame["region"], frame["id"], strict=True)) == [("eu", 0), ("us", 100)]


def test_hidden_and_underscore_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path / "part.parquet", {"id": [1, 2]})
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".part.parquet.crc").write_bytes(b"\x00\x01")
    assert ids(open_source(ParquetSourceConfig(type="parquet", path=tmp_path))) == [1, 2]


def test_batches_never_exceed_chunk_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "big.parquet", {"id": list(range(1000))}, row_group_size=300)
    chunks = list(
        open_source(ParquetSourceConfig(type="parquet", path=path)).read(["id"], chunk_rows=64)
    )
    assert max(len(c) for c in chunks) <= 64
    assert pd.concat(chunks)["id"].tolist() == list(range(1000))
