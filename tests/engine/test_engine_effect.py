"""Bias-corrected effect sizes, critical values and the decision threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from driftwatch.engine import (
    critical_value,
    debiased_value,
    decision_threshold,
    effect_size,
    g_test,
    js_divergence,
    metric_rows,
    null_bias,
)
from driftwatch.errors import EngineError

SETTINGS = settings(max_examples=150, deadline=None)
Q = np.array([0.3, 0.2, 0.15, 0.15, 0.1, 0.1])


def test_js_null_bias_is_k_minus_one_over_8_ln2_times_the_inverse_sizes() -> None:
    # Not (k−1)/(4 ln 2): KL(p‖m) ≈ ⅛Σ(p−q)²/m, and js averages two such terms.
    assert null_bias("js", 11, 50, 10_000) == pytest.approx(
        10 / (8 * math.log(2)) * (1 / 50 + 1e-4)
    )


@pytest.mark.parametrize("metric", ["js", "kl", "psi", "hellinger"])
@pytest.mark.parametrize(("n", "n_ref"), [(100, 400), (1_000, 5_000)])
def test_null_bias_matches_simulation(metric: str, n: int, n_ref: int) -> None:
    rng = np.random.default_rng([1, n])
    values = metric_rows(metric, rng.multinomial(n, Q, 20_000), rng.multinomial(n_ref, Q, 20_000))
    simulated = float(np.mean(values**2 if metric == "hellinger" else values))
    # First-order: within 10 % at ~15 counts per bin (kl's smoothing shrinks it), 2 % at 150.
    tolerance = 0.1 if n < 1_000 else 0.02
    assert simulated == pytest.approx(null_bias(metric, Q.size, n, n_ref), rel=tolerance)


def test_debiased_js_does_not_drift_with_n_for_a_fixed_shift() -> None:
    """Plug-in js falls towards the truth as n grows; the debiased value stays near it."""
    live_q = np.array([0.25, 0.2, 0.15, 0.15, 0.12, 0.13])
    truth = js_divergence(live_q, Q)
    rng = np.random.default_rng(4)
    for n in (500, 5_000, 50_000):
        live = rng.multinomial(n, live_q, 2_000)
        ref = rng.multinomial(20_000, Q, 2_000)
        plug_in = metric_rows("js", live, ref)
        debiased = [debiased_value("js", v, Q.size, n, 20_000) for v in plug_in]
        assert float(np.mean(plug_in)) > truth
        assert float(np.mean(debiased)) == pytest.approx(truth, rel=0.1)


def test_effect_size_uses_the_bins_not_empty_in_both() -> None:
    live, ref = [30, 20, 0, 50], [40, 20, 0, 40]
    k = 3
    expected = js_divergence(live, ref) - null_bias("js", k, 100, 100)
    assert effect_size("js", live, ref) == pytest.approx(max(expected, 0.0))
    assert effect_size("js", [10, 10], [10, 10]) == 0.0


def test_hellinger_is_debiased_on_its_square() -> None:
    bias = null_bias("hellinger", 5, 100, 100)
    assert debiased_value("hellinger", 0.3, 5, 100, 100) == pytest.approx(math.sqrt(0.09 - bias))


def test_tvd_has_no_formula() -> None:
    with pytest.raises(EngineError, match="no bias or critical-value formula for metric 'tvd'"):
        null_bias("tvd", 5, 100, 100)


@pytest.mark.parametrize(("n", "n_ref"), [(200, 10_000), (5_000, 10_000), (100_000, 10_000)])
def test_critical_js_is_where_the_g_test_p_equals_alpha(n: int, n_ref: int) -> None:
    """Scale a small shift until js equals the critical value: then the G-test's p ≈ alpha."""
    dof, alpha = Q.size - 1, 0.01
    cut = critical_value("js", dof=dof, n_live=n, n_ref=n_ref, alpha=alpha)
    direction = np.array([1.0, -1.0, 0.5, -0.5, 0.3, -0.3]) * 0.01
    lo, hi = 0.0, 9.0  # Q + 9·direction stays positive
    for _ in range(60):  # bisection on the shift size: live proportions whose js is the cut
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if js_divergence(Q + mid * direction, Q) < cut else (lo, mid)
    live = (Q + lo * direction) * n
    reference = Q * n_ref
    # G = 2·N·JSw exactly (JSw: js weighted by the sample sizes, nats), on these proportions.
    from scipy import special, stats

    total = n + n_ref
    pooled = (live + reference) / total
    jsw = n / total * special.rel_entr(live / n, pooled).sum() + n_ref / total * (
        special.rel_entr(reference / n_ref, pooled).sum()
    )
    statistic = 2 * total * jsw

    assert float(stats.chi2.sf(statistic, dof)) == pytest.approx(alpha, rel=0.2)


@pytest.mark.parametrize("q", [pytest.param(1.0, id="no-correction"), pytest.param(1.05, id="q")])
def test_critical_value_scales_with_williams_q(q: float) -> None:
    plain = critical_value("js", dof=5, n_live=200, n_ref=10_000, alpha=0.01)
    assert critical_value(
        "js", dof=5, n_live=200, n_ref=10_000, alpha=0.01, williams=q
    ) == pytest.approx(q * plain, rel=1e-12)


