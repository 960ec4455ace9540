"""The default rule's decision, property by property: the drift test's p, the bias-corrected
effect, the decision threshold, the decisive component in words, and BH on the same effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftwatch.config import ThresholdConfig
from driftwatch.engine import (
    CategoricalBins,
    Histogram,
    debiased_value,
    drift_test,
    fit_numeric_bins,
    js_divergence,
)
from driftwatch.engine.effect import critical_value, null_bias
from driftwatch.evaluate import evaluate
from driftwatch.thresholds import EvaluationContext, adjust_verdicts, grade
from driftwatch.thresholds.significance import INTERIOR_WEIGHT

BINS = CategoricalBins(vocabulary=("a", "b", "c", "d"))
counts = st.lists(st.integers(0, 400), min_size=4, max_size=4).filter(lambda c: sum(c) > 0)


def _verdict(live: list[int], reference: list[int], **threshold: Any) -> tuple[float, Any]:
    live_h, ref_h = Histogram(BINS, [*live, 0, 0]), Histogram(BINS, [*reference, 0, 0])
    value = js_divergence(live_h.counts, ref_h.counts)
    context = EvaluationContext("x", "js", ref_h, live_h)
    return value, evaluate(value, ThresholdConfig(permutations=200, **threshold), context)


@settings(max_examples=60, deadline=None)
@given(live=counts, reference=counts)
def test_status_is_the_drift_test_then_the_debiased_effect_graded(
    live: list[int], reference: list[int]
) -> None:
    value, verdict = _verdict(live, reference, warn=0.0005, critical=0.04)
    live_h, ref_h = Histogram(BINS, [*live, 0, 0]), Histogram(BINS, [*reference, 0, 0])
    p = drift_test(live_h, ref_h, interior_weight=INTERIOR_WEIGHT, permutations=200).p_value
    k = int(np.count_nonzero(live_h.counts + ref_h.counts))
    effect = debiased_value("js", value, k, live_h.n, ref_h.n)
    assert verdict.p_value == p
    assert verdict.effect == pytest.approx(effect, abs=1e-15)
    assert 0.0 <= verdict.effect <= value
    expected = "ok" if p >= 0.01 else grade(effect, 0.0005, 0.04)
    assert verdict.status == expected


@settings(max_examples=60, deadline=None)
@given(live=counts, reference=counts)
def test_the_decision_threshold_is_the_larger_of_magnitude_plus_bias_and_the_critical_value(
    live: list[int], reference: list[int]
) -> None:
    _, verdict = _verdict(live, reference, warn=0.0005)
    if verdict.dof < 1:
        assert verdict.decision_threshold is None
        return
    live_h, ref_h = Histogram(BINS, [*live, 0, 0]), Histogram(BINS, [*reference, 0, 0])
    k = int(np.count_nonzero(live_h.counts + ref_h.counts))
    floor = 0.0005 + null_bias("js", k, live_h.n, ref_h.n)
    test = drift_test(live_h, ref_h, interior_weight=INTERIOR_WEIGHT, permutations=200)
    q = test.interior.williams
    cut = critical_value(
        "js", dof=verdict.dof, n_live=live_h.n, n_ref=ref_h.n, alpha=0.008, williams=q
    )
    assert verdict.decision_threshold == pytest.approx(max(floor, cut), rel=1e-12)


def test_the_decision_threshold_falls_with_n_towards_the_magnitude() -> None:
    thresholds = [
        _verdict([n // 4] * 4, [2_500] * 4, warn=0.0005)[1].decision_threshold
        for n in (200, 2_000, 20_000, 200_000)
    ]
    assert thresholds == sorted(thresholds, reverse=True)
    # at large n the magnitude (seen through the bias) is the line, not the test
    assert thresholds[-1] == pytest.approx(0.0005 + null_bias("js", 4, 200_000, 10_000))


@pytest.mark.parametrize(
    ("live", "words"),
    [
        pytest.param([900, 100, 0, 0], "the shares of the reference's categories", id="interior"),
        pytest.param([250, 250, 250, 250], None, id="not-significant"),
    ],
)
def test_the_note_names_the_decisive_component(live: list[int], words: str | None) -> None:
    _, verdict = _verdict(live, [2_500] * 4, warn=0.0005)
    if words is None:
        assert verdict.note.startswith("not significant")
    else:
        assert f"decided by {words}" in verdict.note


def _numeric(live_values: np.ndarray) -> tuple[float, Any]:
    rng = np.random.default_rng(0)
    reference_values = rng.normal(size=5_000)
    bins = fit_numeric_bins(reference_values, strategy="quantile", bins=10)
    ref_h, live_h = (
        Histogram(bins, bins.count(reference_values)),
        Histogram(bins, bins.count(live_values)),
    )
    value = js_divergence(live_h.counts, ref_h.counts)
    context = EvaluationContext("x", "js", ref_h, live_h)
    return value, evaluate(value, ThresholdConfig(), context)


@pytest.mark.parametrize(
    ("sentinel", "words"),
    [
        pytest.param(1e6, "values above the reference's maximum", id="upper"),
        pytest.param(-1e6, "values below the reference's minimum", id="lower"),
    ],
)
def test_a_sentinel_beyond_the_range_is_decided_by_its_tail(sentinel: float, words: str) -> None:
    live = np.random.default_rng(1).normal(size=1_000)
    live[:50] = sentinel
    _, verdict = _numeric(live)
    assert verdict.status != "ok"
    assert f"decided by {words}" in verdict.note


def test_bh_re_decides_on_the_same_bias_corrected_effect() -> None:
    value, verdict = _verdict([330, 250, 230, 190], [2_500] * 4, warn=0.0005, critical=0.04)
    threshold = ThresholdConfig(warn=0.0005, critical=0.04)
    (adjusted,) = adjust_verdicts([(value, verdict, threshold)])
    assert adjusted is not None
    assert adjusted.verdict.effect == verdict.effect
    assert adjusted.verdict.status == grade(verdict.effect, 0.0005, 0.04)
