"""The fast counting paths give exactly the counts of the plain searchsorted + bincount way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from driftwatch.engine import (
    NumericBins,
    category_label,
    fit_categorical_bins,
    fit_categorical_bins_from_counts,
    fit_numeric_bins,
    is_missing,
)
from driftwatch.engine.parallel import run_all
from driftwatch.engine.slots import count_by_comparison, count_by_search
from driftwatch.sources.columns import category_counts

EDGE_SETS = [
    pytest.param((0.0, 0.0), id="constant"),
    pytest.param((0.0, 1.0), id="one-bin"),
    pytest.param((-1.0, 0.0, 0.5, 2.0), id="few"),
    pytest.param(tuple(np.linspace(-3, 3, 40).tolist()), id="many"),
]
AWKWARD = np.array(
    [np.nan, np.inf, -np.inf, -1.0, 0.0, 0.5, 2.0, 2.0000001, -5.0, 99.0, 0.25, 1.0, -0.0]
)


@pytest.mark.parametrize("edges", EDGE_SETS)
def test_comparison_counts_equal_search_counts_on_awkward_values(
    edges: tuple[float, ...],
) -> None:
    x = np.concatenate([AWKWARD, np.asarray(edges)])
    assert count_by_comparison(x, edges).tolist() == count_by_search(x, np.asarray(edges)).tolist()


@settings(max_examples=200, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, 1.0, 2.5, -1.0]),
        ),
    ),
    edges=st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=60, unique=True).map(
        sorted
    ),
)
def test_comparison_counts_equal_search_counts(values: np.ndarray, edges: list[float]) -> None:
    by_search = count_by_search(values, np.asarray(edges, dtype=np.float64))
    assert count_by_comparison(values, tuple(edges)).tolist() == by_search.tolist()


def test_counts_span_several_blocks_exactly() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200_003)
    x[rng.random(x.size) < 0.01] = np.nan
    bins = fit_numeric_bins(x, bins=10)
    assert bins.count(x).tolist() == count_by_search(x, np.asarray(bins.edges)).tolist()


def test_threaded_counts_equal_one_thread_counts() -> None:
    rng = np.random.default_rng(4)
    columns = [rng.lognormal(size=70_000) for _ in range(6)]
    bins = [fit_numeric_bins(c, bins=10) for c in columns]
    threaded = [
        f.result().tolist()
        for f in run_all((lambda b=b, c=c: b.count(c)) for b, c in zip(bins, columns, strict=True))
    ]
    assert threaded == [b.count(c).tolist() for b, c in zip(bins, columns, strict=True)]


def test_categorical_fit_from_merged_counts_equals_fit_on_the_whole() -> None:
    rng = np.random.default_rng(5)
    values = rng.choice(np.array([f"c{i}" for i in range(80)], dtype=object), 5_000)
    first, second = values[:2_000], values[2_000:]
    counts: dict[str, int] = {}
    for part in (first, second):
        labels, n = np.unique(part.astype(str), return_counts=True)
        for label, k in zip(labels.tolist(), n.tolist(), strict=True):
            counts[label] = counts.get(label, 0) + k
    assert fit_categorical_bins_from_counts(counts, top_k=50) == fit_categorical_bins(
        values, top_k=50
    )
    whole = fit_categorical_bins(values, top_k=50)
    assert whole.count_labels(counts).tolist() == whole.count(values).tolist()


def test_many_edges_use_the_search_path_with_the_same_semantics() -> None:
    edges = tuple(float(e) for e in range(100))
    x = np.array([np.nan, -np.inf, np.inf, -1.0, 0.0, 99.0, 99.5, 50.0])
    counts = NumericBins(edges).count(x)
    assert counts[0] == 2 and counts[1] == 1 and counts[len(edges) - 1] == 1
    assert counts[len(edges)] == 2 and counts[len(edges) + 1] == 1


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(["a", "b", None, "a", np.nan, "c"], id="text"),
        pytest.param([3, 3.0, "3", None, 2.5, True, 1, 1.0], id="mixed-objects"),
        pytest.param([1.0, np.nan, 2.0, 1.0, 3.0], id="floats"),
        pytest.param([True, False, True, None], id="booleans"),
    ],
)
def test_category_counts_equal_the_counts_of_each_value_s_label(values: list[object]) -> None:
    series = pd.Series(values, dtype=object if values and values[0] is not True else None)
    expected: dict[str, int] = {}
    for value in series.tolist():
        if not is_missing(value):
            label = category_label(value)
            expected[label] = expected.get(label, 0) + 1
    missing = sum(1 for value in series.tolist() if is_missing(value))
    assert category_counts(series) == (expected, missing)
