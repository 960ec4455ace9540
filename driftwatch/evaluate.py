"""Scoring in one place: a feature's metric values and verdicts, the run's correction, drift.

:func:`score_feature` turns one feature's two histograms into a :class:`FeatureOutcome` (each
metric's value and its rule's verdict, the bins that moved most, the worst status) — or into an
``error``/``no_data`` outcome with the reason, when a problem was found upstream. :func:`correct`
applies the window's Benjamini-Hochberg correction (one p-value per feature),
:func:`dataset_drift` decides whether the dataset as a whole drifted. The rules themselves live
in :mod:`driftwatch.thresholds`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from driftwatch.config import FeatureSpec
from driftwatch.engine import Histogram, bin_contributions, get_metric
from driftwatch.engine.stats import MAX_RESAMPLES
from driftwatch.errors import ConfigError
from driftwatch.results import FeatureOutcome, MetricOutcome, Problem, Status, Verdict, worst
from driftwatch.thresholds import EvaluationContext, ThresholdSettings, threshold_rule
from driftwatch.thresholds.correction import Family, family_p_value

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
    """Benjamini-Hochberg over the window's family: one p-value per feature.

    A feature's member of the family is its decision p-value (:func:`family_p_value` of its
    ``decide_on`` metrics' verdicts: the drift test they share); features deciding by another
    rule, and those without data, are not in it. Every ``significance`` verdict of a member, the
    shown metrics' too, is re-decided on the member's adjusted p-value
    (:meth:`~driftwatch.thresholds.correction.Family.redecide`); other verdicts are kept. The
    dataset-drift share and ``for: N`` then count the corrected statuses.

    A permutation p-value is at least ``1/(permutations + 1)``, which the family's bar (``alpha
    / m`` for a lone drift among m features) may be below: a member significant on its own
    (``p < alpha``) whose p-value came from permutations and that the correction lifts to
    ``alpha`` or above is rescored once with :data:`~driftwatch.engine.stats.MAX_RESAMPLES`
    permutations (same seed, so the first draws are the same) before the family is adjusted
    (:func:`_refined`).
    """
    specs_by = {spec.name: spec for spec in specs}
    out = list(features)
    members = _members(out, specs_by)
    family = Family.of(p for _, p in members)
    refined = False
    for member, (i, _) in enumerate(members):
        rescored = _refined(out[i], specs_by[out[i].name], family.adjusted[member])
        if rescored is not None:
            out[i], refined = rescored, True
    if refined:
        members = _members(out, specs_by)
        family = Family.of(p for _, p in members)
    for member, (i, _) in enumerate(members):
        feature, spec = out[i], specs_by[out[i].name]
        metrics = list(feature.metrics)
        for j, m in enumerate(metrics):
            if m.verdict is None or m.value is None:
                continue
            adjusted = family.redecide(member, m.value, m.verdict, spec.thresholds[m.metric])
            if adjusted is not None:
                metrics[j] = replace(
                    m,
                    status=adjusted.verdict.status,
                    verdict=adjusted.verdict,
                    reason=adjusted.verdict.note,
                    p_value_adjusted=adjusted.p_value_adjusted,
                )
        out[i] = replace(feature, metrics=tuple(metrics), status=decided_status(spec, metrics))
    return tuple(out)


def _members(
    features: Sequence[FeatureOutcome], specs: dict[str, FeatureSpec]
) -> list[tuple[int, float]]:
    """(position, decision p-value) of each feature in the family."""
    members = []
    for i, feature in enumerate(features):
        deciding = set(specs[feature.name].decision_metrics)
        p = family_p_value(m.verdict for m in feature.metrics if m.metric in deciding)
        if p is not None:
            members.append((i, p))
    return members


def _refined(
    feature: FeatureOutcome, spec: FeatureSpec, p_adjusted: float
) -> FeatureOutcome | None:
    """``feature`` rescored with :data:`MAX_RESAMPLES` permutations when one of its deciding
    verdicts is a permutation p-value below ``alpha`` that the correction lifts to ``alpha`` or
    above (more draws can resolve a p-value below the family's bar); None otherwise.

    Valid as a two-stage Monte Carlo p-value: a p-value below the first stage's floor can only
    come from the second stage's draws, each a valid p-value on its own.
    """
    if feature.reference is None or feature.live is None:
        return None
    deciding = set(spec.decision_metrics)
    limited = any(
        m.verdict.kind == "significance"
        and m.verdict.test == "drift-test:permutation"
        and m.verdict.p_value is not None
        and m.verdict.p_value < spec.thresholds[m.metric].alpha <= p_adjusted
        and spec.thresholds[m.metric].permutations < MAX_RESAMPLES
        for m in feature.metrics
        if m.metric in deciding and m.verdict is not None
    )
    if not limited:
        return None
    more = {
        name: threshold.model_copy(update={"permutations": MAX_RESAMPLES})
        for name, threshold in spec.thresholds.items()
    }
    rescored = score_feature(replace(spec, thresholds=more), feature.reference, feature.live)
    return replace(rescored, metrics=tuple(_tagged(m) for m in rescored.metrics))


def _tagged(metric: MetricOutcome) -> MetricOutcome:
    """A rescored metric whose note says where its p-value came from."""
    verdict = metric.verdict
    if verdict is None or verdict.test != "drift-test:permutation":
        return metric
    note = f"{verdict.note} [p-value from {MAX_RESAMPLES:,} permutations]"
    return replace(metric, verdict=replace(verdict, note=note), reason=note)


def dataset_drift(features: Sequence[FeatureOutcome], share: float) -> bool:
    """True when at least ``share`` of the graded features are at warn or worse."""
    graded = [f.status for f in features if f.status in ("ok", "warn", "critical")]
    if not graded:
        return False
    drifted = sum(1 for s in graded if s in ("warn", "critical"))
    return drifted / len(graded) >= share
