"""Thresholds → a status per (feature, metric), and dataset-level drift.

Threshold kinds sit behind a name → class registry so that new rules (a significance test, a
threshold calibrated on the reference at the live window's sample size) plug in without touching
the run orchestration. Every rule sees the two histograms, so it knows n_live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from driftwatch.config import ThresholdConfig
from driftwatch.engine import Histogram
from driftwatch.errors import ConfigError
from driftwatch.results import Status, Verdict

__all__ = [
    "EvaluationContext",
    "ThresholdRule",
    "dataset_drift",
    "evaluate",
    "grade",
    "register_threshold_kind",
    "threshold_kinds",
]


@dataclass(frozen=True)
class EvaluationContext:
    """What a rule may look at besides the metric's value."""

    feature: str
    metric: str
    reference: Histogram
    live: Histogram
    smoothing: float = 0.5


class ThresholdRule(Protocol):
    """Turns one metric value into ``ok``/``warn``/``critical``.

    ``evaluate`` receives the finite value, the merged threshold settings and the context; it
    returns a :class:`Verdict`. It must not raise for any finite non-negative value.
    """

    def evaluate(
        self, value: float, threshold: ThresholdConfig, context: EvaluationContext
    ) -> Verdict: ...


def grade(value: float, warn: float | None, critical: float | None) -> Status:
    """``critical`` when value ≥ critical, else ``warn`` when value ≥ warn, else ``ok``."""
    if critical is not None and value >= critical:
        return "critical"
    if warn is not None and value >= warn:
        return "warn"
    return "ok"


class ConstantThreshold:
    """Fixed magnitudes: ``critical`` when value ≥ critical, else ``warn`` when value ≥ warn."""

    def evaluate(
        self, value: float, threshold: ThresholdConfig, context: EvaluationContext
    ) -> Verdict:
        return Verdict(
            grade(value, threshold.warn, threshold.critical),
            threshold.warn,
            threshold.critical,
            "constant",
        )


_RULES: dict[str, Callable[[], ThresholdRule]] = {"constant": ConstantThreshold}


def register_threshold_kind(name: str, factory: Callable[[], ThresholdRule]) -> None:
    """Make ``kind: name`` available in configs."""
    _RULES[name] = factory


def threshold_kinds() -> tuple[str, ...]:
    return tuple(sorted(_RULES))


def evaluate(value: float, threshold: ThresholdConfig, context: EvaluationContext) -> Verdict:
    """The verdict of the rule ``threshold.kind`` on ``value``."""
    try:
        factory = _RULES[threshold.kind]
    except KeyError:
        raise ConfigError(
            f"feature {context.feature!r}, metric {context.metric!r}: unknown threshold kind "
            f"{threshold.kind!r}; choose one of: {', '.join(threshold_kinds())}"
        ) from None
    return factory().evaluate(value, threshold, context)


def dataset_drift(feature_statuses: Mapping[str, str], share: float) -> bool:
    """True when at least ``share`` of the evaluated features are at warn or worse."""
    graded = [s for s in feature_statuses.values() if s in ("ok", "warn", "critical")]
    if not graded:
        return False
    drifted = sum(1 for s in graded if s in ("warn", "critical"))
    return drifted / len(graded) >= share


# The statistical kinds live in their own module, which builds on the types above.
from driftwatch.thresholds import CalibratedThreshold, SignificanceThreshold  # noqa: E402

register_threshold_kind("significance", SignificanceThreshold)
register_threshold_kind("calibrated", CalibratedThreshold)
