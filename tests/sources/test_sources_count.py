"""``Source.count``: every backend counts, exactly as the engine counts the same rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from driftwatch.config import SourceConfig
from driftwatch.config.sources import SOURCE_TYPES
from driftwatch.engine import CategoricalBins, Histogram, NumericBins
from driftwatch.errors import EngineError
from driftwatch.results import Problem
from driftwatch.sources import Source, open_source
from driftwatch.sources.base import source_types
from driftwatch.sources.counting import Counts, FeatureBins
from driftwatch.timeutil import TimeWindow

MakeSource = Callable[..., Source]
ROLE = "monitor 'm' live"  # what make_source passes

FEATURES = [
    FeatureBins("x", "numeric", NumericBins((0.0, 10.0, 30.0, 50.0))),
    FeatureBins("id", "numeric", NumericBins((5.0, 20.0, 40.0))),
    FeatureBins("city", "categorical", CategoricalBins(("a", "b"))),
]


def engine_counts(frame: pd.DataFrame) -> dict[str, list[int]]:
    """The in-memory engine's counts of ``frame``: what every source must give."""
    return {
        f.name: f.bins.count(
            frame[f.name].to_numpy(dtype=object if f.kind == "categorical" else float)
        ).tolist()
        for f in FEATURES
    }


def as_lists(counts: Counts) -> dict[str, list[int]]:
    assert not counts.problems
    return {name: h.counts.tolist() for name, h in counts.histograms.items()}


@pytest.mark.parametrize("chunk_rows", [1, 7, 10_000])
def test_count_equals_the_engine_on_the_whole_frame(
    source_kind: str, chunk_rows: int, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    counts = make_source(source_kind, frame).count(FEATURES, chunk_rows=chunk_rows)
    assert as_lists(counts) == engine_counts(frame)
    assert counts.n_rows == len(frame)


def test_count_in_a_window_equals_the_engine_on_those_rows(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(source_kind, frame, timestamp_column="ts")
    start = datetime(2024, 1, 1)
    window = TimeWindow(start + timedelta(hours=5), start + timedelta(hours=29))
    counts = source.count(FEATURES, window=window, chunk_rows=4)
    assert as_lists(counts) == engine_counts(frame.iloc[5:29])
    assert counts.n_rows == 24


@pytest.mark.parametrize("windowed", [False, True], ids=["whole", "window"])
@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_pushdown_count_equals_the_engine(
    kind: str, windowed: bool, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source(kind, frame, timestamp_column="ts", pushdown=True)
    start = datetime(2024, 1, 1)
    window = (
        TimeWindow(start + timedelta(hours=3), start + timedelta(hours=40)) if windowed else None
    )
    counts = source.count(FEATURES, window=window)
    assert as_lists(counts) == engine_counts(frame.iloc[3:40] if windowed else frame)


def test_a_column_that_cannot_be_counted_is_a_problem_and_the_others_still_count(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    text_as_number = FeatureBins("city", "numeric", NumericBins((0.0, 1.0)))
    source = make_source(source_kind, frame, role=ROLE)
    counts = source.count([text_as_number, *FEATURES[:2]], chunk_rows=5)
    problem = counts.problems["city"]
    assert problem.status == "error"
    assert problem.reason.startswith(f"{ROLE}: column 'city' is declared numeric but holds")
    assert "city" not in counts.histograms
    assert {n: h.counts.tolist() for n, h in counts.histograms.items()} == {
        n: c for n, c in engine_counts(frame).items() if n != "city"
    }
    assert counts.results().keys() == {"city", "x", "id"}


def test_count_without_features_still_counts_rows(
    source_kind: str, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    counts = make_source(source_kind, frame).count([], chunk_rows=10)
    assert (counts.histograms, counts.problems, counts.n_rows) == ({}, {}, len(frame))


# --- Counts ------------------------------------------------------------------------------------


BINS = NumericBins((0.0, 1.0))


def test_counts_add_histograms_and_keep_a_features_first_problem() -> None:
    features = [FeatureBins("a", "numeric", BINS), FeatureBins("b", "numeric", BINS)]
    first, later = Problem("error", "first"), Problem("error", "later")
    one = Histogram(BINS, [1, 2, 0, 1])
    counts = Counts.zero(features).add({"a": one, "b": first}, 4).add({"a": one, "b": later}, 4)
    assert counts == Counts({"a": one + one}, {"b": first}, 8)
    assert counts.pending(features) == features[:1]


def test_counts_merge_only_histograms_over_the_same_bins() -> None:
    counts = Counts.zero([FeatureBins("a", "numeric", BINS)])
    with pytest.raises(EngineError, match="different bins"):
        counts.add({"a": Histogram.empty(NumericBins((0.0, 2.0)))}, 1)


# --- the registry ------------------------------------------------------------------------------


def test_the_opener_registry_and_the_config_accept_the_same_source_types() -> None:
    union, *_ = get_args(SourceConfig)
    assert set(source_types().values()) == set(get_args(union))
    assert list(source_types()) == sorted(SOURCE_TYPES)
    for name, model in source_types().items():
        assert get_args(model.model_fields["type"].annotation) == (name,)


def test_open_source_opens_every_registered_type(tmp_path: Path) -> None:
    fields = {
        "csv": {"path": tmp_path / "x.csv"},
        "parquet": {"path": tmp_path / "x.parquet"},
        "sql": {"url": "sqlite://", "table": "t"},
        "dataframe": {"name": "df"},
        "dask": {"path": str(tmp_path / "x.parquet")},
    }
    assert fields.keys() == source_types().keys()
    for name, model in source_types().items():
        source = open_source(model(type=name, **fields[name]), role="r")
        assert source.role == "r"
        assert name in source.describe()


@pytest.mark.parametrize(
    ("kind", "knows_total"),
    [("csv", False), ("parquet-file", True), ("parquet-dir", True)],
    ids=[
        "csv-total-unknown",
        "parquet-file-total-from-metadata",
        "parquet-dir-total-from-metadata",
    ],
)
def test_count_reports_increasing_rows_ending_at_the_row_count(
    kind: str, knows_total: bool, make_source: MakeSource, frame: pd.DataFrame
) -> None:
    heard: list[tuple[int, int | None]] = []
    make_source(kind, frame).count(
        FEATURES, chunk_rows=10, on_rows=lambda d, t: heard.append((d, t))
    )
    done = [d for d, _ in heard]
    assert done == sorted(done) and len(heard) > 3
    assert heard[-1] == (len(frame), len(frame))
    totals = {t for _, t in heard[:-1]}
    assert totals == ({len(frame)} if knows_total else {None})


def test_parquet_row_total_is_unknown_under_a_time_filter(
    make_source: MakeSource, frame: pd.DataFrame
) -> None:
    source = make_source("parquet-file", frame, timestamp_column="ts")
    window = TimeWindow(datetime(2024, 1, 1), datetime(2024, 1, 1, 12))
    assert source.row_total() == len(frame)
    assert source.row_total(window) is None
