"""The ``calibrated`` threshold kind: the metric's own no-drift distribution at the live ``n``.

Both samples are resampled from the reference proportions (see
:func:`driftwatch.engine.stats.null_metric_samples`); a feature breaches when its value is above
the configured ``quantile`` of that distribution and at least the ``warn``/``critical`` magnitude.
Bins empty in the reference by construction — a numeric feature's tails, a categorical feature's
``__unseen__`` — get the same no-drift law as the ``significance`` kind's tests
(:func:`driftwatch.engine.drift_test.empty_slot_laws`: Beta(1, N) beyond the reference's range,
the Good–Turing unseen mass), drawn afresh in every null draw.
Null distributions are cached in-process per (reference histogram, metric, smoothing, n bucket,
draws, seed): ``n`` is rounded *down* to a grid of ratio 2^(1/8) (≈ 9 % steps), which errs on the
side of a higher threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from driftwatch.engine.drift_test import empty_slot_laws
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
    empty_slots: tuple[tuple[int, float, float], ...],
) -> np.ndarray:
    reference = np.frombuffer(counts, dtype=np.int64)
    laws = {i: (a, b) for i, a, b in empty_slots}
    values = null_metric_samples(
        reference, n, metric, draws=draws, seed=seed, alpha=smoothing, empty_slots=laws
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
    empty_slots: Mapping[int, tuple[float, float]] | None = None,
) -> tuple[float, np.ndarray, int]:
    """The ``quantile`` of ``metric``'s null distribution at ``n_bucket(n)``, the sorted null
    sample and the bucket.

    The cut is the ⌈quantile·(draws+1)⌉-th smallest draw (a value strictly above it has at most
    a ``1 − quantile`` chance under no drift, as for a permutation test); ``inf`` when ``draws``
    is too small for the quantile. ``empty_slots`` are the bins empty in the reference by
    construction and their no-drift laws (:func:`driftwatch.engine.drift_test.empty_slot_laws`).
    """
    bucket = n_bucket(n)
    counts = np.ascontiguousarray(reference_counts, dtype=np.int64).tobytes()
    slots = tuple((int(i), float(a), float(b)) for i, (a, b) in sorted((empty_slots or {}).items()))
    null = _null(counts, bucket, metric, float(smoothing), int(draws), int(seed), slots)
    rank = math.ceil(quantile * (draws + 1))
    cut = float(null[rank - 1]) if rank <= draws else math.inf
    return cut, null, bucket


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
            empty_slots=empty_slot_laws(context.reference),
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
