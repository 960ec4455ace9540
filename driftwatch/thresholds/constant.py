"""The ``constant`` threshold kind: fixed magnitudes, blind to the sample size."""

from __future__ import annotations

from driftwatch.results import Verdict
from driftwatch.thresholds.base import EvaluationContext, ThresholdSettings, grade

__all__ = ["ConstantThreshold"]


class ConstantThreshold:
    """Fixed magnitudes: ``critical`` when value ≥ critical, else ``warn`` when value ≥ warn."""

    def evaluate(
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
    ) -> Verdict:
        return Verdict(
            grade(value, threshold.warn, threshold.critical),
            threshold.warn,
            threshold.critical,
            "constant",
            decision_threshold=threshold.warn if threshold.warn is not None else threshold.critical,
        )
