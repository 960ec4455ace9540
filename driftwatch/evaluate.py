"""Scoring in one place: a feature's metric values and verdicts, the run's correction, drift.

:func:`score_feature` turns one feature's two histograms into a :class:`FeatureOutcome` (each
metric's value and its rule's verdict, the bins that moved most, the worst status) — or into an
``error``/``no_data`` outcome with the reason, when a problem was found upstream. :func:`correct`
applies the run's Benjamini-Hochberg correction across the features, :func:`dataset_drift` decides
whether the dataset as a whole drifted. The rules themselves live in :mod:`driftwatch.thresholds`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from driftwatch.config import FeatureSpec
from driftwatch.engine import Histogram, bin_contributions, get_metric
from driftwatch.errors import ConfigError
from driftwatch.results import FeatureOutcome, MetricOutcome, Problem, Status, Verdict, worst
from driftwatch.thresholds import (
    EvaluationContext,
    ThresholdSettings,
    adjust_verdicts,
    threshold_rule,
)

__all__ = ["correct", "dataset_drift", "decided_status", "evaluate", "score_feature"]

TOP_BINS = 5
"""How many of the bins that moved most a feature's explanation keeps."""


def evaluate(value: float, threshold: ThresholdSettings, context: EvaluationContext) -> Verdict:
    """The verdict of the rule ``threshold.kind`` on ``value``."""
    try:
        rule = threshold_rule(threshold.kind)
    except ConfigError as exc:
        raise ConfigError(
            f"feature {context.feature!r}, metric {context.metric!r}: {exc}"
        ) from None
    return rule.evaluate(value, threshold, context)


def score_feature(
    spec: FeatureSpec,
    reference: Histogram | Problem | None,
    live: Histogram | Problem | None,
    *,
    too_few: Problem | None = None,
) -> FeatureOutcome:
    """One feature's outcome from its reference and live histograms (or why there are none).

    A problem counting the live data comes first, then one fitting the reference, then
    ``too_few`` (the live window is below ``min_rows``), then a live window without rows; each
    makes every metric ``no_data``/``error`` with that reason. A window with rows whose feature is
    all missing is scored (its ``__missing__`` bin moved). The feature's status is the worst over
    its decision metrics (:func:`decided_status`).
    """
    ref_hist = reference if isinstance(reference, Histogram) else None
    live_hist = live if isinstance(live, Histogram) else None
    problem = _first_problem(live, reference, too_few, live_hist)
    if problem is not None or ref_hist is None or live_hist is None:
        return _unscored(spec, problem, ref_hist, live_hist)
    shared: dict[tuple[object, ...], object] = {}  # one drift test per feature, not per metric
    metrics = tuple(_score_metric(spec, name, ref_hist, live_hist, shared) for name in spec.metrics)
    explanation = tuple(
        bin_contributions(live_hist.counts, ref_hist.counts, ref_hist.labels, top=TOP_BINS)
    )
    return FeatureOutcome(
        name=spec.name,
        kind=spec.kind,
        status=decided_status(spec, metrics),
        metrics=metrics,
        reference=ref_hist,
        live=live_hist,
        explanation=explanation,
    )


def _first_problem(
    live: Histogram | Problem | None,
    reference: Histogram | Problem | None,
    too_few: Problem | None,
    live_hist: Histogram | None,
) -> Problem | None:
    for problem in (live, reference, too_few):
        if isinstance(problem, Problem):
            return problem
    if live_hist is not None and live_hist.n == 0:
        return Problem("no_data", "the live window has no rows")
    # A window with rows whose feature is all missing is scored: its __missing__ bin moved.
    return None


def decided_status(spec: FeatureSpec, metrics: Sequence[MetricOutcome]) -> Status:
    """The feature's status: the worst over its decision metrics (``decide_on``) only; the other
    metrics keep their own graded status but do not change the feature's verdict."""
    deciding = set(spec.decision_metrics)
    return worst(m.status for m in metrics if m.metric in deciding)


def _unscored(
    spec: FeatureSpec,
    problem: Problem | None,
    reference: Histogram | None,
    live: Histogram | None,
) -> FeatureOutcome:
    problem = problem or Problem("error", "no histogram could be computed")
    status, reason = problem.status, problem.reason
    return FeatureOutcome(
        name=spec.name,
        kind=spec.kind,
        status=status,
        metrics=tuple(
            MetricOutcome(m, None, get_metric(m).unit, status, reason=reason) for m in spec.metrics
        ),
        reference=reference,
        live=live,
        reason=reason,
    )


def _score_metric(
    spec: FeatureSpec,
    name: str,
    reference: Histogram,
    live: Histogram,
    shared: dict[tuple[object, ...], object],
) -> MetricOutcome:
    metric = get_metric(name)
    value = float(metric.compute(live.counts, reference.counts, spec.smoothing))
    smoothing = spec.smoothing if metric.smoothed else None
    if not math.isfinite(value):
        return MetricOutcome(
            name,
            None,
            metric.unit,
            "error",
            reason=f"{name} is not finite for these bins",
            smoothing=smoothing,
            log_base=metric.log_base,
        )
    context = EvaluationContext(
        feature=spec.name,
        metric=name,
        reference=reference,
        live=live,
        smoothing=spec.smoothing,
        shared=shared,
    )
    verdict = evaluate(value, spec.thresholds[name], context)
    return MetricOutcome(
        name,
        value,
        metric.unit,
        verdict.status,
        verdict,
        reason=verdict.note,
        smoothing=smoothing,
        log_base=metric.log_base,
    )


def correct(
    features: Sequence[FeatureOutcome], specs: Sequence[FeatureSpec]
) -> tuple[FeatureOutcome, ...]:
    """Benjamini-Hochberg across the run's features, one family per metric.

    Each ``significance`` verdict is re-decided on its adjusted p-value
    (:func:`driftwatch.thresholds.adjust_verdicts`); other verdicts are kept.
    """
    thresholds = {spec.name: spec.thresholds for spec in specs}
    specs_by = {spec.name: spec for spec in specs}
    metrics = {f.name: list(f.metrics) for f in features}
    changed: set[str] = set()
    for name in sorted({m.metric for f in features for m in f.metrics}):
        slots = [
            (feature, i, m.value, m.verdict)
            for feature, outcomes in metrics.items()
            for i, m in enumerate(outcomes)
            if m.metric == name and m.verdict is not None and m.value is not None
        ]
        entries = [(value, verdict, thresholds[f][name]) for f, _, value, verdict in slots]
        for (feature, i, _, _), adjusted in zip(slots, adjust_verdicts(entries), strict=True):
            if adjusted is not None:
                metrics[feature][i] = replace(
                    metrics[feature][i],
                    status=adjusted.verdict.status,
                    verdict=adjusted.verdict,
                    reason=adjusted.verdict.note,
                    p_value_adjusted=adjusted.p_value_adjusted,
                )
                changed.add(feature)
    return tuple(
        replace(
            f,
            metrics=tuple(metrics[f.name]),
            status=decided_status(specs_by[f.name], metrics[f.name]),
        )
        if f.name in changed
        else f
        for f in features
    )


def dataset_drift(features: Sequence[FeatureOutcome], share: float) -> bool:
    """True when at least ``share`` of the graded features are at warn or worse."""
    graded = [f.status for f in features if f.status in ("ok", "warn", "critical")]
    if not graded:
        return False
    drifted = sum(1 for s in graded if s in ("warn", "critical"))
    return drifted / len(graded) >= share
