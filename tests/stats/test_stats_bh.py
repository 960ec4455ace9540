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
