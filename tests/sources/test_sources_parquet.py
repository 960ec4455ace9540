"""Parquet specifics: time filter pushdown on Arrow timestamp types, fallbacks, hive folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftwatch.config import ParquetSourceConfig
from driftwatch.engine.binning import CategoricalBins
from driftwatch.errors import ColumnError
from driftwatch.sources import open_source
from driftwatch.sources.counting import FeatureBins
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


def _labels(rng: Any, size: int, distinct: int) -> list[str | None]:
    labels: list[str | None] = [f"v{int(i)}" for i in rng.integers(0, distinct, size)]
    for i in rng.choice(size, size // 20, replace=False):
        labels[i] = None
    return labels


@pytest.mark.parametrize(
    ("distinct", "options"),
    [
        pytest.param(7, {"row_group_size": 700}, id="dictionary-pages-per-row-group"),
        pytest.param(3_000, {"dictionary_pagesize_limit": 1024}, id="fallen-back-to-plain-pages"),
        pytest.param(7, {"use_dictionary": False}, id="written-without-dictionary"),
    ],
)
def test_string_columns_are_counted_on_dictionary_codes_as_the_rows_say(
    tmp_path: Path, distinct: int, options: dict[str, Any]
) -> None:
    """Strings come to the counting path as Arrow dictionaries, whatever the file's encoding,
    and count exactly as pandas counts the rows (missing apart)."""
    rng = np.random.default_rng(5)
    labels = _labels(rng, 3_000, distinct)
    path = write(tmp_path / "s.parquet", {"city": labels, "n": list(range(3_000))}, **options)
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    kinds = {str(c.table.column("city").type) for c in source.chunks(["city"], chunk_rows=500)}
    assert kinds == {"dictionary<values=string, indices=int32, ordered=0>"}
    vocabulary = tuple(sorted({v for v in labels if v is not None}))
    bins = CategoricalBins(vocabulary)
    counted = source.count([FeatureBins("city", "categorical", bins)], chunk_rows=500)
    expected = pd.Series(labels, dtype=object).value_counts()
    got = counted.histograms["city"].counts
    assert [int(got[i]) for i in range(len(vocabulary))] == [expected[v] for v in vocabulary]
    assert int(got[bins.missing_index]) == labels.count(None)


def test_a_string_timestamp_column_is_read_as_text_for_the_time_filter(tmp_path: Path) -> None:
    stamps = [f"2024-01-01T{h:02d}:00:00" for h in range(24)]
    path = write(tmp_path / "t.parquet", {"id": list(range(24)), "ts": stamps})
    config = ParquetSourceConfig(type="parquet", path=path, timestamp_column="ts")
    window = TimeWindow(at(3), at(6))
    chunks = list(open_source(config).chunks(["id", "ts"], window=window))
    assert [int(v) for c in chunks for v in c.table.column("id").to_pylist()] == [3, 4, 5]


def test_text_in_a_numeric_feature_read_as_a_dictionary_is_parsed_or_refused(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "x.parquet", {"good": ["1.5", "2", None], "bad": ["1", "x", "2"]})
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    (chunk,) = source.chunks(["good", "bad"])
    assert chunk.numeric("good", "test").tolist()[:2] == [1.5, 2.0]
    with pytest.raises(ColumnError, match="declared numeric but holds non-numeric values"):
        chunk.numeric("bad", "test")


def test_a_large_string_column_as_pandas_writes_it_stays_a_dictionary(tmp_path: Path) -> None:
    """pyarrow decodes a ``large_string`` column into a dictionary of ``string``: it is not cast
    back (which would build every string again, through ``pyarrow.compute``)."""
    labels = ["a", "b", None, "a"] * 50
    path = write(tmp_path / "l.parquet", {"city": pa.array(labels, pa.large_string())})
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    (chunk,) = source.chunks(["city"])
    assert pa.types.is_dictionary(chunk.table.column("city").type)
    assert chunk.categories("city") == ({"a": 100, "b": 50}, 50)
