"""The ``calibrated`` threshold kind: the metric's own no-drift distribution at the live ``n``.

Both samples are resampled from the reference proportions (see
:func:`driftwatch.engine.stats.null_metric_samples`); a feature breaches when its value is above
the configured ``quantile`` of that distribution and at least the ``warn``/``critical`` magnitude.
Null distributions are cached in-process per (reference histogram, metric, smoothing, n bucket,
draws, seed): ``n`` is rounded *down* to a grid of ratio 2^(1/8) (≈ 9 % steps), which errs on the
side of a higher threshold.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from driftwatch.engine.binning import NumericBins
from driftwatch.engine.stats import null_metric_samples
from driftwatch.errors import EngineError
from driftwatch.results import Verdict
from driftwatch.thresholds.base import (
    EvaluationContext,
    ThresholdSettings,
    format_number,
    grade,
    reference_hint,
)

__all__ = ["CalibratedThreshold", "calibrated_cut", "n_bucket"]

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
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
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
            f"n≈{bucket} = {format_number(cut)} ({threshold.draws} bootstrap draws, "
            f"seed {threshold.seed})"
            f"{reference_hint(context)}"
        )
        return Verdict(
            status,
            warn,
            critical,
            "calibrated",
            p_value=p_value,
            test="null-bootstrap",
            note=note,
            decision_threshold=warn,
        )
