"""The discrete rule for numeric edges: per-value bins, atoms in bins of their own, booleans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.engine import NumericBins, fit_numeric_bins, is_boolean
from driftwatch.engine.edges import (
    _few_distinct,
    distinct_value_edges,
    reference_edges,
    sorted_quantiles,
)

SETTINGS = settings(max_examples=150, deadline=None)


def quantile_edges(finite: np.ndarray, bins: int) -> np.ndarray:
    """The i/k quantiles of numpy's default linear method, duplicates dropped (the oracle)."""
    return np.unique(np.quantile(finite, np.arange(bins + 1) / bins))


def slots_of(bins_edges: tuple[float, ...], values: np.ndarray) -> np.ndarray:
    """Interior slot (1-based, as in NumericBins.count) of each value."""
    from driftwatch.engine import NumericBins

    bins = NumericBins(edges=bins_edges)
    return np.array([int(np.argmax(bins.count(np.array([v])))) for v in values])


@pytest.mark.parametrize(
    ("values", "n_interior"),
    [
        pytest.param(np.array([0, 1] * 50), 2, id="flag"),
        pytest.param(np.repeat([0, 1, 2], [70, 20, 10]), 3, id="zero-one-two"),
        pytest.param(np.repeat(np.arange(1, 10), 10), 9, id="codes-1-to-9"),
        pytest.param(np.repeat(np.arange(1, 10), [1, 1, 1, 1, 1, 1, 1, 900, 93]), 9, id="skewed"),
    ],
)
def test_few_distinct_values_get_one_bin_each(values: np.ndarray, n_interior: int) -> None:
    bins = fit_numeric_bins(values)
    assert len(bins.edges) - 1 == n_interior
    counts = bins.count(values)
    distinct, expected = np.unique(values, return_counts=True)
    assert counts[1:-2].tolist() == expected.tolist()
    assert len(set(slots_of(bins.edges, distinct))) == distinct.size


def test_a_flag_moving_from_30_to_60_percent_moves_mass_between_bins() -> None:
    bins = fit_numeric_bins(np.repeat([0.0, 1.0], [700, 300]))
    live = bins.count(np.repeat([0.0, 1.0], [400, 600]))
    assert live.tolist() == [0, 400, 600, 0, 0]


def test_live_values_between_reference_values_go_to_the_nearer_one() -> None:
    bins = fit_numeric_bins(np.array([0.0, 1.0, 2.0] * 10))
    assert bins.count(np.array([0.4, 0.6, 1.4, 1.6, 2.0, 2.1])).tolist() == [0, 1, 2, 2, 1, 0]


def test_an_atom_gets_a_bin_of_its_own_in_zero_inflated_data() -> None:
    rng = np.random.default_rng(3)
    x = np.where(rng.random(10_000) < 0.6, 0.0, rng.lognormal(size=10_000))
    bins = fit_numeric_bins(x)
    counts = bins.count(x)
    assert counts[1] == np.count_nonzero(x == 0)  # zeros alone in the first interior bin
    positive = np.sort(x[x > 0])
    assert bins.edges[1] == positive[0] / 2  # the midpoint between 0 and the smallest positive
    assert np.all(counts[1:-2] > 0)
    # The continuous part keeps the quantile edges above the atom's span.
    assert set(quantile_edges(x, 10)) - {0.0} <= set(bins.edges)


def test_continuous_data_keep_the_numpy_quantiles_exactly() -> None:
    x = np.random.default_rng(1).normal(size=5_000)
    assert bins_equal(fit_numeric_bins(x).edges, np.quantile(x, np.arange(11) / 10))


def bins_equal(edges: tuple[float, ...], expected: np.ndarray) -> bool:
    return edges == tuple(float(e) for e in expected)


def test_auto_is_the_same_rule_as_quantile() -> None:
    rng = np.random.default_rng(5)
    for x in (rng.normal(size=500), rng.poisson(3, size=500).astype(float)):
        assert fit_numeric_bins(x, strategy="auto").edges == fit_numeric_bins(x).edges


def test_uniform_edges_are_left_as_the_user_chose_them() -> None:
    x = np.array([0.0, 1.0] * 10)
    assert len(fit_numeric_bins(x, strategy="uniform", bins=4).edges) == 5


