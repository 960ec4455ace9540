"""Histograms: exact, mergeable counts and the shares derived from them."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from driftwatch.engine import (
    CategoricalBins,
    Histogram,
    NumericBins,
    fit_categorical_bins,
    fit_numeric_bins,
    histogram,
)
from driftwatch.errors import EngineError

SETTINGS = settings(max_examples=200, deadline=None)

NUMERIC = NumericBins(edges=(0.0, 1.0, 2.0, 3.0), strategy="fixed")
CATEGORICAL = CategoricalBins(vocabulary=("a", "b"), pooled=frozenset({"c"}))

# ------------------------------------------------------------------------------------ building


def test_counts_are_a_read_only_int64_copy() -> None:
    source = np.array([1, 2, 3, 4, 5, 6], dtype=np.int32)
    h = Histogram(NUMERIC, source)
    source[0] = 100
    assert h.counts.dtype == np.int64
    assert h.counts.tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="read-only"):
        h.counts[0] = 7


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        pytest.param([1, 2, 3], "needs 6 counts", id="too-few"),
        pytest.param([[1, 2, 3, 4, 5, 6]], "needs 6 counts", id="two-dimensional"),
        pytest.param([1, 2, 3, 4, 5, -1], ">= 0", id="negative"),
        pytest.param([1, 2, 3, 4, 5, 0.5], "whole numbers", id="fractional"),
        pytest.param(["1", "2", "3", "4", "5", "6"], "integers", id="strings"),
    ],
)
def test_bad_counts_raise(counts: Any, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        Histogram(NUMERIC, np.asarray(counts))


def test_histogram_function_is_histogram_of() -> None:
    values = np.array([0.5, 1.5, np.nan])
    assert histogram(values, NUMERIC) == Histogram.of(values, NUMERIC)


def test_empty_live_array_gives_all_zero_counts() -> None:
    h = Histogram.of(np.array([], dtype=float), NUMERIC)
    assert h == Histogram.empty(NUMERIC)
    assert h.counts.tolist() == [0] * NUMERIC.n_bins
    assert (h.n, h.missing_share, h.unseen_share) == (0, 0.0, 0.0)


def test_labels_are_the_bins_labels() -> None:
    assert Histogram.empty(CATEGORICAL).labels == (
        "a",
        "b",
        "__other__",
        "__unseen__",
        "__missing__",
    )


# --------------------------------------------------------------------------------- equality, +


def test_equal_histograms_have_equal_bins_and_counts() -> None:
    h = Histogram(NUMERIC, np.arange(6))
    assert h == Histogram(NUMERIC, np.arange(6, dtype=np.int64))
    assert hash(h) == hash(Histogram(NUMERIC, np.arange(6, dtype=np.int64)))
    assert h != Histogram(NUMERIC, np.arange(6)[::-1])
    assert h != Histogram(NumericBins(edges=(0.0, 1.0, 2.0, 4.0)), np.arange(6))
    assert h != "not a histogram"


def test_adding_histograms_adds_counts() -> None:
    a = Histogram(CATEGORICAL, np.array([1, 0, 2, 0, 1]))
    b = Histogram(CATEGORICAL, np.array([0, 3, 1, 1, 0]))
    assert (a + b).counts.tolist() == [1, 3, 3, 1, 1]


def test_adding_histograms_over_different_bins_raises() -> None:
    other = NumericBins(edges=(0.0, 1.0, 2.0, 4.0))
    with pytest.raises(EngineError, match="cannot merge histograms over different bins"):
        _ = Histogram.empty(NUMERIC) + Histogram.empty(other)


def test_adding_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Histogram.empty(NUMERIC) + 1


# ------------------------------------------------------------------------------------- shares


def test_numeric_shares_count_missing_and_both_tails() -> None:
    #           lower  [0,1)  [1,2)  [2,3]  upper  missing
    values = np.array([-1.0, 0.5, 0.5, 1.5, 3.0, 9.0, np.inf, np.nan])
    h = Histogram.of(values, NUMERIC)
    assert h.counts.tolist() == [1, 2, 1, 1, 2, 1]
    assert (h.n, h.n_missing, h.n_valid) == (8, 1, 7)
    assert h.missing_share == 1 / 8
    assert h.unseen_share == 3 / 8


def test_categorical_shares_count_missing_and_unseen() -> None:
    values = np.array(["a", "c", "z", "z", None, "b"], dtype=object)
    h = Histogram.of(values, CATEGORICAL)
    assert h.counts.tolist() == [1, 1, 1, 2, 1]
    assert (h.n, h.n_missing, h.n_valid) == (6, 1, 5)
    assert h.missing_share == 1 / 6
    assert h.unseen_share == 2 / 6


def test_shares_are_python_floats() -> None:
    h = Histogram.of(np.array([0.5, np.nan]), NUMERIC)
    assert type(h.missing_share) is float
    assert type(h.unseen_share) is float
    assert type(h.n) is int


# ------------------------------------------------------------------------------ serialization


@pytest.mark.parametrize(
    "h",
    [
        pytest.param(Histogram(NUMERIC, np.arange(6)), id="numeric"),
        pytest.param(Histogram(CATEGORICAL, np.array([5, 0, 1, 2, 3])), id="categorical"),
    ],
)
def test_histogram_round_trips_through_json(h: Histogram) -> None:
    data = json.loads(json.dumps(h.to_dict()))
    assert Histogram.from_dict(data) == h


def test_histogram_from_bad_dict_raises() -> None:
    with pytest.raises(EngineError, match="'bins' and 'counts'"):
        Histogram.from_dict({"counts": [1]})
    with pytest.raises(EngineError, match="list of integers"):
        Histogram.from_dict({"bins": NUMERIC.to_dict(), "counts": [1.5] * 6})


# ------------------------------------------------------------------------------- properties

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=5).map(float),
)
categories = st.sampled_from(["a", "b", "c", "d", "e", None, float("nan")])

REF_NUMBERS = np.random.default_rng(11).normal(size=200) * 3
NUMERIC_FITTED = fit_numeric_bins(REF_NUMBERS, bins=7)
CATEGORICAL_FITTED = fit_categorical_bins(np.array([*"aaabbbc", None], dtype=object), top_k=2)


def _chunks(values: list[Any], cuts: list[int]) -> list[list[Any]]:
    bounds = [0, *sorted(c % (len(values) + 1) for c in cuts), len(values)]
    return [values[lo:hi] for lo, hi in pairwise(bounds)]


@SETTINGS
@given(values=st.lists(numbers, max_size=60), cuts=st.lists(st.integers(0, 60), max_size=5))
def test_numeric_counts_of_chunks_add_up_to_counts_of_the_whole(
    values: list[float], cuts: list[int]
) -> None:
    whole = Histogram.of(np.array(values, dtype=float), NUMERIC_FITTED)
    parts = [Histogram.of(np.array(c, dtype=float), NUMERIC_FITTED) for c in _chunks(values, cuts)]
    assert sum(parts, Histogram.empty(NUMERIC_FITTED)) == whole
    assert whole.n == len(values)


@SETTINGS
@given(values=st.lists(categories, max_size=60), cuts=st.lists(st.integers(0, 60), max_size=5))
def test_categorical_counts_of_chunks_add_up_to_counts_of_the_whole(
    values: list[Any], cuts: list[int]
) -> None:
    def of(chunk: list[Any]) -> Histogram:
        return Histogram.of(np.array(chunk, dtype=object), CATEGORICAL_FITTED)

    parts = [of(c) for c in _chunks(values, cuts)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    assert total == of(values)
    assert total.n == len(values)


@SETTINGS
@given(values=st.lists(numbers, min_size=1, max_size=60), data=st.data())
def test_numeric_counts_do_not_depend_on_row_order(
    values: list[float], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(values))
    assert Histogram.of(np.array(shuffled), NUMERIC_FITTED) == Histogram.of(
        np.array(values), NUMERIC_FITTED
    )


@SETTINGS
@given(values=st.lists(categories, min_size=1, max_size=60), data=st.data())
def test_categorical_counts_do_not_depend_on_row_order(
    values: list[Any], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(values))
    assert Histogram.of(np.array(shuffled, dtype=object), CATEGORICAL_FITTED) == Histogram.of(
        np.array(values, dtype=object), CATEGORICAL_FITTED
    )


@SETTINGS
@given(values=st.lists(categories, min_size=1, max_size=60), data=st.data())
def test_fitted_vocabulary_does_not_depend_on_row_order(
    values: list[Any], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(values))
    assume(any(isinstance(v, str) for v in values))
    assert fit_categorical_bins(np.array(shuffled, dtype=object), top_k=2) == fit_categorical_bins(
        np.array(values, dtype=object), top_k=2
    )


@SETTINGS
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60))
def test_reference_counts_leave_the_tails_empty(values: list[float]) -> None:
    x = np.array(values)
    for strategy in ("quantile", "uniform", "auto"):
        bins = fit_numeric_bins(x, strategy=strategy, bins=5)
        counts = bins.count(x)
        lower, upper = bins.tail_indices
        assert counts[lower] == counts[upper] == 0
        assert counts.sum() == x.size
