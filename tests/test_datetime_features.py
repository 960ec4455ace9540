"""``features: {datetime: [...]}``: a timestamp column binned on its time value, on every source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from driftwatch import compare, parse_config, run_monitor
from driftwatch.errors import ConfigError

START = pd.Timestamp("2026-01-01", tz="UTC")
_RNG = np.random.default_rng(7)


def _times(rows: int, days: tuple[float, float]) -> pd.Series:
    seconds = _RNG.uniform(days[0] * 86_400, days[1] * 86_400, rows)
    return pd.Series(START + pd.to_timedelta(seconds, unit="s"), name="t")


REFERENCE = pd.DataFrame({"t": _times(3_000, (0, 30))})
SAME = pd.DataFrame({"t": _times(1_000, (0, 30))})
LATER = pd.DataFrame({"t": _times(1_000, (15, 45))})  # half the window after the reference


def _monitor(reference: dict[str, Any], live: dict[str, Any], **extra: Any) -> Any:
    return parse_config(
        {
            "database": "sqlite://",
            "monitors": [
                {
                    "name": "m",
                    "reference": reference,
                    "live": live,
                    "features": {"datetime": ["t"]},
                    **extra,
                }
            ],
        }
    )


def _js(results: pd.DataFrame) -> pd.Series:
    return results[results["metric"] == "js"].iloc[0]


def _write(kind: str, frame: pd.DataFrame, folder: Path, name: str) -> dict[str, Any]:
    """``frame`` stored as ``kind`` under ``folder``; the source config that reads it back."""
    if kind == "csv":
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)  # ISO text: parsed back into timestamps
        return {"type": "csv", "path": str(path)}
    if kind == "parquet":
        path = folder / f"{name}.parquet"
        frame.to_parquet(path)  # a timestamp[us, tz=UTC] column
        return {"type": "parquet", "path": str(path)}
    url = f"sqlite:///{folder / 'data.db'}"
    engine = sa.create_engine(url)
    frame.to_sql(name, engine, index=False)  # SQLite stores the timestamps as text
    engine.dispose()
    return {"type": "sql", "url": url, "table": name, "pushdown": True}


SOURCES = [pytest.param(k, id=k) for k in ("csv", "parquet", "sql")]


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize(
    ("live", "status"),
    [pytest.param(SAME, "ok", id="same-period"), pytest.param(LATER, "critical", id="later")],
)
def test_each_source_gives_the_dataframe_verdict_and_value(
    kind: str, live: pd.DataFrame, status: str, tmp_path: Path
) -> None:
    frames = {"reference": REFERENCE, "live": live}
    in_memory = _js(
        run_monitor(
            _monitor(
                {"type": "dataframe", "name": "reference"}, {"type": "dataframe", "name": "live"}
            ),
            frames=frames,
            store=False,
        )
    )
    config = _monitor(
        _write(kind, REFERENCE, tmp_path, "reference"), _write(kind, live, tmp_path, "live")
    )
    row = _js(run_monitor(config, store=False))
    assert (row.kind, row.status, in_memory.status) == ("datetime", status, status)
    assert row.value == pytest.approx(in_memory.value, abs=1e-12)


def test_the_same_instants_in_another_time_zone_are_the_same_feature() -> None:
    paris = {"reference": REFERENCE, "live": SAME.apply(lambda c: c.dt.tz_convert("Europe/Paris"))}
    naive = {"reference": REFERENCE, "live": SAME.apply(lambda c: c.dt.tz_localize(None))}
    config = _monitor(
        {"type": "dataframe", "name": "reference"}, {"type": "dataframe", "name": "live"}
    )
    values = [_js(run_monitor(config, frames=f, store=False)).value for f in (paris, naive)]
    assert values[0] == values[1]


def test_bins_are_labelled_with_iso_timestamps() -> None:
    report = compare(REFERENCE, LATER, datetime=["t"])
    (feature,) = report.outcome.features
    labels = [item["label"] for item in feature.explanation]
    top = labels[0]
    assert top.startswith("(2026-01-30T") and top.endswith("Z, +inf)")  # after the reference
    assert all("2026-" in label or "2025-" in label for label in labels)


def test_numbers_declared_datetime_are_an_error_that_says_why() -> None:
    frames = {"reference": pd.DataFrame({"t": np.arange(100.0)}), "live": SAME.head(50)}
    config = _monitor(
        {"type": "dataframe", "name": "reference"}, {"type": "dataframe", "name": "live"}
    )
    row = _js(run_monitor(config, frames=frames, store=False))
    assert row.status == "error"
    assert "declared datetime but holds float64 values" in row.reason


def test_text_that_is_not_a_timestamp_is_an_error_that_shows_it() -> None:
    live = pd.DataFrame({"t": ["2026-01-02T03:04:05Z", "not a time"] * 30})
    config = _monitor(
        {"type": "dataframe", "name": "reference"}, {"type": "dataframe", "name": "live"}
    )
    row = _js(run_monitor(config, frames={"reference": REFERENCE, "live": live}, store=False))
    assert row.status == "error"
    assert "not timestamps, such as 'not a time'" in row.reason


def test_fixed_numeric_edges_are_refused_at_validation() -> None:
    with pytest.raises(ConfigError, match="datetime feature 't' cannot use fixed binning edges"):
        _monitor(
            {"type": "dataframe", "name": "reference"},
            {"type": "dataframe", "name": "live"},
            binning={"strategy": "fixed", "edges": [0, 1, 2]},
        )


def test_a_timestamptz_column_counts_like_the_dataframe(database_url: str) -> None:
    """SQLite keeps text, PostgreSQL ``timestamp with time zone``: the same value either way."""
    engine = sa.create_engine(database_url)
    REFERENCE.to_sql("reference", engine, index=False)
    LATER.to_sql("live", engine, index=False)
    engine.dispose()
    sql = {"type": "sql", "url": database_url, "pushdown": True}
    row = _js(
        run_monitor(_monitor({**sql, "table": "reference"}, {**sql, "table": "live"}), store=False)
    )
    frames = {"reference": REFERENCE, "live": LATER}
    dataframe = {"type": "dataframe", "name": "reference"}, {"type": "dataframe", "name": "live"}
    expected = _js(run_monitor(_monitor(*dataframe), frames=frames, store=False))
    assert (row.status, row.value) == ("critical", pytest.approx(expected.value, abs=1e-12))
