"""Bins fitted on the reference: edges, counting slots, labels, categories, serialization."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftwatch.engine import (
    MISSING_LABEL,
    OTHER_LABEL,
    UNSEEN_LABEL,
    CategoricalBins,
    NumericBins,
    bins_from_dict,
    fit_categorical_bins,
    fit_categorical_bins_from_counts,
    fit_numeric_bins,
)
from driftwatch.errors import EngineError

RNG_SEED = 7


def normal(n: int = 1000) -> np.ndarray:
    return np.random.default_rng(RNG_SEED).normal(size=n)


# ------------------------------------------------------------------------------ numeric: edges


@pytest.mark.parametrize("k", [1, 4, 10, 33], ids=["k1", "k4", "k10", "k33"])
def test_quantile_edges_are_numpy_quantiles_exactly(k: int) -> None:
    x = normal()
    bins = fit_numeric_bins(x, strategy="quantile", bins=k)
    assert bins.edges == tuple(float(np.quantile(x, i / k)) for i in range(k + 1))


def test_quantile_is_the_default_strategy_with_ten_bins() -> None:
    bins = fit_numeric_bins(normal())
    assert bins.strategy == "quantile"
    assert len(bins.edges) == 11


def test_quantile_gives_a_discrete_column_one_bin_per_value() -> None:
    # Was: the unique quantiles (1, 2, 3), which put 2 and 3 in the shared closed last bin.
    x = np.repeat([1.0, 2.0, 3.0], [500, 300, 200])
    bins = fit_numeric_bins(x, strategy="quantile", bins=10)
    assert bins.edges == (1.0, 1.5, 2.5, 3.0)
    assert bins.count(x).tolist() == [0, 500, 300, 200, 0, 0]


def test_uniform_edges_are_equal_width_over_min_max() -> None:
    x = normal()
    bins = fit_numeric_bins(x, strategy="uniform", bins=5)
    assert bins.edges == tuple(np.linspace(x.min(), x.max(), 6))


def test_fixed_edges_are_used_as_given() -> None:
    bins = fit_numeric_bins(normal(), strategy="fixed", edges=[-1, 0, 2.5])
    assert bins.edges == (-1.0, 0.0, 2.5)
    assert all(type(e) is float for e in bins.edges)


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        pytest.param([1.0], "at least 2", id="one-edge"),
        pytest.param([], "at least 2", id="no-edges"),
        pytest.param([0.0, math.inf], "finite", id="infinite"),
        pytest.param([0.0, math.nan], "finite", id="nan"),
        pytest.param([0.0, 2.0, 1.0], "strictly increasing", id="decreasing"),
        pytest.param([0.0, 1.0, 1.0], "strictly increasing", id="repeated"),
        pytest.param([1.0, 1.0], "strictly increasing", id="constant"),
        pytest.param(["a", "b"], "numbers", id="not-numbers"),
    ],
)
def test_bad_fixed_edges_raise_naming_the_problem(edges: Any, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        fit_numeric_bins(normal(), strategy="fixed", edges=edges)


def test_fixed_strategy_needs_edges() -> None:
    with pytest.raises(EngineError, match="needs explicit edges"):
        fit_numeric_bins(normal(), strategy="fixed")


def test_edges_are_refused_with_other_strategies() -> None:
    with pytest.raises(EngineError, match="only used with strategy 'fixed'"):
        fit_numeric_bins(normal(), strategy="quantile", edges=[0.0, 1.0])


def test_unknown_strategy_lists_the_valid_ones() -> None:
    with pytest.raises(EngineError, match="auto, fixed, quantile, uniform"):
        fit_numeric_bins(normal(), strategy="kmeans")


@pytest.mark.parametrize("k", [0, -3, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_bin_count_must_be_a_positive_integer(k: Any) -> None:
    with pytest.raises(EngineError, match="bins must be a positive integer"):
        fit_numeric_bins(normal(), bins=k)


def test_auto_uses_quantiles_for_many_distinct_values() -> None:
    x = normal()
    assert fit_numeric_bins(x, strategy="auto").edges == fit_numeric_bins(x).edges


def test_auto_gives_each_distinct_value_its_own_bin() -> None:
    x = np.repeat([1.0, 2.0, 5.0, 7.0], [10, 20, 30, 40])
    bins = fit_numeric_bins(x, strategy="auto", bins=10)
    assert bins.edges == (1.0, 1.5, 3.5, 6.0, 7.0)
    assert bins.count(x).tolist() == [0, 10, 20, 30, 40, 0, 0]


def test_auto_splits_a_binary_column_in_two() -> None:
    x = np.array([0, 1, 1, 0, 1])
    assert fit_numeric_bins(x, strategy="auto").count(x).tolist() == [0, 2, 3, 0, 0]


@pytest.mark.parametrize("strategy", ["quantile", "uniform", "auto"])
def test_constant_column_gets_one_closed_bin(strategy: str) -> None:
    bins = fit_numeric_bins(np.full(50, 3.5), strategy=strategy)
    assert bins.edges == (3.5, 3.5)
    assert bins.labels == ("(-inf, 3.5)", "[3.5, 3.5]", "(3.5, +inf)", MISSING_LABEL)
    assert bins.count(np.array([3.0, 3.5, 3.5, 4.0, np.nan])).tolist() == [1, 2, 1, 1]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.array([np.nan, np.nan]), id="all-nan"),
        pytest.param(np.array([np.inf, -np.inf, np.nan]), id="all-infinite"),
        pytest.param(np.array([], dtype=float), id="empty"),
        pytest.param(np.array([None, None], dtype=object), id="all-none"),
    ],
)
def test_fit_without_finite_values_raises(values: np.ndarray) -> None:
    with pytest.raises(EngineError, match="no finite reference values to fit bins on"):
        fit_numeric_bins(values)


def test_nan_and_inf_take_no_part_in_fitting() -> None:
    x = normal()
    noisy = np.concatenate([x, [np.nan, np.inf, -np.inf, np.nan]])
    assert fit_numeric_bins(noisy).edges == fit_numeric_bins(x).edges
    assert fit_numeric_bins(noisy, strategy="uniform").edges == (
        fit_numeric_bins(x, strategy="uniform").edges
    )


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.array(["1", "2"]), id="strings"),
        pytest.param(np.array(["2024-01-01"], dtype="datetime64[D]"), id="datetimes"),
        pytest.param(np.array(["x", 1.0], dtype=object), id="objects"),
    ],
)
def test_non_numeric_values_cannot_be_binned_as_numbers(values: np.ndarray) -> None:
    with pytest.raises(EngineError, match=r"numbers|non-numeric"):
        fit_numeric_bins(values)


# --------------------------------------------------------------------------- numeric: counting

EDGES = NumericBins(edges=(1.0, 2.0, 4.0), strategy="fixed")


def test_numeric_slots_are_tails_interior_and_missing() -> None:
    assert EDGES.n_bins == 5
    assert EDGES.tail_indices == (0, 3)
    assert EDGES.missing_index == 4
    assert EDGES.labels == ("(-inf, 1)", "[1, 2)", "[2, 4]", "(4, +inf)", MISSING_LABEL)


@pytest.mark.parametrize(
    ("value", "slot"),
    [
        pytest.param(-np.inf, 0, id="minus-inf-lower-tail"),
        pytest.param(0.999, 0, id="below-range-lower-tail"),
        pytest.param(1.0, 1, id="first-edge-opens-first-bin"),
        pytest.param(1.999, 1, id="inside-first-bin"),
        pytest.param(2.0, 2, id="interior-edge-opens-next-bin"),
        pytest.param(4.0, 2, id="last-edge-closes-last-bin"),
        pytest.param(4.0001, 3, id="above-range-upper-tail"),
        pytest.param(np.inf, 3, id="plus-inf-upper-tail"),
        pytest.param(np.nan, 4, id="nan-missing"),
    ],
)
def test_each_value_lands_in_its_slot(value: float, slot: int) -> None:
    counts = EDGES.count(np.array([value]))
    assert counts.tolist() == [1 if i == slot else 0 for i in range(5)]


def test_interior_counts_match_numpy_histogram() -> None:
    x = np.random.default_rng(RNG_SEED).integers(-5, 15, size=2000).astype(float)
    bins = fit_numeric_bins(x[:1000])
    edges = np.asarray(bins.edges)
    inside = x[(x >= edges[0]) & (x <= edges[-1])]
    assert bins.count(x)[1:-2].tolist() == np.histogram(inside, bins=edges)[0].tolist()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(np.array([1, 2, 3, 4, 5]), [0, 1, 1, 2, 1, 0], id="int64"),
        pytest.param(np.array([1, 2, 3], dtype=np.uint8), [0, 1, 1, 1, 0, 0], id="uint8"),
        pytest.param(np.array([True, False, True]), [1, 2, 0, 0, 0, 0], id="bool"),
        pytest.param(np.array([1.5, None], dtype=object), [0, 1, 0, 0, 0, 1], id="object-none"),
        pytest.param(np.array([2.0, pd.NA], dtype=object), [0, 0, 1, 0, 0, 1], id="object-pd-na"),
        pytest.param(np.array([], dtype=float), [0, 0, 0, 0, 0, 0], id="empty"),
    ],
)
def test_count_accepts_numeric_dtypes(values: np.ndarray, expected: list[int]) -> None:
    bins = NumericBins(edges=(1.0, 2.0, 3.0, 4.0), strategy="fixed")
    counts = bins.count(values)
    assert counts.dtype == np.int64
    assert counts.tolist() == expected


def test_integer_column_fits_and_counts() -> None:
    x = np.arange(100)
    bins = fit_numeric_bins(x, bins=4)
    assert bins.edges == (0.0, 24.75, 49.5, 74.25, 99.0)
    assert bins.count(x).tolist() == [0, 25, 25, 25, 25, 0, 0]


def test_count_refuses_two_dimensional_input() -> None:
    with pytest.raises(EngineError, match="1-D"):
        EDGES.count(np.ones((2, 2)))


def test_labels_use_six_significant_digits() -> None:
    bins = NumericBins(edges=(0.123456789, 1234567.0, 2.5e10))
    assert bins.labels[:4] == (
        "(-inf, 0.123457)",
        "[0.123457, 1.23457e+06)",
        "[1.23457e+06, 2.5e+10]",
        "(2.5e+10, +inf)",
    )


def test_labels_fall_back_to_exact_digits_when_six_would_merge_edges() -> None:
    bins = NumericBins(edges=(1.0, 1.0000001, 1.0000002))
    assert len(set(bins.labels)) == bins.n_bins
    assert bins.labels[1] == "[1.0, 1.0000001)"


def test_numeric_bins_refuse_bad_edges_and_strategy() -> None:
    with pytest.raises(EngineError, match="strictly increasing"):
        NumericBins(edges=(2.0, 1.0))
    with pytest.raises(EngineError, match="unknown binning strategy"):
        NumericBins(edges=(1.0, 2.0), strategy="nope")


# ------------------------------------------------------------------------------ categorical

COLORS = np.array(
    ["red"] * 5 + ["blue"] * 3 + ["green"] * 3 + ["pink"] + [None, np.nan], dtype=object
)


def test_vocabulary_is_ordered_by_frequency_then_label() -> None:
    bins = fit_categorical_bins(COLORS)
    assert bins.vocabulary == ("red", "blue", "green", "pink")
    assert bins.pooled == frozenset()
    assert bins.labels == ("red", "blue", "green", "pink", UNSEEN_LABEL, MISSING_LABEL)
    assert bins.other_index is None


def test_categories_beyond_top_k_are_pooled_into_other() -> None:
    bins = fit_categorical_bins(COLORS, top_k=2)
    assert bins.vocabulary == ("red", "blue")
    assert bins.pooled == frozenset({"green", "pink"})
    assert bins.labels == ("red", "blue", OTHER_LABEL, UNSEEN_LABEL, MISSING_LABEL)
    assert (bins.other_index, bins.unseen_index, bins.missing_index) == (2, 3, 4)
    assert bins.count(COLORS).tolist() == [5, 3, 4, 0, 2]


def test_missing_values_are_not_categories() -> None:
    values = np.array(["a", None, np.nan, pd.NA, pd.NaT, float("nan")], dtype=object)
    bins = fit_categorical_bins(values)
    assert bins.vocabulary == ("a",)
    assert bins.count(values).tolist() == [1, 0, 5]


def test_live_values_go_to_vocabulary_other_unseen_or_missing() -> None:
    bins = fit_categorical_bins(COLORS, top_k=2)
    live = np.array(["red", "green", "purple", "purple", None, "blue"], dtype=object)
    assert dict(zip(bins.labels, bins.count(live).tolist(), strict=True)) == {
        "red": 1,
        "blue": 1,
        OTHER_LABEL: 1,
        UNSEEN_LABEL: 2,
        MISSING_LABEL: 1,
    }


def test_single_category_column() -> None:
    bins = fit_categorical_bins(np.array(["only"] * 10))
    assert bins.labels == ("only", UNSEEN_LABEL, MISSING_LABEL)
    assert bins.count(np.array(["only", "other"])).tolist() == [1, 1, 0]


def test_high_cardinality_keeps_top_k_and_pools_the_rest() -> None:
    values = np.array([f"user{i:05d}" for i in range(10_000)] + ["user00042"] * 3)
    bins = fit_categorical_bins(values, top_k=50)
    assert bins.vocabulary[0] == "user00042"
    assert len(bins.vocabulary) == 50
    assert len(bins.pooled) == 10_000 - 50
    counts = bins.count(values)
    assert counts[bins.other_index] == 10_000 - 50
    assert counts.sum() == values.size


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        pytest.param(np.array([True, False, True]), ("True", "False"), id="bool"),
        pytest.param(
            np.array([True, None, False, True], dtype=object), ("True", "False"), id="bool-obj"
        ),
        pytest.param(np.array([3, 1, 3]), ("3", "1"), id="int"),
        pytest.param(np.array([3.0, 1.0, 3.0, np.nan]), ("3", "1"), id="integral-floats-as-ints"),
        pytest.param(np.array([0.5, 0.5, 2.25]), ("0.5", "2.25"), id="floats"),
        pytest.param(np.array(["b", "a", "b"]), ("b", "a"), id="str"),
        pytest.param(np.array([b"b", b"a", b"b"]), ("b", "a"), id="bytes"),
    ],
)
def test_categories_are_known_by_their_string_form(
    values: np.ndarray, labels: tuple[str, ...]
) -> None:
    assert fit_categorical_bins(values).vocabulary == labels


def test_int_reference_matches_float_live_with_missing() -> None:
    bins = fit_categorical_bins(np.array([1, 2, 2, 3]))
    live = np.array([1.0, 2.0, np.nan, 4.0])
    assert bins.count(live).tolist() == [1, 1, 0, 1, 1]  # 2, 1, 3, unseen, missing


def test_bool_and_equal_int_stay_distinct_whatever_the_order() -> None:
    values = np.array([True, 1, 1, "x"], dtype=object)
    assert fit_categorical_bins(values) == fit_categorical_bins(values[::-1])
    assert fit_categorical_bins(values).vocabulary == ("1", "True", "x")


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.array([None, np.nan], dtype=object), id="all-missing"),
        pytest.param(np.array([], dtype=object), id="empty"),
        pytest.param(np.array([np.nan, np.nan]), id="all-nan-floats"),
    ],
)
def test_fit_without_categories_raises(values: np.ndarray) -> None:
    with pytest.raises(EngineError, match="no non-missing reference values"):
        fit_categorical_bins(values)


def test_top_k_must_be_positive() -> None:
    with pytest.raises(EngineError, match="top_k"):
        fit_categorical_bins(COLORS, top_k=0)


def test_reserved_labels_cannot_be_categories() -> None:
    with pytest.raises(EngineError, match="reserved"):
        fit_categorical_bins(np.array(["a", UNSEEN_LABEL]))


def test_unhashable_values_raise() -> None:
    values = np.empty(2, dtype=object)
    values[0], values[1] = ["a"], ["b"]
    with pytest.raises(EngineError, match="hashable"):
        fit_categorical_bins(values)


def test_categorical_bins_refuse_inconsistent_vocabularies() -> None:
    with pytest.raises(EngineError, match="duplicate"):
        CategoricalBins(vocabulary=("a", "a"))
    with pytest.raises(EngineError, match="both in the vocabulary and pooled"):
        CategoricalBins(vocabulary=("a",), pooled=frozenset({"a"}))
    with pytest.raises(EngineError, match="at least one category"):
        CategoricalBins(vocabulary=())


# ---------------------------------------------------------------------------- serialization

ROUND_TRIP_BINS = [
    pytest.param(fit_numeric_bins(normal()), id="numeric-quantile"),
    pytest.param(
        fit_numeric_bins(np.array([0.1, 0.2, 0.3]), strategy="uniform", bins=3), id="uniform"
    ),
    pytest.param(fit_numeric_bins(np.array([2.0, 2.0])), id="numeric-constant"),
    pytest.param(fit_categorical_bins(COLORS), id="categorical"),
    pytest.param(fit_categorical_bins(COLORS, top_k=1), id="categorical-pooled"),
]


@pytest.mark.parametrize("bins", ROUND_TRIP_BINS)
def test_bins_round_trip_exactly_through_json(bins: NumericBins | CategoricalBins) -> None:
    restored = bins_from_dict(json.loads(json.dumps(bins.to_dict())))
    assert restored == bins
    assert restored.labels == bins.labels
    assert type(restored) is type(bins)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"kind": "histogram"}, "unknown bins kind", id="unknown-kind"),
        pytest.param({"edges": [1, 2]}, "unknown bins kind", id="no-kind"),
        pytest.param({"kind": "numeric", "edges": "1,2"}, "list of numbers", id="edges-not-list"),
        pytest.param(
            {"kind": "numeric", "edges": [1, 1, 0]}, "strictly increasing", id="bad-edges"
        ),
        pytest.param(
            {"kind": "categorical", "vocabulary": "abc"}, "as a list", id="vocab-not-list"
        ),
        pytest.param([1, 2], "mapping", id="not-a-mapping"),
    ],
)
def test_bins_from_bad_dict_raise(data: Any, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        bins_from_dict(data)


def test_categorical_fit_keeps_the_reference_singletons_and_doubletons() -> None:
    counts = {"a": 10, "b": 1, "c": 2, "d": 1, "e": 2, "f": 2}
    bins = fit_categorical_bins_from_counts(counts, top_k=2)
    assert (bins.singletons, bins.doubletons) == (2, 3)
    again = bins_from_dict(json.loads(json.dumps(bins.to_dict())))
    assert isinstance(again, CategoricalBins)
    assert (again.singletons, again.doubletons) == (2, 3)
    # They describe the reference, not the slots: equal bins whatever they say.
    assert again == CategoricalBins(vocabulary=bins.vocabulary, pooled=bins.pooled)
    assert "singletons" not in CategoricalBins(vocabulary=("a",)).to_dict()
    with pytest.raises(EngineError, match="'singletons' as an integer >= 0"):
        CategoricalBins(vocabulary=("a",), singletons=-1)
