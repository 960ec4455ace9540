"""What every threshold rule shares: the protocol, its context, ``grade()`` and the kind registry.

The registry (name → rule factory) is the single source of truth for the ``kind`` names a config
accepts: :class:`driftwatch.config.ThresholdConfig` validates ``kind`` against it, so a kind added
with :func:`register_threshold_kind` is usable in configs at once. To keep that arrow one-way this
package never imports the config: a rule reads its settings through :class:`ThresholdSettings`,
which the config's ``ThresholdConfig`` satisfies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from driftwatch.engine import Histogram
from driftwatch.errors import ConfigError
from driftwatch.results import Status, Verdict

__all__ = [
    "EvaluationContext",
    "ThresholdRule",
    "ThresholdSettings",
    "format_number",
    "grade",
    "reference_hint",
    "register_threshold_kind",
    "threshold_kinds",
    "threshold_rule",
]


class ThresholdSettings(Protocol):
    """The merged threshold settings of one (feature, metric), as a rule reads them."""

    @property
    def kind(self) -> str: ...
    @property
    def warn(self) -> float | None: ...
    @property
    def critical(self) -> float | None: ...
    @property
    def alpha(self) -> float: ...
    @property
    def quantile(self) -> float: ...
    @property
    def permutations(self) -> int: ...
    @property
    def min_expected(self) -> float: ...
    @property
    def draws(self) -> int: ...
    @property
    def seed(self) -> int: ...


@dataclass(frozen=True)
class EvaluationContext:
    """What a rule may look at besides the metric's value (both histograms, so it knows n_live)."""

    feature: str
    metric: str
    reference: Histogram
    live: Histogram
    smoothing: float = 0.5
    shared: dict[tuple[object, ...], object] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Results the metrics of one feature share (the same dict in each of their contexts): a
    rule that tests the histogram pair computes the test once per feature, not once per metric."""


class ThresholdRule(Protocol):
    """Turns one metric value into ``ok``/``warn``/``critical``.

    ``evaluate`` receives the finite value, the merged threshold settings and the context; it
    returns a :class:`Verdict`. It must not raise for any finite non-negative value.
    """

    def evaluate(
        self, value: float, threshold: ThresholdSettings, context: EvaluationContext
    ) -> Verdict: ...


def grade(value: float, warn: float | None, critical: float | None) -> Status:
    """``critical`` when value ≥ critical, else ``warn`` when value ≥ warn, else ``ok``."""
    if critical is not None and value >= critical:
        return "critical"
    if warn is not None and value >= warn:
        return "warn"
    return "ok"


def format_number(x: float) -> str:
    """Three significant digits: how the rules' notes print values, cuts and p-values."""
    return f"{x:.3g}"


def reference_hint(context: EvaluationContext) -> str:
    """A note's tail when the live window outgrows the reference (whose noise then dominates)."""
    n_live, n_ref = context.live.n, context.reference.n
    if n_live <= n_ref:
        return ""
    return (
        f"; the live window ({n_live} rows) is larger than the reference ({n_ref} rows), so the "
        "reference's own sampling error limits what can be told apart: use a larger reference"
    )


_RULES: dict[str, Callable[[], ThresholdRule]] = {}


def register_threshold_kind(name: str, factory: Callable[[], ThresholdRule]) -> None:
    """Make ``kind: name`` available in configs (``factory()`` builds the rule per verdict)."""
    _RULES[name] = factory


def threshold_kinds() -> tuple[str, ...]:
    """The accepted ``kind`` names, sorted."""
    return tuple(sorted(_RULES))


def threshold_rule(kind: str) -> ThresholdRule:
    """The rule registered as ``kind``; a :class:`ConfigError` naming the accepted kinds if none."""
    try:
        factory = _RULES[kind]
    except KeyError:
        raise ConfigError(
            f"unknown threshold kind {kind!r}; choose one of: {', '.join(threshold_kinds())}"
        ) from None
    return factory()
