"""The ``significance`` threshold kind (the default): significance AND a bias-corrected effect size.

A fixed threshold on a divergence is wrong at both ends of the sample-size range: a small live
window makes noise look like drift, a large one makes real drift look small. A feature is
``warn``/``critical`` only when :func:`~driftwatch.engine.drift_test` gives ``p < alpha`` (after
the run's ``correction``) **and** the metric's bias-corrected effect size
(:func:`~driftwatch.engine.debiased_value`: the plug-in value minus its no-drift expectation) is at
least its ``warn``/``critical`` magnitude.

The test sees every bin the divergences see: the interior G-test, an exact test of the live mass
beyond the reference's range (numeric tails) and a Good–Turing test of categories the reference
never had (``__unseen__``), combined by weighted Bonferroni so the false-alarm rate stays at most
``alpha``. The test controls false alarms at every ``n``; the magnitude keeps statistically
significant but negligible drift quiet at large ``n``; the bias correction keeps the magnitude from
losing power as ``n`` grows and from grading every small-window alarm severe. Each verdict also
records its **decision threshold**: the plug-in value at which the rule fires at this window's
``n`` (:func:`~driftwatch.engine.decision_threshold`). See ``benchmarks/README.md`` for the
simulation behind the defaults.
"""

from __future__ import annotations

import numpy as np

from driftwatch.engine.binning import CategoricalBins
from driftwatch.engine.drift_test import DriftTestResult, drift_test
from driftwatch.engine.effect import QUADRATIC_METRICS, debiased_value, decision_threshold
from driftwatch.results import Status, Verdict
from driftwatch.thresholds.base import (
    EvaluationContext,
    ThresholdSettings,
    format_number,
    grade,
    reference_hint,
)

__all__ = [
    "INTERIOR_WEIGHT",
    "SignificanceThreshold",
    "component_words",
    "effect_of",
    "significance_status",
]

INTERIOR_WEIGHT = 0.8
"""The interior G-test's share of ``alpha``; the tails or ``__unseen__`` share the rest."""

_WORDS = {
    "interior": "the distribution within the reference's range",
    "lower_tail": "values below the reference's minimum",
    "upper_tail": "values above the reference's maximum",
    "unseen": "categories the reference never had (unseen)",
    "reused": "live values the reference already had, though its own were all distinct",
}


def component_words(name: str, *, categorical: bool = False) -> str:
    """What a :func:`drift_test` component tested, in words."""
    if name == "interior" and categorical:
        return "the shares of the reference's categories"
    return _WORDS.get(name, name)


def significance_status(effect: float, p_value: float, threshold: ThresholdSettings) -> Status:
    """``ok`` unless ``p_value < alpha``; then ``effect`` graded by the magnitudes (``warn`` if
    none set)."""
    if p_value >= threshold.alpha:
        return "ok"
    if threshold.warn is None and threshold.critical is None:
        return "warn"
    return grade(effect, threshold.warn, threshold.critical)


def _used_bins(context: EvaluationContext) -> int:
    both = np.asarray(context.live.counts) + np.asarray(context.reference.counts)
    return max(int(np.count_nonzero(both)), 1)


def effect_of(metric: str, value: float, context: EvaluationContext) -> float:
    """The bias-corrected ``value`` (the plug-in value itself for metrics without a bias formula,
    such as ``tvd``)."""
    if metric not in QUADRATIC_METRICS:
        return value
    return debiased_value(
        metric, value, _used_bins(context), float(context.live.n), float(context.reference.n)
    )


def _threshold_at_n(
    metric: str, result: DriftTestResult, threshold: ThresholdSettings, context: EvaluationContext
) -> float | None:
    if metric not in QUADRATIC_METRICS or result.interior.dof < 1:
        return None  # tvd has no formula for its noise; one interior bin has no interior test
    magnitude = threshold.warn if threshold.warn is not None else threshold.critical
    return decision_threshold(
        metric,
        magnitude,
        k=_used_bins(context),
        dof=result.interior.dof,
        n_live=float(context.live.n),
        n_ref=float(context.reference.n),
        alpha=threshold.alpha * INTERIOR_WEIGHT,
        williams=result.interior.williams,
    )


def _note(
    value: float,
    effect: float,
    p_value: float,
    status: str,
    threshold: ThresholdSettings,
    context: EvaluationContext,
    decisive: str,
) -> str:
    metric = context.metric
    if p_value >= threshold.alpha:
        return (
            f"not significant: p = {format_number(p_value)} ≥ alpha {threshold.alpha:g}"
            f"{reference_hint(context)}"
        )
    head = (
        f"significant: p = {format_number(p_value)} < alpha {threshold.alpha:g}, "
        f"decided by {decisive}"
    )
    corrected = (
        f" (bias-corrected from {format_number(value)})"
        if metric in QUADRATIC_METRICS and effect != value
        else ""
    )
    if status == "ok":
        floor = threshold.warn if threshold.warn is not None else threshold.critical
        return (
            f"{head}, but {metric} {format_number(effect)}{corrected} is below the "
            f"{format_number(floor or 0.0)} magnitude that matters{reference_hint(context)}"
        )
    level = threshold.critical if status == "critical" else threshold.warn
    tail = (
        f"; {metric} {format_number(effect)}{corrected} ≥ {status} {format_number(level)}"
        if level is not None
        else ""
    )
    return f"{head}{tail}{reference_hint(context)}"


def _drift_test(threshold: ThresholdSettings, context: EvaluationContext) -> DriftTestResult:
    """One test per histogram pair, shared by the metrics of a feature (same table, same p)."""
    key = ("drift_test", threshold.permutations, threshold.seed, threshold.min_expected)
    cached = context.shared.get(key)
    if isinstance(cached, DriftTestResult):
        return cached
    result = drift_test(
        context.live,
        context.reference,
        interior_weight=INTERIOR_WEIGHT,
        permutations=threshold.permutations,
        seed=threshold.seed,
        min_expected=threshold.min_expected,
    )
    context.shared[key] = result
    return result


class SignificanceThreshold:
    """Significance AND effect size: drift-test ``p < alpha`` and the debiased metric above its
    magnitude."""

    def evaluate(
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
    ) -> Verdict:
        result = _drift_test(threshold, context)
        effect = effect_of(context.metric, value, context)
        status = significance_status(effect, result.p_value, threshold)
        categorical = isinstance(context.reference.bins, CategoricalBins)
        decisive = component_words(result.decisive.name, categorical=categorical)
        return Verdict(
            status,
            threshold.warn,
            threshold.critical,
            "significance",
            p_value=result.p_value,
            test=f"drift-test:{result.interior.method}",
            dof=result.interior.dof,
            note=_note(value, effect, result.p_value, status, threshold, context, decisive),
            decision_threshold=_threshold_at_n(context.metric, result, threshold, context),
            effect=effect,
        )
