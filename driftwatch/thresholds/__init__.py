"""Threshold rules: a metric value (and both histograms) → ``ok``/``warn``/``critical``.

One rule kind per module — :mod:`~driftwatch.thresholds.constant`,
:mod:`~driftwatch.thresholds.significance` (the default), :mod:`~driftwatch.thresholds.calibrated`
— behind the name → rule registry of :mod:`~driftwatch.thresholds.base`, and the run's
Benjamini-Hochberg correction in :mod:`~driftwatch.thresholds.correction`. The built-in kinds are
registered here, so importing any part of the package makes them available.
"""

from __future__ import annotations

from driftwatch.thresholds.base import (
    EvaluationContext,
    ThresholdRule,
    ThresholdSettings,
    grade,
    register_threshold_kind,
    threshold_kinds,
    threshold_rule,
)
from driftwatch.thresholds.calibrated import CalibratedThreshold, calibrated_cut, n_bucket
from driftwatch.thresholds.constant import ConstantThreshold
from driftwatch.thresholds.correction import AdjustedVerdict, adjust_verdicts
from driftwatch.thresholds.significance import SignificanceThreshold

__all__ = [
    "AdjustedVerdict",
    "CalibratedThreshold",
    "ConstantThreshold",
    "EvaluationContext",
    "SignificanceThreshold",
    "ThresholdRule",
    "ThresholdSettings",
    "adjust_verdicts",
    "calibrated_cut",
    "grade",
    "n_bucket",
    "register_threshold_kind",
    "threshold_kinds",
    "threshold_rule",
]

register_threshold_kind("constant", ConstantThreshold)
register_threshold_kind("significance", SignificanceThreshold)
register_threshold_kind("calibrated", CalibratedThreshold)
