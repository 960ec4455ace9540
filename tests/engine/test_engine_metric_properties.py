"""Properties every divergence must have, checked on random count vectors with hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.engine import (
    bin_contributions,
    hellinger,
    js_divergence,
    kl_divergence,
    psi,
    total_variation,
)

TOL = 1e-12
SETTINGS = settings(max_examples=200, deadline=None)

counts = st.integers(min_value=0, max_value=10_000)
alphas = st.floats(min_value=0.01, max_value=5.0)


@st.composite
def count_pairs(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Two count vectors over the same 1..25 bins, each with a positive total."""
    k = draw(st.integers(min_value=1, max_value=25))
    vector = st.lists(counts, min_size=k, max_size=k).filter(lambda v: sum(v) > 0)
    return draw(vector), draw(vector)


@st.composite
def count_vectors(draw: st.DrawFn) -> list[int]:
    return draw(st.lists(counts, min_size=1, max_size=25).filter(lambda v: sum(v) > 0))


@SETTINGS
@given(pair=count_pairs(), alpha=alphas)
def test_every_metric_is_non_negative(pair: tuple[list[int], list[int]], alpha: float) -> None:
    p, q = pair
    assert kl_divergence(p, q) >= 0
    assert kl_divergence(p, q, alpha=alpha) >= 0
    assert js_divergence(p, q) >= 0
    assert psi(p, q, alpha=alpha) >= 0
    assert hellinger(p, q) >= 0
    assert total_variation(p, q) >= 0


@SETTINGS
@given(p=count_vectors(), alpha=st.floats(min_value=0.0, max_value=5.0))
def test_every_metric_is_zero_for_identical_distributions(p: list[int], alpha: float) -> None:
    assert kl_divergence(p, p, alpha=alpha) == 0.0
    assert js_divergence(p, p) == 0.0
    assert psi(p, p, alpha=alpha) == 0.0
    assert hellinger(p, p) == 0.0
    assert total_variation(p, p) == 0.0


@SETTINGS
@given(p=count_vectors(), factor=st.integers(min_value=2, max_value=1000))
def test_unsmoothed_metrics_are_zero_for_proportional_counts(p: list[int], factor: int) -> None:
    # Smoothing works in count units, so only the unsmoothed metrics ignore the sample size.
    scaled = [factor * c for c in p]
    assert kl_divergence(scaled, p) == pytest.approx(0.0, abs=TOL)
    assert js_divergence(scaled, p) == pytest.approx(0.0, abs=TOL)
    assert psi(scaled, p, alpha=0.0) == pytest.approx(0.0, abs=TOL)
    assert hellinger(scaled, p) == pytest.approx(0.0, abs=TOL)
    assert total_variation(scaled, p) == pytest.approx(0.0, abs=TOL)


@SETTINGS
@given(pair=count_pairs())
def test_js_is_symmetric_and_at_most_one_bit(pair: tuple[list[int], list[int]]) -> None:
    p, q = pair
    assert js_divergence(p, q) == pytest.approx(js_divergence(q, p), abs=TOL)
    assert js_divergence(p, q) <= 1.0 + TOL


@SETTINGS
@given(pair=count_pairs())
def test_hellinger_and_tvd_are_symmetric_and_at_most_one(
    pair: tuple[list[int], list[int]],
) -> None:
    p, q = pair
    assert hellinger(p, q) == pytest.approx(hellinger(q, p), abs=TOL)
    assert total_variation(p, q) == pytest.approx(total_variation(q, p), abs=TOL)
    assert hellinger(p, q) <= 1.0
    assert total_variation(p, q) <= 1.0


@SETTINGS
@given(pair=count_pairs(), alpha=alphas)
def test_psi_is_smoothed_kl_both_ways(pair: tuple[list[int], list[int]], alpha: float) -> None:
    p, q = pair
    both_ways = kl_divergence(p, q, alpha=alpha) + kl_divergence(q, p, alpha=alpha)
    assert psi(p, q, alpha=alpha) == pytest.approx(both_ways, abs=TOL, rel=TOL)


@SETTINGS
@given(pair=count_pairs(), alpha=alphas)
def test_smoothed_kl_is_always_finite(pair: tuple[list[int], list[int]], alpha: float) -> None:
    p, q = pair
    assert math.isfinite(kl_divergence(p, q, alpha=alpha))
    assert math.isfinite(psi(p, q, alpha=alpha))


@SETTINGS
@given(pair=count_pairs())
def test_bin_contributions_add_up_to_js(pair: tuple[list[int], list[int]]) -> None:
    p, q = pair
    labels = [f"bin{i:02d}" for i in range(len(p))]
    rows = bin_contributions(np.array(p), np.array(q), labels, top=len(p))
    assert sorted(r["label"] for r in rows) == labels
    assert sum(r["contribution"] for r in rows) == pytest.approx(js_divergence(p, q), abs=TOL)
    contributions = [r["contribution"] for r in rows]
    assert contributions == sorted(contributions, reverse=True)
