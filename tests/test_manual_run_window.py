"""A manual `driftwatch run` of a timestamped monitor lands on the data's time, not the clock's.

Without a fixed window, the run covers the live data's time span, or, for a scheduled monitor,
the latest scheduled window that holds data; a manual run never blocks backfill or catch-up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter

from driftwatch import api
from driftwatch.config import SourceConfig, load_config, parse_config
from driftwatch.monitor import MonitorRunner
from driftwatch.sources import open_source
from driftwatch.timeutil import TimeWindow

ROOT = Path(__file__).resolve().parents[1]
US = timedelta(microseconds=1)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fixed(moment: datetime) -> Any:
    return lambda: moment


def test_the_readme_sequence_run_then_backfill_leaves_no_window_owed(tmp_path: Path) -> None:
    """README: quick start `run`, then `backfill` of car-loan, then `status` (in Sept. 2019)."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    config = load_config(ROOT / "config" / "example.yaml", env={})
    clock = fixed(at(2019, 9, 15))
    api.run(config, database=url, dispatch=False, clock=clock)
    done = api.backfill(
        config, "car-loan", at(2018, 11, 1), at(2019, 9, 1), database=url, clock=clock
    )
    assert (done.windows.computed, done.windows.count("done")) == (10, 0)
    status = {m.monitor: m for m in api.status(config, database=url, clock=clock).monitors}
    assert (status["car-loan"].owed, status["car-loan"].gaps) == (0, 0)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ends = conn.execute(
            sa.text("SELECT MAX(window_end) FROM runs WHERE monitor = 'car-loan'")
        ).scalar_one()
    engine.dispose()
    assert str(ends).startswith("2019-09-01 00:00:00")  # nothing stored after the data


def _config(live: dict[str, Any], **monitor: Any) -> Any:
    return parse_config(
        {
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "ref"},
                    "live": {"type": "dataframe", "name": "live", **live},
                    "features": {"numeric": ["x"]},
                    **monitor,
                }
            ]
        }
    )


FRAME = pd.DataFrame(
    {
        "x": range(100),
        "ts": pd.date_range("2024-03-05 06:00", periods=100, freq="h", tz="UTC"),
    }
)
FIRST, LAST = at(2024, 3, 5, 6), at(2024, 3, 9, 9)


def _window(config: Any, now: datetime) -> TimeWindow | None:
    runner = MonitorRunner(config, frames={"ref": FRAME, "live": FRAME}, clock=fixed(now))
    return runner.run("m").window


@pytest.mark.parametrize(
    ("live", "monitor", "now", "expected"),
    [
        pytest.param(
            {"timestamp_column": "ts"},
            {},
            at(2026, 1, 1),
            TimeWindow(FIRST, LAST + US),
            id="time-span",
        ),
        pytest.param(
            {"timestamp_column": "ts"},
            {"schedule": {"interval": "1d"}},
            at(2026, 1, 1),
            TimeWindow(at(2024, 3, 9), at(2024, 3, 10)),
            id="scheduled-window-of-the-last-row",
        ),
        pytest.param(
            {"timestamp_column": "ts"},
            {"schedule": {"interval": "1d"}},
            at(2024, 3, 8, 12),
            TimeWindow(at(2024, 3, 7), at(2024, 3, 8)),
            id="latest-window-ended-by-now",
        ),
        pytest.param(
            {"timestamp_column": "ts", "start": "2024-03-06"},
            {},
            at(2026, 1, 1),
            TimeWindow(at(2024, 3, 6), at(2026, 1, 1)),
            id="fixed-range-kept",
        ),
        pytest.param({}, {}, at(2026, 1, 1), None, id="no-timestamp-whole-data"),
    ],
)
def test_the_window_of_a_manual_run(
    live: dict[str, Any], monitor: dict[str, Any], now: datetime, expected: TimeWindow | None
) -> None:
    assert _window(_config(live, **monitor), now) == expected


def test_a_manual_scheduled_window_counts_only_its_rows() -> None:
    config = _config({"timestamp_column": "ts"}, schedule={"interval": "1d"})
    runner = MonitorRunner(
        config, frames={"ref": FRAME, "live": FRAME}, clock=fixed(at(2026, 1, 1))
    )
    assert runner.run("m").n_live == 10  # 2024-03-09 00:00 .. 09:00


def _sources(tmp_path: Path) -> dict[str, dict[str, Any]]:
    frame = FRAME.assign(ts=FRAME["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    frame.to_csv(tmp_path / "d.csv", index=False)
    FRAME.to_parquet(tmp_path / "d.parquet")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    frame.to_sql("t", engine, index=False)
    engine.dispose()
    return {
        "csv": {"type": "csv", "path": str(tmp_path / "d.csv")},
        "parquet": {"type": "parquet", "path": str(tmp_path / "d.parquet")},
        "sql": {"type": "sql", "url": f"sqlite:///{tmp_path / 'd.db'}", "table": "t"},
        "dataframe": {"type": "dataframe", "name": "live"},
    }


@pytest.mark.parametrize("kind", ["csv", "parquet", "sql", "dataframe"])
def test_every_source_reports_its_time_span(tmp_path: Path, kind: str) -> None:
    block = {**_sources(tmp_path)[kind], "timestamp_column": "ts"}
    live = TypeAdapter(SourceConfig).validate_python(block)
    source = open_source(live, frames={"live": FRAME})
    assert source.time_span() == TimeWindow(FIRST, LAST + US)
    inside = TimeWindow(at(2024, 3, 6), at(2024, 3, 7))
    assert source.time_span(inside) == TimeWindow(at(2024, 3, 6), at(2024, 3, 6, 23) + US)
    assert source.time_span(TimeWindow(at(2030, 1, 1), at(2030, 1, 2))) is None


def test_a_postgresql_table_reports_its_time_span_with_one_query(pg_database: str) -> None:
    engine = sa.create_engine(pg_database)
    FRAME.to_sql("t", engine, index=False)
    engine.dispose()
    block = {"type": "sql", "url": pg_database, "table": "t", "timestamp_column": "ts"}
    source = open_source(TypeAdapter(SourceConfig).validate_python(block))
    assert source.time_span() == TimeWindow(FIRST, LAST + US)
    inside = TimeWindow(at(2024, 3, 6), at(2024, 3, 7))
    assert source.time_span(inside) == TimeWindow(at(2024, 3, 6), at(2024, 3, 6, 23) + US)
    assert source.time_span(TimeWindow(at(2030, 1, 1), at(2030, 1, 2))) is None


def test_a_source_without_a_timestamp_column_has_no_time_span() -> None:
    config = _config({})
    assert open_source(config.monitors[0].live, frames={"live": FRAME}).time_span() is None