@st.composite
def discrete_columns(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """A column of small integers (some heavy), possibly with a continuous part, and a bin count."""
    support = draw(st.integers(min_value=1, max_value=30))
    weights = draw(st.lists(st.integers(1, 50), min_size=support, max_size=support))
    values = np.repeat(
        np.arange(support, dtype=float) * draw(st.sampled_from([1.0, 0.5, 7.0])), weights
    )
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**16))
        noise = np.random.default_rng(seed).normal(size=draw(st.integers(1, 200))) * 10
        values = np.concatenate([values, noise])
    return values, draw(st.integers(min_value=1, max_value=15))


@SETTINGS
@given(discrete_columns())
def test_edge_rule_properties(column: tuple[np.ndarray, int]) -> None:
    values, k = column
    bins = fit_numeric_bins(values, bins=k)
    counts = bins.count(values)
    assert counts[0] == 0 and counts[-2] == 0  # tails empty in the reference
    if len(bins.edges) > 2:
        assert np.all(counts[1:-2] > 0)  # no interior bin without a reference value
    distinct, frequency = np.unique(values, return_counts=True)
    slots = slots_of(bins.edges, distinct)
    if distinct.size <= k:
        assert len(set(slots.tolist())) == distinct.size
    for value, slot in zip(
        distinct[frequency * k >= values.size], slots[frequency * k >= values.size], strict=True
    ):
        assert counts[slot] == frequency[distinct == value][0], "an atom shares its bin"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(np.array([True, False]), True, id="bool-dtype"),
        pytest.param(np.array([True, None, False], dtype=object), True, id="object-with-none"),
        pytest.param(np.array([True, np.nan], dtype=object), True, id="object-with-nan"),
        pytest.param(np.array([True, pd.NA], dtype=object), True, id="object-with-pd-na"),
        pytest.param(np.array([True, 1], dtype=object), False, id="bool-and-int"),
        pytest.param(np.array([0, 1]), False, id="ints"),
        pytest.param(np.array([None, None], dtype=object), False, id="all-missing"),
        pytest.param(np.array([], dtype=object), False, id="empty"),
        pytest.param(np.array([[1], True], dtype=object), False, id="unhashable"),
    ],
)
def test_is_boolean(values: np.ndarray, expected: bool) -> None:
    assert is_boolean(values) is expected


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.random.default_rng(2).normal(size=2_000), id="continuous"),
        pytest.param(np.array([0.0, -0.0, 1.0, 1.0, -0.0, 2.0]), id="signed-zeros"),
        pytest.param(np.random.default_rng(3).integers(0, 7, 999).astype(float), id="codes"),
        pytest.param(np.array([4.5]), id="one-value"),
        pytest.param(np.array([], dtype=np.float64), id="empty"),
    ],
)
def test_few_distinct_values_of_the_sorted_reference_are_numpy_unique(values: np.ndarray) -> None:
    distinct = _few_distinct(np.sort(values), bins=10)
    expected = np.unique(values)
    if expected.size > 10:
        assert distinct is None
    else:
        assert distinct is not None and distinct.tolist() == expected.tolist()


# --- the fit's shortcuts are the same numbers as the plain computations ------------------------

floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
# A few levels repeat (atoms, ties); with floats between them, atoms of every size.
LEVELS = st.lists(st.sampled_from([-3.0, -0.0, 0.0, 0.5, 1.0, 7.25]) | floats, min_size=1)


@SETTINGS
@given(values=LEVELS, k=st.integers(1, 25))
def test_quantiles_of_a_sorted_array_are_numpys_bit_for_bit(values: list[float], k: int) -> None:
    x = np.asarray(values, dtype=np.float64)
    q = np.arange(k + 1) / k
    assert sorted_quantiles(np.sort(x), q).tolist() == np.quantile(x, q).tolist()