def test_a_williams_q_below_one_is_refused() -> None:
    with pytest.raises(EngineError, match="Williams' divisor q must be >= 1"):
        critical_value("js", dof=5, n_live=200, n_ref=10_000, alpha=0.01, williams=0.9)


def test_simulated_alarm_rate_at_the_critical_value_is_alpha() -> None:
    rng = np.random.default_rng(9)
    n, n_ref = 1_000, 5_000
    values = metric_rows("js", rng.multinomial(n, Q, 40_000), rng.multinomial(n_ref, Q, 40_000))
    cut = critical_value("js", dof=Q.size - 1, n_live=n, n_ref=n_ref, alpha=0.01)
    assert float(np.mean(values >= cut)) == pytest.approx(0.01, abs=0.002)


@SETTINGS
@given(
    st.sampled_from(["js", "kl", "psi", "hellinger"]),
    st.floats(0.0, 0.5),
    st.integers(2, 60),
    st.integers(10, 200_000),
    st.integers(10, 200_000),
    st.floats(1e-6, 0.5),
)
# A magnitude far below the bias: sqrt(m² + b) rounded to sqrt(b), which debiased to 0.
@example("hellinger", 2.1598224929232125e-10, 2, 10, 10, 0.5)
def test_decision_threshold_properties(
    metric: str, magnitude: float, k: int, n: int, n_ref: int, alpha: float
) -> None:
    threshold = decision_threshold(
        metric, magnitude, k=k, dof=k - 1, n_live=n, n_ref=n_ref, alpha=alpha
    )
    cut = critical_value(metric, dof=k - 1, n_live=n, n_ref=n_ref, alpha=alpha)
    assert threshold >= max(magnitude, cut)
    # At the threshold the debiased value reaches the magnitude (the rule's effect-size half).
    assert debiased_value(metric, threshold, k, n, n_ref) >= magnitude
    # More rows: a lower (or equal) line; a stricter alpha: a higher one.
    assert (
        decision_threshold(
            metric, magnitude, k=k, dof=k - 1, n_live=2 * n, n_ref=n_ref, alpha=alpha
        )
        <= threshold + 1e-15
    )
    assert (
        decision_threshold(
            metric, magnitude, k=k, dof=k - 1, n_live=n, n_ref=n_ref, alpha=alpha / 2
        )
        >= threshold - 1e-15
    )


def test_decision_threshold_without_magnitude_or_dof() -> None:
    cut = critical_value("js", dof=4, n_live=500, n_ref=500, alpha=0.01)
    assert decision_threshold("js", None, k=5, dof=4, n_live=500, n_ref=500, alpha=0.01) == cut
    assert critical_value("js", dof=0, n_live=500, n_ref=500, alpha=0.01) == math.inf
    with pytest.raises(EngineError, match="alpha"):
        critical_value("js", dof=3, n_live=5, n_ref=5, alpha=0.0)


def test_g_test_agrees_with_the_quadratic_relation_on_a_real_table() -> None:
    live, reference = (
        np.array([260, 190, 150, 150, 120, 130]),
        np.array([3000, 2000, 1500, 1500, 1000, 1000]),
    )
    g = g_test(live, reference).statistic
    n, n_ref = live.sum(), reference.sum()
    approx = js_divergence(live, reference) * 8 * math.log(2) * n * n_ref / (n + n_ref)
    assert g == pytest.approx(approx, rel=0.05)


@SETTINGS
@given(dof=st.integers(1, 5_000), alpha=st.floats(1e-12, 0.5))
def test_critical_value_uses_scipys_chi_square_quantile(dof: int, alpha: float) -> None:
    """critical = factor(sizes) · χ².isf(alpha, dof): one constant ratio for every dof and alpha."""
    from scipy import stats

    def ratio(dof: int, alpha: float) -> float:
        cut = critical_value("js", dof=dof, n_live=300, n_ref=7_000, alpha=alpha)
        return cut / float(stats.chi2.isf(alpha, dof))

    assert ratio(dof, alpha) == pytest.approx(ratio(1, 0.05), rel=1e-10)


@SETTINGS
@given(
    dof=st.integers(1, 5_000),
    alpha=st.floats(1e-300, 0.999),
    n_live=st.integers(1, 10**7),
    n_ref=st.integers(1, 10**7),
)
def test_critical_psi_is_scipys_chi_square_quantile_times_the_inverse_sizes(
    dof: int, alpha: float, n_live: int, n_ref: int
) -> None:
    """psi ≈ X², so its critical value is χ².isf(alpha, dof)·(1/n + 1/N) to the last digits."""
    from scipy import stats

    expected = float(stats.chi2.isf(alpha, dof)) * (1 / n_live + 1 / n_ref)
    cut = critical_value("psi", dof=dof, n_live=n_live, n_ref=n_ref, alpha=alpha)
    assert math.isclose(cut, expected, rel_tol=1e-12)
