"""The G-test of homogeneity on a live and a reference histogram: scipy is the oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.engine import g_test, weighted_js_nats
from driftwatch.errors import EngineError

SETTINGS = settings(max_examples=150, deadline=None)


def scipy_g(live: list[int], reference: list[int]) -> tuple[float, float, int]:
    table = np.array([live, reference], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    result = scipy.stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    return float(result.statistic), float(result.pvalue), int(result.dof)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Two count vectors over 2..20 bins, both with a positive total and 2+ non-empty bins."""
    k = draw(st.integers(min_value=2, max_value=20))
    row = st.lists(st.integers(min_value=0, max_value=5_000), min_size=k, max_size=k)
    live = draw(row.filter(lambda v: sum(v) > 0))
    reference = draw(row.filter(lambda v: sum(v) > 0))
    nonempty = sum(1 for a, b in zip(live, reference, strict=True) if a + b > 0)
    if nonempty < 2:
        live[0], reference[-1] = live[0] + 1, reference[-1] + 1
    return live, reference


@pytest.mark.parametrize(
    ("live", "reference"),
    [
        pytest.param([10, 20, 30], [30, 20, 10], id="reversed"),
        pytest.param([50, 50], [48, 52], id="2x2-no-yates"),
        pytest.param([0, 120, 80, 0, 3], [0, 1000, 900, 50, 0], id="empty-bins-dropped"),
        pytest.param([500, 480, 510, 495], [5000, 5020, 4990, 4985], id="near-null"),
        pytest.param([1, 1, 1000], [1000, 1, 1], id="extreme"),
    ],
)
def test_uncorrected_chi2_p_value_matches_scipy(live: list[int], reference: list[int]) -> None:
    result = g_test(live, reference, method="chi2", williams=False)
    statistic, p_value, dof = scipy_g(live, reference)
    assert result.method == "chi2"
    assert result.dof == dof
    assert math.isclose(result.statistic, statistic, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(result.p_value, p_value, rel_tol=1e-10, abs_tol=1e-10)


@SETTINGS
@given(table=tables())
def test_uncorrected_chi2_p_value_matches_scipy_on_random_tables(
    table: tuple[list[int], list[int]],
) -> None:
    live, reference = table
    result = g_test(live, reference, method="chi2", williams=False)
    statistic, p_value, dof = scipy_g(live, reference)
    assert result.dof == dof
    assert math.isclose(result.statistic, statistic, rel_tol=1e-10, abs_tol=1e-9)
    assert abs(result.p_value - p_value) <= 1e-10


def williams_by_hand(live: list[int], reference: list[int]) -> float:
    """Williams (1976), q = 1 + (n·Σ1/R − 1)(n·Σ1/C − 1) / (6n(r−1)(c−1)), on the used bins."""
    table = np.array([live, reference], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    n, (r, c) = table.sum(), table.shape
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    return 1 + (n * (1 / rows).sum() - 1) * (n * (1 / cols).sum() - 1) / (6 * n * (r - 1) * (c - 1))


@SETTINGS
@given(table=tables())
def test_chi2_p_value_is_scipys_for_g_divided_by_williams_q(
    table: tuple[list[int], list[int]],
) -> None:
    live, reference = table
    result = g_test(live, reference, method="chi2")
    statistic, _, dof = scipy_g(live, reference)
    q = williams_by_hand(live, reference)
    assert math.isclose(result.williams, q, rel_tol=1e-12)
    assert abs(result.p_value - scipy.stats.chi2.sf(statistic / q, dof)) <= 1e-10


@SETTINGS
@given(table=tables(), williams=st.booleans())
def test_chi2_p_value_is_scipys_tail_of_its_own_statistic_to_the_last_digits(
    table: tuple[list[int], list[int]], williams: bool
) -> None:
    """Relative, so the far tail counts too (p down to 1e-300 on drifted tables)."""
    result = g_test(*table, method="chi2", williams=williams)
    expected = float(scipy.stats.chi2.sf(result.statistic / result.williams, result.dof))
    assert math.isclose(result.p_value, expected, rel_tol=1e-12, abs_tol=0.0)


@SETTINGS
@given(table=tables())
def test_williams_correction_only_makes_the_test_more_conservative(
    table: tuple[list[int], list[int]],
) -> None:
    live, reference = table
    corrected = g_test(live, reference, method="chi2")
    plain = g_test(live, reference, method="chi2", williams=False)
    assert corrected.williams >= 1.0
    assert corrected.p_value >= plain.p_value - 1e-15
    assert corrected.statistic == plain.statistic  # G itself, the divergence's twin


def test_williams_q_tends_to_one_as_the_counts_grow() -> None:
    small = g_test([10, 20, 30], [30, 20, 10], method="chi2").williams
    large = g_test([10_000, 20_000, 30_000], [30_000, 20_000, 10_000], method="chi2").williams
    assert small > 1.01 and 1.0 < large < 1.0001


def exact_size(n_live: int, n_ref: int, share: float, alpha: float, williams: bool) -> float:
    """P(p < alpha) under no drift for a 2-bin table, summed over every (live, reference) count."""
    ref_counts = np.arange(n_ref + 1)
    ref_probs = scipy.stats.binom.pmf(ref_counts, n_ref, share)
    ref_counts, ref_probs = ref_counts[ref_probs > 1e-12], ref_probs[ref_probs > 1e-12]
    size = 0.0
    for x in range(n_live + 1):
        p_x = scipy.stats.binom.pmf(x, n_live, share)
        if p_x < 1e-12:
            continue
        for r, p_r in zip(ref_counts, ref_probs, strict=True):
            p = g_test([x, n_live - x], [r, n_ref - r], method="chi2", williams=williams).p_value
            size += p_x * p_r * (p < alpha)
    return size


@pytest.mark.slow
def test_williams_brings_a_small_two_bin_table_to_its_nominal_size() -> None:
    # A 0/1 flag (30 %), 50 live rows against 2,000 reference rows, at the interior test's level.
    plain = exact_size(50, 2_000, 0.3, 0.008, williams=False)
    corrected = exact_size(50, 2_000, 0.3, 0.008, williams=True)
    assert plain > 0.0085  # G alone runs liberal here
    assert abs(corrected - 0.008) < abs(plain - 0.008)


@SETTINGS
@given(table=tables())
def test_g_equals_2n_times_weighted_js_in_nats(table: tuple[list[int], list[int]]) -> None:
    live, reference = table
    total = sum(live) + sum(reference)
    g = g_test(live, reference, method="chi2").statistic
    assert math.isclose(
        g, 2 * total * weighted_js_nats(live, reference), rel_tol=1e-9, abs_tol=1e-9
    )


def test_weighted_js_with_equal_sizes_is_the_js_divergence_in_nats() -> None:
    from driftwatch.engine import js_divergence

    live, reference = [10, 30, 60], [40, 40, 20]
    assert math.isclose(
        weighted_js_nats(live, reference), js_divergence(live, reference, base=math.e)
    )


def test_auto_uses_chi2_when_every_expected_count_is_large() -> None:
    result = g_test([100, 120, 90], [1000, 1100, 950])
    assert (result.method, result.min_expected >= 5) == ("chi2", True)


def test_auto_falls_back_to_permutation_when_an_expected_count_is_small() -> None:
    result = g_test([3, 10, 12], [0, 500, 480])
    assert result.method == "permutation"
    assert 0 < result.p_value <= 1


def test_permutation_p_value_is_reproducible_by_seed() -> None:
    live, reference = [2, 9, 14, 1], [10, 200, 180, 40]
    first = g_test(live, reference, seed=3, method="permutation")
    again = g_test(live, reference, seed=3, method="permutation")
    assert first == again


def test_permutation_p_value_agrees_with_chi2_on_a_large_table() -> None:
    live, reference = [110, 95, 105, 90], [1000, 1030, 980, 1010]
    exact = g_test(live, reference, method="chi2").p_value
    sampled = g_test(live, reference, method="permutation", stop_after=0, permutations=20_000)
    assert abs(sampled.p_value - exact) < 0.02


def test_sequential_permutation_stops_early_on_a_clearly_null_table() -> None:
    result = g_test([5, 5, 5], [50, 50, 50], method="permutation", permutations=20_000)
    assert result.permutations < 1_000
    assert result.p_value > 0.5


def test_permutation_p_value_never_reaches_zero() -> None:
    result = g_test([40, 0], [0, 40], method="permutation", permutations=1_000)
    assert result.p_value == pytest.approx(1 / 1_001)


def test_one_nonempty_bin_is_no_evidence_of_drift() -> None:
    result = g_test([0, 7, 0], [0, 70, 0])
    assert (result.statistic, result.p_value, result.dof) == (0.0, 1.0, 0)


@pytest.mark.parametrize(
    ("live", "reference", "match"),
    [
        pytest.param([0, 0], [1, 2], "live counts sums to zero", id="empty-live"),
        pytest.param([1, 2], [1, 2, 3], "different lengths", id="mismatched"),
        pytest.param([1.5, 2], [1, 2], "whole", id="fractional"),
        pytest.param([-1, 2], [1, 2], "negative", id="negative"),
    ],
)
def test_bad_tables_raise_engine_errors(
    live: list[float], reference: list[int], match: str
) -> None:
    with pytest.raises(EngineError, match=match):
        g_test(live, reference)


def test_permutation_p_values_are_uniform_under_the_null() -> None:
    """Seeded tables drawn from one distribution: permutation p-values look U(0, 1) (tolerant)."""
    rng = np.random.default_rng(2026)
    probs = np.array([0.3, 0.25, 0.2, 0.15, 0.07, 0.03])
    p_values = [
        g_test(
            rng.multinomial(40, probs),
            rng.multinomial(400, probs),
            method="permutation",
            permutations=400,
            stop_after=0,
            seed=i,
        ).p_value
        for i in range(300)
    ]
    assert scipy.stats.kstest(p_values, "uniform").pvalue > 0.001
    assert np.mean(np.asarray(p_values) < 0.05) < 0.09


def test_sequential_permutation_p_values_are_valid_under_the_null() -> None:
    """Besag-Clifford early stopping keeps P(p ≤ u) ≤ u (tolerant check at u = 0.05, 0.2)."""
    rng = np.random.default_rng(7)
    probs = np.array([0.4, 0.3, 0.2, 0.1])
    p_values = np.array(
        [
            g_test(
                rng.multinomial(30, probs),
                rng.multinomial(300, probs),
                method="permutation",
                permutations=2_000,
                seed=i,
            ).p_value
            for i in range(300)
        ]
    )
    assert np.mean(p_values <= 0.05) < 0.09
    assert np.mean(p_values <= 0.2) < 0.27
