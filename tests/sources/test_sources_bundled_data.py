"""The example datasets shipped in ``driftwatch/data`` read as the example configs expect."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftwatch
from driftwatch.config import CsvSourceConfig, ParquetSourceConfig
from driftwatch.sources import open_source
from driftwatch.sources.columns import category_counts, numeric_values
from driftwatch.timeutil import TimeWindow

DATA = Path(driftwatch.__file__).parent / "data"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2015, 1, 1), datetime(2016, 1, 1)),
        (date(2015, 1, 1), date(2016, 1, 1)),  # what YAML's `start: 2015-01-01` gives
        ("2015-01-01T00:00:00", "2016-01-01T00:00:00"),
        ("2014-12-31T16:00:00-08:00", "2016-01-01T00:00:00Z"),
    ],
    ids=["datetime", "date", "naive-text", "aware-text"],
)
def test_seattle_weather_2015_has_365_days(start: object, end: object) -> None:
    config = CsvSourceConfig.model_validate(
        {
            "type": "csv",
            "path": DATA / "seattle-weather.csv",
            "timestamp_column": "date",
            "start": start,
            "end": end,
        }
    )
    source = open_source(config, role="monitor 'weather' live")
    chunks = list(source.read(["temp_max", "weather"], chunk_rows=100))
    frame = pd.concat(chunks, ignore_index=True)
    assert len(frame) == 365
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert list(frame.columns) == ["temp_max", "weather"]
    values = numeric_values(frame["temp_max"], column="temp_max", where="weather")
    assert values.dtype == "float64" and len(values) == 365
    counts, missing = category_counts(frame["weather"])
    assert set(counts) <= {"drizzle", "rain", "sun", "snow", "fog"}
    assert missing == 0


def test_seattle_weather_window_by_month() -> None:
    config = CsvSourceConfig(type="csv", path=DATA / "seattle-weather.csv", timestamp_column="date")
    source = open_source(config)
    february_2012 = TimeWindow(datetime(2012, 2, 1), datetime(2012, 3, 1))
    assert sum(len(c) for c in source.read(["wind"], window=february_2012)) == 29


def test_car_loan_analysis_set_by_timestamp() -> None:
    path = DATA / "nannyml_synthetic_car_loan_analysis_every10th.csv"
    config = CsvSourceConfig(type="csv", path=path, timestamp_column="timestamp")
    source = open_source(config, role="monitor 'car-loan' live")
    assert "timestamp" in source.columns() and "car_value" in source.columns()
    everything = pd.read_csv(path)
    stamps = pd.to_datetime(everything["timestamp"], utc=True)
    window = TimeWindow(datetime(2018, 11, 1), datetime(2018, 12, 1))
    expected = everything.loc[(stamps >= "2018-11-01") & (stamps < "2018-12-01"), "id"].tolist()
    got = pd.concat(source.read(["id", "salary_range"], window=window, chunk_rows=500))
    assert got["id"].tolist() == expected
    assert len(expected) > 0


def test_car_loan_reference_as_parquet_matches_csv(tmp_path: Path) -> None:
    """The same data through CSV and Parquet (pushdown on a real timestamp type) agree."""
    path = DATA / "nannyml_synthetic_car_loan_reference_every10th.csv"
    frame = pd.read_csv(path)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False),
        tmp_path / "ref.parquet",
        row_group_size=1000,
    )
    window = TimeWindow(datetime(2018, 2, 1), datetime(2018, 3, 1, 12))
    csv = open_source(CsvSourceConfig(type="csv", path=path, timestamp_column="timestamp"))
    parquet = open_source(
        ParquetSourceConfig(
            type="parquet", path=tmp_path / "ref.parquet", timestamp_column="timestamp"
        )
    )
    from_csv = pd.concat(csv.read(["id", "car_value"], window=window), ignore_index=True)
    from_parquet = pd.concat(parquet.read(["id", "car_value"], window=window), ignore_index=True)
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert len(from_csv) > 0
