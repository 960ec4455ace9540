"""Benjamini-Hochberg adjusted p-values: scipy's false_discovery_control is the oracle."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.engine import benjamini_hochberg
from driftwatch.errors import EngineError

p_lists = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(p_values=p_lists)
def test_matches_scipy(p_values: list[float]) -> None:
    expected = scipy.stats.false_discovery_control(p_values, method="bh")
    np.testing.assert_allclose(benjamini_hochberg(p_values), expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=100, deadline=None)
@given(p_values=p_lists)
def test_adjusted_is_at_least_raw_and_at_most_one(p_values: list[float]) -> None:
    adjusted = benjamini_hochberg(p_values)
    assert np.all(adjusted >= np.asarray(p_values) - 1e-15)
    assert np.all(adjusted <= 1.0)


def test_no_p_values_give_none() -> None:
    assert benjamini_hochberg([]).size == 0


@pytest.mark.parametrize(
    "bad", [[0.5, 1.5], [float("nan")], [-0.1]], ids=["above-1", "nan", "negative"]
)
def test_invalid_p_values_raise(bad: list[float]) -> None:
    with pytest.raises(EngineError, match="between 0 and 1"):
        benjamini_hochberg(bad)


# --- properties of the procedure the monitor's error budget rests on ------------------------------


@settings(max_examples=200, deadline=None)
@given(p_values=p_lists)
def test_adjusted_p_values_keep_the_order_of_the_raw_ones(p_values: list[float]) -> None:
    raw = np.asarray(p_values)
    adjusted = benjamini_hochberg(raw)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)


@settings(max_examples=100, deadline=None)
@given(p=st.floats(min_value=0.0, max_value=1.0), m=st.integers(min_value=1, max_value=1_000))
def test_m_identical_p_values_are_left_as_they_are(p: float, m: int) -> None:
    np.testing.assert_allclose(benjamini_hochberg([p] * m), p, rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(p_values=p_lists, alpha=st.sampled_from([0.001, 0.01, 0.05]))
def test_any_rejection_is_simes_test_so_a_quiet_window_alerts_at_most_alpha(
    p_values: list[float], alpha: float
) -> None:
    """BH rejects something at alpha exactly when Simes' global test rejects (some k-th smallest
    p ≤ k·alpha/m), whose size under independent uniform p-values is alpha: with no drift the
    chance that a window alerts at all is the FDR bound."""
    raw = np.sort(np.asarray(p_values))
    m = raw.size
    simes = bool(np.any(raw * m / np.arange(1, m + 1) < alpha))
    assert bool(np.any(benjamini_hochberg(p_values) < alpha)) == simes


@settings(max_examples=100, deadline=None)
@given(p_values=p_lists, data=st.data())
def test_a_family_member_with_another_p_value_is_adjusted_in_its_place(
    p_values: list[float], data: st.DataObject
) -> None:
    from driftwatch.thresholds.correction import Family

    family = Family.of(p_values)
    member = data.draw(st.integers(min_value=0, max_value=len(p_values) - 1))
    other = data.draw(st.floats(min_value=0.0, max_value=1.0))
    assert family.adjusted_for(member, p_values[member]) == family.adjusted[member]
    swapped = [*p_values[:member], other, *p_values[member + 1 :]]
    assert family.adjusted_for(member, other) == benjamini_hochberg(swapped)[member]


def test_the_simes_bound_holds_in_simulation() -> None:
    """1 − (1 − alpha)^m windows alert somewhere uncorrected; BH keeps it at alpha."""
    rng = np.random.default_rng(3)
    p = rng.random((20_000, 50))
    any_raw = np.mean(np.any(p < 0.01, axis=1))
    any_bh = np.mean([np.any(benjamini_hochberg(row) < 0.01) for row in p[:4_000]])
    assert abs(any_raw - (1 - 0.99**50)) < 0.02
    assert any_bh < 0.015