def _atom_rule_from_distinct_values(finite: np.ndarray, bins: int) -> np.ndarray:
    """The rule written plainly: every distinct value and its count (the fit's former code)."""
    distinct, counts = np.unique(finite, return_counts=True)
    if distinct.size <= bins:
        return distinct_value_edges(distinct)
    edges = quantile_edges(finite, bins)
    atoms = np.flatnonzero(counts * bins >= finite.size)
    if atoms.size == 0:
        return edges
    mids = distinct[:-1] / 2 + distinct[1:] / 2
    last = distinct.size - 1
    low = np.where(atoms > 0, mids[np.maximum(atoms - 1, 0)], distinct[atoms])
    high = np.where(atoms < last, mids[np.minimum(atoms, last - 1)], distinct[atoms])
    inside = np.any((edges[:, None] > low) & (edges[:, None] < high), axis=1)
    own = np.concatenate([low, high])
    fitted = np.unique(np.concatenate([edges[~inside], own]))
    while True:  # drop edges until every interior bin holds a distinct value
        slot = np.searchsorted(fitted, distinct, side="right") - 1
        slot[distinct == fitted[-1]] = fitted.size - 2
        empty = np.flatnonzero(np.bincount(slot, minlength=fitted.size - 1) == 0)
        if empty.size == 0:
            return fitted
        i = int(empty[0])
        keep_left = np.isin(fitted[i + 1], own) and not np.isin(fitted[i], own)
        fitted = np.delete(fitted, i if keep_left else i + 1)


@SETTINGS
@given(values=LEVELS, k=st.integers(1, 25))
def test_atoms_found_among_the_quantiles_order_statistics_are_all_the_atoms(
    values: list[float], k: int
) -> None:
    """Reading atoms and their neighbours off the order statistics the quantiles use gives the
    edges of the rule computed on every distinct value."""
    x = np.asarray(values, dtype=np.float64)
    assert (
        reference_edges(x, "quantile", k).tolist() == _atom_rule_from_distinct_values(x, k).tolist()
    )


def _with_atom(value: float, rows: int, n: int = 100) -> np.ndarray:
    """``rows`` copies of ``value`` among ``n`` values otherwise distinct (0.5, 1.5, ...)."""
    others = np.arange(n - rows, dtype=np.float64) + 0.5
    return np.concatenate([np.full(rows, value), others])


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(_with_atom(3.0, 10), id="exactly-one-kth-is-an-atom"),
        pytest.param(_with_atom(3.0, 9), id="one-row-short-is-not"),
        pytest.param(_with_atom(-1.0, 10), id="atom-at-the-minimum"),
        pytest.param(_with_atom(1e3, 10), id="atom-at-the-maximum"),
        pytest.param(_with_atom(3.0, 11, n=101), id="exactly-one-kth-rounded-up"),
        pytest.param(np.repeat([1.0, 2.0, 3.0], [45, 10, 45]), id="three-atoms-one-at-one-kth"),
    ],
)
def test_atoms_at_the_edge_of_the_rule_match_the_plain_rule(values: np.ndarray) -> None:
    got = reference_edges(values, "quantile", 10)
    assert got.tolist() == _atom_rule_from_distinct_values(values, 10).tolist()


SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf])


@SETTINGS
@given(
    values=st.lists(floats | SPECIAL | st.sampled_from([0.0, 1.0, 2.5]), max_size=300),
    edges=st.lists(st.sampled_from([-1.0, 0.0, 1.0, 2.5, 3.0]) | floats, min_size=1, max_size=8),
)
def test_counting_sorted_values_gives_the_counts_of_the_unsorted(
    values: list[float], edges: list[float]
) -> None:
    ordered = sorted(set(edges))
    bins = NumericBins(edges=(ordered[0], ordered[0]) if len(ordered) == 1 else tuple(ordered))
    x = np.asarray(values, dtype=np.float64)
    assert bins.count_sorted(np.sort(x)).tolist() == bins.count(x).tolist()


@SETTINGS
@given(
    values=st.lists(floats | SPECIAL | st.sampled_from([0.0, 1.0]), min_size=1),
    k=st.integers(1, 12),
)
def test_a_presorted_fit_is_the_fit_of_the_unsorted_values(values: list[float], k: int) -> None:
    from driftwatch.engine import fit_numeric_bins

    x = np.asarray(values, dtype=np.float64)
    if not np.isfinite(x).any():
        return
    for strategy in ("quantile", "uniform"):
        plain = fit_numeric_bins(x, strategy=strategy, bins=k)
        presorted = fit_numeric_bins(np.sort(x), strategy=strategy, bins=k, presorted=True)
        assert presorted == plain
