"""fingerprint(): stable while the data is unchanged, different as soon as it changes."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from driftwatch.config import CsvSourceConfig, DataFrameSourceConfig, ParquetSourceConfig
from driftwatch.sources import open_source


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def test_csv_fingerprint_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    config = CsvSourceConfig(type="csv", path=path)
    first = open_source(config).fingerprint()
    assert len(first) == 64 and int(first, 16) >= 0
    assert open_source(config).fingerprint() == first
    assert open_source(CsvSourceConfig(type="csv", path=path)).fingerprint() == first


def test_csv_fingerprint_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    source = open_source(CsvSourceConfig(type="csv", path=path))
    first = source.fingerprint()
    path.write_text("a,b\n1,2\n3,4\n")  # rewrite, different size
    assert source.fingerprint() != first


def test_csv_fingerprint_sees_a_same_size_rewrite_by_mtime(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    stat = path.stat()
    source = open_source(CsvSourceConfig(type="csv", path=path))
    first = source.fingerprint()
    path.write_text("a,b\n3,4\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert source.fingerprint() != first


def test_fingerprint_includes_the_fixed_range_and_parsing_options(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("ts,b\n2024-01-01,2\n")
    plain = CsvSourceConfig(type="csv", path=path, timestamp_column="ts")
    ranged = CsvSourceConfig(type="csv", path=path, timestamp_column="ts", end=datetime(2024, 6, 1))
    semicolon = CsvSourceConfig(type="csv", path=path, delimiter=";")
    prints = {open_source(c).fingerprint() for c in (plain, ranged, semicolon)}
    assert len(prints) == 3


def test_parquet_file_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    write_parquet(pd.DataFrame({"a": [1, 2]}), path)
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    first = source.fingerprint()
    assert source.fingerprint() == first
    write_parquet(pd.DataFrame({"a": [1, 2, 3, 4, 5]}), path)
    assert source.fingerprint() != first


def test_parquet_directory_fingerprint_covers_every_file(tmp_path: Path) -> None:
    write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "part-0.parquet")
    write_parquet(pd.DataFrame({"a": [2]}), tmp_path / "part-1.parquet")
    source = open_source(ParquetSourceConfig(type="parquet", path=tmp_path))
    first = source.fingerprint()
    assert source.fingerprint() == first
    write_parquet(pd.DataFrame({"a": [2, 3, 4]}), tmp_path / "part-1.parquet")
    second = source.fingerprint()
    assert second != first
    write_parquet(pd.DataFrame({"a": [5]}), tmp_path / "part-2.parquet")
    assert source.fingerprint() not in (first, second)


def test_dataframe_fingerprint_follows_the_content() -> None:
    config = DataFrameSourceConfig(type="dataframe", name="ref")
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    first = open_source(config, frames={"ref": frame}).fingerprint()
    assert open_source(config, frames={"ref": frame.copy()}).fingerprint() == first
    changed = frame.copy()
    changed.loc[1, "a"] = 20
    assert open_source(config, frames={"ref": changed}).fingerprint() != first
    renamed = frame.rename(columns={"b": "c"})
    assert open_source(config, frames={"ref": renamed}).fingerprint() != first


def test_dataframe_fingerprint_handles_unhashable_cells() -> None:
    config = DataFrameSourceConfig(type="dataframe", name="ref")
    frame = pd.DataFrame({"a": [[1, 2], [3]]})
    first = open_source(config, frames={"ref": frame}).fingerprint()
    other = pd.DataFrame({"a": [[1, 2], [4]]})
    assert open_source(config, frames={"ref": other}).fingerprint() != first
