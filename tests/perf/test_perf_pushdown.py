"""SQL pushdown: the database's GROUP BY counts equal the in-process engine's, on both backends."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from perf_helpers import awkward_frame, compute, histograms, runner_for, write_source

from driftwatch.config import SqlSourceConfig
from driftwatch.engine import CategoricalBins, NumericBins
from driftwatch.sources import open_source
from driftwatch.sources.counting import FeatureBins, count_chunks
from driftwatch.timeutil import TimeWindow

EDGES = (-1.0, 0.0, 0.5, 2.0)
NUMBERS = [
    None,
    math.nan,
    math.inf,
    -math.inf,
    -1.0,  # the first edge: first interior bin
    0.0,  # an interior edge: the bin to its right
    2.0,  # the last edge: the closed last bin
    2.0000001,  # just above: upper tail
    -5.0,  # below the range: lower tail
    99.0,  # above the range
    0.25,
    1.5,
]
CITIES = [
    "oslo",
    "lima",
    None,
    "pooled-1",
    "never-seen",
    "oslo",
    "lima",
    "pooled-2",
    "x",
    "y",
    "",
    "oslo",
]
CODES = [1, 2, 3, None, 1, 7, 2, 2, 1, 3, 99, 1]
FEATURES = [
    FeatureBins("num", "numeric", NumericBins(EDGES, "fixed")),
    FeatureBins(
        "city",
        "categorical",
        CategoricalBins(("oslo", "lima", ""), pooled=frozenset({"pooled-1", "pooled-2"})),
    ),
    FeatureBins("code", "categorical", CategoricalBins(("1", "2", "3"))),
    FeatureBins("constant", "numeric", NumericBins((0.5, 0.5), "quantile")),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def data_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_database"))
    return f"sqlite:///{tmp_path / 'data.db'}"


def _table(url: str) -> str:
    """A typed table with NULL, NaN (a real NaN on PostgreSQL; NULL on SQLite), ±inf and more."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "live",
        metadata,
        sa.Column("ts", sa.DateTime),
        sa.Column("num", sa.Float(precision=53)),
        sa.Column("city", sa.Text),
        sa.Column("code", sa.Integer),
        sa.Column("constant", sa.Float(precision=53)),
    )
    metadata.create_all(engine)
    start = datetime(2024, 1, 1)
    rows = [
        {
            "ts": start + timedelta(hours=i),
            "num": num,
            "city": city,
            "code": code,
            "constant": [0.5, 0.4, 0.6, None][i % 4],
        }
        for i, (num, city, code) in enumerate(zip(NUMBERS, CITIES, CODES, strict=True))
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    return "live"


def _counts(
    url: str, table: str, pushdown: bool, window: TimeWindow | None = None, **fields: Any
) -> tuple[dict[str, Any], int]:
    config = SqlSourceConfig(type="sql", url=url, table=table, pushdown=pushdown, **fields)
    counts = open_source(config).count(FEATURES, window=window, chunk_rows=5)
    assert not counts.problems
    return {name: h.counts.tolist() for name, h in counts.histograms.items()}, counts.n_rows


def test_pushdown_counts_equal_in_memory_counts(data_url: str) -> None:
    table = _table(data_url)
    assert _counts(data_url, table, True) == _counts(data_url, table, False)


def test_pushdown_counts_match_the_engine_slot_by_slot(data_url: str) -> None:
    table = _table(data_url)
    counts, n = _counts(data_url, table, True)
    assert n == len(NUMBERS)
    # lower tail: -inf, -5 | [-1,0): -1 | [0,0.5): 0, 0.25 | [0.5,2]: 2, 1.5 | upper: inf,
    # 2.0000001, 99 | missing: None, NaN
    assert counts["num"] == [2, 1, 2, 2, 3, 2]
    engine = FEATURES[0].bins.count(np.array([math.nan if v is None else v for v in NUMBERS]))
    assert counts["num"] == engine.tolist()
    # oslo ×3, lima ×2, "" ×1, __other__ ×2, __unseen__ (never-seen, x, y) ×3, missing ×1
    assert counts["city"] == [3, 2, 1, 2, 3, 1]
    # "1" ×4, "2" ×3, "3" ×2, unseen (7, 99) ×2, missing ×1
    assert counts["code"] == [4, 3, 2, 2, 1]
    assert counts["constant"] == [3, 3, 3, 3]


@pytest.mark.parametrize(
    "bounds",
    [
        pytest.param(("2024-01-01T02:00:00", "2024-01-01T09:00:00"), id="inside"),
        pytest.param(("2023-01-01T00:00:00", "2023-01-02T00:00:00"), id="empty"),
    ],
)
def test_pushdown_counts_equal_in_memory_counts_in_a_time_window(
    data_url: str, bounds: tuple[str, str]
) -> None:
    table = _table(data_url)
    window = TimeWindow(datetime.fromisoformat(bounds[0]), datetime.fromisoformat(bounds[1]))
    pushed = _counts(data_url, table, True, window, timestamp_column="ts")
    fetched = _counts(data_url, table, False, window, timestamp_column="ts")
    assert pushed == fetched


def test_monitor_with_pushdown_gives_the_in_memory_results(data_url: str, tmp_path: Path) -> None:
    reference = write_source("parquet-file", awkward_frame(3_000, 1), tmp_path, "ref", None)
    live = write_source(
        "sqlite" if data_url.startswith("sqlite") else "postgresql",
        awkward_frame(3_000, 2, drift=True),
        tmp_path,
        "live",
        data_url,
    )
    fetched = compute(runner_for(reference, live))
    pushed = compute(runner_for(reference, {**live, "pushdown": True}))
    assert histograms(pushed) == histograms(fetched)
    assert pushed.n_live == fetched.n_live == 3_000


def test_pushdown_over_a_query_equals_in_memory_counts(data_url: str) -> None:
    table = _table(data_url)
    query = f"SELECT * FROM {table} WHERE code IS NULL OR code < 50"
    config = SqlSourceConfig(type="sql", url=data_url, query=query, pushdown=True)
    source = open_source(config)
    pushed = source.count(FEATURES)
    fetched = count_chunks(
        source.chunks([f.name for f in FEATURES], chunk_rows=4), FEATURES, "live"
    )
    assert pushed.n_rows == fetched.n_rows == len(NUMBERS) - 1  # code 99 is filtered by the query
    assert pushed == fetched
