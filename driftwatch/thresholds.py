"""The statistical threshold kinds: ``significance`` (the default) and ``calibrated``.

A fixed threshold on a divergence is wrong at both ends of the sample-size range: a small live
window makes noise look like drift, a large one makes real drift look small. Both rules here know
the live window's ``n`` and use only the two histograms (see ``benchmarks/README.md`` for the
simulation behind the defaults).

* ``significance`` — a feature is ``warn``/``critical`` only when the G-test of homogeneity of the
  live and reference histograms gives ``p < alpha`` (after the run's ``correction``) **and** the
  metric is at least its ``warn``/``critical`` magnitude. The test controls false alarms at every
  ``n``; the magnitude keeps statistically significant but negligible drift quiet at large ``n``.
  Bins empty in the reference by construction (numeric tails; ``__unseen__`` when ``__other__``
  exists) are merged into a neighbour for the test (:func:`g_test_table`).
* ``calibrated`` — the metric's own null distribution at the live window's ``n`` (both samples
  resampled from the reference proportions, see
  :func:`driftwatch.engine.stats.null_metric_samples`); a feature breaches when its value is above
  the configured ``quantile`` of that distribution and at least the ``warn``/``critical``
  magnitude. Null distributions are cached in-process per (reference histogram, metric, smoothing,
  n bucket, draws, seed): ``n`` is rounded *down* to a grid of ratio 2^(1/8) (≈ 9 % steps), which
  errs on the side of a higher threshold.

:mod:`driftwatch.evaluate` registers both kinds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from driftwatch.config import ThresholdConfig
from driftwatch.engine.binning import CategoricalBins, NumericBins
from driftwatch.engine.stats import GTestResult, benjamini_hochberg, g_test, null_metric_samples
from driftwatch.errors import EngineError
from driftwatch.evaluate import EvaluationContext, grade
from driftwatch.results import Status, Verdict

__all__ = [
    "AdjustedVerdict",
    "CalibratedThreshold",
    "SignificanceThreshold",
    "adjust_verdicts",
    "calibrated_cut",
    "g_test_table",
    "n_bucket",
    "significance_status",
]


def significance_status(value: float, p_value: float, threshold: ThresholdConfig) -> Status:
    """``ok`` unless ``p_value < alpha``; then graded by the magnitudes (``warn`` if none set)."""
    if p_value >= threshold.alpha:
        return "ok"
    if threshold.warn is None and threshold.critical is None:
        return "warn"
    return grade(value, threshold.warn, threshold.critical)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _reference_hint(context: EvaluationContext) -> str:
    n_live, n_ref = context.live.n, context.reference.n
    if n_live <= n_ref:
        return ""
    return (
        f"; the live window ({n_live} rows) is larger than the reference ({n_ref} rows), so the "
        "reference's own sampling error limits what can be told apart: use a larger reference"
    )


def _significance_note(
    value: float,
    p_value: float,
    status: str,
    threshold: ThresholdConfig,
    context: EvaluationContext,
) -> str:
    metric = context.metric
    if p_value >= threshold.alpha:
        return (
            f"not significant: p = {_fmt(p_value)} ≥ alpha {threshold.alpha:g}"
            f"{_reference_hint(context)}"
        )
    head = f"significant: p = {_fmt(p_value)} < alpha {threshold.alpha:g}"
    if status == "ok":
        floor = threshold.warn if threshold.warn is not None else threshold.critical
        return (
            f"{head}, but {metric} {_fmt(value)} is below the {_fmt(floor or 0.0)} magnitude that "
            f"matters{_reference_hint(context)}"
        )
    level = threshold.critical if status == "critical" else threshold.warn
    tail = f" and {metric} {_fmt(value)} ≥ {status} {_fmt(level)}" if level is not None else ""
    return f"{head}{tail}{_reference_hint(context)}"


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
        self, value: float, threshold: ThresholdConfig, context: EvaluationContext
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


_GRID = 8  # n buckets per doubling


def n_bucket(n: int) -> int:
    """``n`` rounded down to the grid 2^(j/8): windows of similar size share one calibration."""
    if n < 1:
        raise EngineError(f"the live sample size n must be >= 1, got {n}")
    bucket = int(2.0 ** (math.floor(_GRID * math.log2(n) + 1e-9) / _GRID))  # floor: > 0
    return max(1, min(bucket, n))


@lru_cache(maxsize=512)
def _null(
    counts: bytes,
    n: int,
    metric: str,
    smoothing: float,
    draws: int,
    seed: int,
    tails: tuple[int, ...],
) -> np.ndarray:
    reference = np.frombuffer(counts, dtype=np.int64)
    values = null_metric_samples(
        reference, n, metric, draws=draws, seed=seed, alpha=smoothing, structural_zeros=tails
    )
    values.flags.writeable = False
    return values


def calibrated_cut(
    reference_counts: np.ndarray,
    n: int,
    metric: str,
    *,
    quantile: float,
    draws: int,
    seed: int,
    smoothing: float,
    tails: tuple[int, ...] = (),
) -> tuple[float, np.ndarray, int]:
    """The ``quantile`` of ``metric``'s null distribution at ``n_bucket(n)``, the sorted null
    sample and the bucket.

    The cut is the ⌈quantile·(draws+1)⌉-th smallest draw (a value strictly above it has at most
    a ``1 − quantile`` chance under no drift, as for a permutation test); ``inf`` when ``draws``
    is too small for the quantile. ``tails`` are the bins empty in the reference by
    construction (see :func:`driftwatch.engine.stats.null_metric_samples`).
    """
    bucket = n_bucket(n)
    counts = np.ascontiguousarray(reference_counts, dtype=np.int64).tobytes()
    null = _null(counts, bucket, metric, float(smoothing), int(draws), int(seed), tuple(tails))
    rank = math.ceil(quantile * (draws + 1))
    cut = float(null[rank - 1]) if rank <= draws else math.inf
    return cut, null, bucket


def _tails(context: EvaluationContext) -> tuple[int, ...]:
    bins = context.reference.bins
    return tuple(bins.tail_indices) if isinstance(bins, NumericBins) else ()


class CalibratedThreshold:
    """The metric above its null ``quantile`` at the live window's ``n`` and above its magnitude."""

    def evaluate(
        self, value: float, threshold: ThresholdConfig, context: EvaluationContext
    ) -> Verdict:
        cut, null, bucket = calibrated_cut(
            context.reference.counts,
            context.live.n,
            context.metric,
            quantile=threshold.quantile,
            draws=threshold.draws,
            seed=threshold.seed,
            smoothing=context.smoothing,
            tails=_tails(context),
        )
        warn = max(cut, threshold.warn if threshold.warn is not None else 0.0)
        critical = max(cut, threshold.critical) if threshold.critical is not None else None
        status = grade(value, warn, critical) if value > cut else "ok"
        exceed = int(null.size - np.searchsorted(null, value * (1 - 1e-12), side="left"))
        p_value = (1 + exceed) / (null.size + 1)
        note = (
            f"calibrated: {threshold.quantile:g} quantile of {context.metric} with no drift at "
            f"n≈{bucket} = {_fmt(cut)} ({threshold.draws} bootstrap draws, seed {threshold.seed})"
            f"{_reference_hint(context)}"
        )
        return Verdict(
            status,
            warn,
            critical,
            "calibrated",
            p_value=p_value,
            test="null-bootstrap",
            note=note,
        )


