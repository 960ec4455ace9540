"""The calibrated kind's null distribution: vectorised metrics, seeded draws, quantile cut."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.engine import get_metric, metric_names, metric_rows, null_metric_samples
from driftwatch.thresholds import calibrated_cut, n_bucket

METRICS = metric_names()


@st.composite
def count_matrices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    rows = draw(st.integers(min_value=1, max_value=6))
    k = draw(st.integers(min_value=1, max_value=15))
    cell = st.integers(min_value=0, max_value=2_000)
    row = st.lists(cell, min_size=k, max_size=k).filter(lambda v: sum(v) > 0)
    live = np.array([draw(row) for _ in range(rows)])
    reference = np.array([draw(row) for _ in range(rows)])
    return live, reference


@settings(max_examples=150, deadline=None)
@given(
    pair=count_matrices(),
    metric=st.sampled_from(METRICS),
    alpha=st.floats(min_value=0.01, max_value=2.0),
)
def test_row_metrics_equal_the_engine_metrics(
    pair: tuple[np.ndarray, np.ndarray], metric: str, alpha: float
) -> None:
    live, reference = pair
    rows = metric_rows(metric, live, reference, alpha=alpha)
    for i in range(live.shape[0]):
        expected = get_metric(metric).compute(live[i], reference[i], alpha)
        assert math.isclose(rows[i], expected, rel_tol=1e-9, abs_tol=1e-12), (metric, i)


def test_null_samples_are_sorted_and_reproducible_by_seed() -> None:
    reference = np.array([0, 900, 1100, 1000, 1000, 0, 12])
    first = null_metric_samples(reference, 300, "js", draws=500, seed=4)
    again = null_metric_samples(reference, 300, "js", draws=500, seed=4)
    other = null_metric_samples(reference, 300, "js", draws=500, seed=5)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.all(np.diff(first) >= 0)


def test_null_shrinks_as_the_live_window_grows() -> None:
    reference = np.full(10, 1_000)
    medians = [
        float(np.median(null_metric_samples(reference, n, "js", draws=400))) for n in (100, 10_000)
    ]
    assert medians[0] > 5 * medians[1]


def test_null_keeps_the_reference_sampling_error_at_large_n() -> None:
    """Both samples are resampled: at n = N the null is not zero (a subsample of the reference
    compared with the reference itself would be)."""
    reference = np.full(10, 1_000)
    null = null_metric_samples(reference, 10_000, "js", draws=400)
    expected_mean = 9 / (8 * math.log(2)) * (1 / 10_000 + 1 / 10_000)  # ≈ (k−1)·(1/n+1/N)/(8 ln 2)
    assert null.mean() == pytest.approx(expected_mean, rel=0.2)


@pytest.mark.parametrize(
    ("n", "bucket"),
    [
        pytest.param(1, 1, id="one"),
        pytest.param(50, 49, id="fifty"),
        pytest.param(1024, 1024, id="power-of-two"),
        pytest.param(1100, 1024, id="just-above"),
    ],
)
def test_n_bucket_rounds_down_on_a_geometric_grid(n: int, bucket: int) -> None:
    assert n_bucket(n) == bucket


def test_calibrated_cut_is_the_conformal_quantile_of_the_null() -> None:
    reference = np.array([500, 300, 200])
    cut, null, bucket = calibrated_cut(
        reference, 200, "js", quantile=0.9, draws=99, seed=0, smoothing=0.5
    )
    assert bucket == n_bucket(200)
    assert cut == null[math.ceil(0.9 * 100) - 1]


def test_calibrated_cut_is_infinite_when_draws_cannot_reach_the_quantile() -> None:
    cut, _, _ = calibrated_cut(
        np.array([5, 5]), 10, "js", quantile=0.999, draws=100, seed=0, smoothing=0.5
    )
    assert cut == math.inf


def test_structural_zero_tails_receive_live_mass_in_the_null() -> None:
    """Numeric tails are empty in the reference by construction; live values still land there
    (mass ~ Beta(1, N)), so the null at n >> N must include them."""
    reference = np.array([0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 0, 0])
    plain = null_metric_samples(reference, 100_000, "js", draws=300)
    tails = {0: (1.0, 1_000.0), 11: (1.0, 1_000.0)}
    with_tails = null_metric_samples(reference, 100_000, "js", draws=300, empty_slots=tails)
    assert np.median(with_tails) > 1.5 * np.median(plain)


def test_structural_zeros_that_are_not_empty_are_ignored() -> None:
    reference = np.array([5, 100, 100, 0])
    plain = null_metric_samples(reference, 500, "js", draws=200, seed=1)
    slots = {0: (1.0, 305.0), 7: (1.0, 305.0)}
    same = null_metric_samples(reference, 500, "js", draws=200, seed=1, empty_slots=slots)
    assert np.array_equal(plain, same)
