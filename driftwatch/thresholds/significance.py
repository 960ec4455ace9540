"""The ``significance`` threshold kind (the default): significance AND effect size.

A fixed threshold on a divergence is wrong at both ends of the sample-size range: a small live
window makes noise look like drift, a large one makes real drift look small. A feature is
``warn``/``critical`` only when the G-test of homogeneity of the live and reference histograms
gives ``p < alpha`` (after the run's ``correction``) **and** the metric is at least its
``warn``/``critical`` magnitude. The test controls false alarms at every ``n``; the magnitude keeps
statistically significant but negligible drift quiet at large ``n``. Bins empty in the reference by
construction (numeric tails; ``__unseen__`` when ``__other__`` exists) are merged into a neighbour
for the test (:func:`g_test_table`). See ``benchmarks/README.md`` for the simulation behind the
defaults.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from driftwatch.engine.binning import CategoricalBins, NumericBins
from driftwatch.engine.stats import GTestResult, g_test
from driftwatch.results import Status, Verdict
from driftwatch.thresholds.base import (
    EvaluationContext,
    ThresholdSettings,
    format_number,
    grade,
    reference_hint,
)

__all__ = ["SignificanceThreshold", "g_test_table", "significance_status"]


def significance_status(value: float, p_value: float, threshold: ThresholdSettings) -> Status:
    """``ok`` unless ``p_value < alpha``; then graded by the magnitudes (``warn`` if none set)."""
    if p_value >= threshold.alpha:
        return "ok"
    if threshold.warn is None and threshold.critical is None:
        return "warn"
    return grade(value, threshold.warn, threshold.critical)


def _significance_note(
    value: float,
    p_value: float,
    status: str,
    threshold: ThresholdSettings,
    context: EvaluationContext,
) -> str:
    metric = context.metric
    if p_value >= threshold.alpha:
        return (
            f"not significant: p = {format_number(p_value)} ≥ alpha {threshold.alpha:g}"
            f"{reference_hint(context)}"
        )
    head = f"significant: p = {format_number(p_value)} < alpha {threshold.alpha:g}"
    if status == "ok":
        floor = threshold.warn if threshold.warn is not None else threshold.critical
        return (
            f"{head}, but {metric} {format_number(value)} is below the "
            f"{format_number(floor or 0.0)} magnitude that matters{reference_hint(context)}"
        )
    level = threshold.critical if status == "critical" else threshold.warn
    tail = (
        f" and {metric} {format_number(value)} ≥ {status} {format_number(level)}"
        if level is not None
        else ""
    )
    return f"{head}{tail}{reference_hint(context)}"


def g_test_table(context: EvaluationContext) -> tuple[np.ndarray, np.ndarray]:
    """The live and reference counts the G-test uses: the histograms, with the bins that are empty
    in the reference *by construction* merged into a neighbour.

    * A numeric feature's two tail bins go into the neighbouring edge bins: the edges span the
      reference's range, so a live value beyond it is always "all live" in its column, and a test
      treating that column as sampled is liberal (about 5 % false alarms at p < 0.01 when a tail is
      occupied, in ``benchmarks/stat_power.py``). Values far outside the range still move mass into
      the edge bins. With a single interior bin (a constant reference column) nothing is merged:
      any live value off that constant is then drift.
    * A categorical feature's ``__unseen__`` goes into ``__other__`` when the reference pooled rare
      categories there: in a high-cardinality feature, categories absent from the reference keep
      turning up in live data with no drift at all (every window flagged otherwise). Without
      ``__other__`` the reference kept all its categories and a new one stays a signal.

    The divergences, ``unseen_share`` and the stored histograms keep every bin as it is.
    """
    live = np.array(context.live.counts, dtype=np.int64)
    reference = np.array(context.reference.counts, dtype=np.int64)
    bins = context.reference.bins
    moves: list[tuple[int, int]] = []
    if isinstance(bins, NumericBins) and len(bins.edges) >= 3:  # at least two interior bins
        lower, upper = bins.tail_indices
        moves = [(lower, lower + 1), (upper, upper - 1)]
    elif isinstance(bins, CategoricalBins) and bins.other_index is not None:
        moves = [(bins.unseen_index, bins.other_index)]
    for source, target in moves:
        for counts in (live, reference):
            counts[target] += counts[source]
            counts[source] = 0
    return live, reference


@lru_cache(maxsize=1024)
def _g_test(
    live: bytes, reference: bytes, permutations: int, seed: int, min_expected: float
) -> GTestResult:
    """One test per histogram pair, shared by the metrics of a feature (same table, same p)."""
    return g_test(
        np.frombuffer(live, dtype=np.int64),
        np.frombuffer(reference, dtype=np.int64),
        permutations=permutations,
        seed=seed,
        min_expected=min_expected,
    )


class SignificanceThreshold:
    """Significance AND effect size: G-test ``p < alpha`` and the metric above its magnitude."""

    def evaluate(
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
    ) -> Verdict:
        live, reference = g_test_table(context)
        result = _g_test(
            live.tobytes(),
            reference.tobytes(),
            threshold.permutations,
            threshold.seed,
            threshold.min_expected,
        )
        status = significance_status(value, result.p_value, threshold)
        return Verdict(
            status,
            threshold.warn,
            threshold.critical,
            "significance",
            p_value=result.p_value,
            test=f"g-test:{result.method}",
            dof=result.dof,
            note=_significance_note(value, result.p_value, status, threshold, context),
        )