@dataclass(frozen=True)
class AdjustedVerdict:
    """A verdict re-decided on its Benjamini-Hochberg adjusted p-value."""

    p_value_adjusted: float
    verdict: Verdict


def adjust_verdicts(
    entries: Sequence[tuple[float, Verdict, ThresholdConfig]],
) -> list[AdjustedVerdict | None]:
    """Benjamini-Hochberg across one metric's features of a run: new verdicts for the
    ``significance`` ones (status decided on the adjusted p-value), ``None`` for the others.

    ``entries`` holds, per feature, the metric's value, its verdict and its threshold settings.
    """
    family = [
        (i, verdict.p_value)
        for i, (_, verdict, _) in enumerate(entries)
        if verdict.kind == "significance" and verdict.p_value is not None
    ]
    out: list[AdjustedVerdict | None] = [None] * len(entries)
    if not family:
        return out
    adjusted = benjamini_hochberg([p for _, p in family])
    for (i, _), p_adj in zip(family, adjusted.tolist(), strict=True):
        value, verdict, threshold = entries[i]
        status = significance_status(value, p_adj, threshold)
        relation = "<" if p_adj < threshold.alpha else "≥"
        note = (
            f"Benjamini-Hochberg over {len(family)} features: adjusted p = {_fmt(p_adj)} "
            f"{relation} alpha {threshold.alpha:g} → {status}; before adjustment: {verdict.note}"
        )
        out[i] = AdjustedVerdict(p_adj, replace(verdict, status=status, note=note))
    return out
