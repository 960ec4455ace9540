"""The run's multiple-testing correction: Benjamini-Hochberg over one metric's features.

Only ``significance`` verdicts take part (they carry the drift test's combined p-value that the
correction is about); their status is re-decided on the adjusted p-value and the same
bias-corrected effect size, the other kinds are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from driftwatch.engine.stats import benjamini_hochberg
from driftwatch.results import Verdict
from driftwatch.thresholds.base import ThresholdSettings, format_number
from driftwatch.thresholds.significance import significance_status

__all__ = ["AdjustedVerdict", "adjust_verdicts"]


@dataclass(frozen=True)
class AdjustedVerdict:
    """A verdict re-decided on its Benjamini-Hochberg adjusted p-value."""

    p_value_adjusted: float
    verdict: Verdict


def adjust_verdicts(
    entries: Sequence[tuple[float, Verdict, ThresholdSettings]],
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
        effect = verdict.effect if verdict.effect is not None else value
        status = significance_status(effect, p_adj, threshold)
        relation = "<" if p_adj < threshold.alpha else "≥"
        note = (
            f"Benjamini-Hochberg over {len(family)} features: adjusted p = {format_number(p_adj)} "
            f"{relation} alpha {threshold.alpha:g} → {status}; before adjustment: {verdict.note}"
        )
        out[i] = AdjustedVerdict(p_adj, replace(verdict, status=status, note=note))
    return out
