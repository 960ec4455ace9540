"""The monitor's error budget: one multiple-testing family per window, Benjamini-Hochberg.

Per feature the ``significance`` rule keeps false alarms at ``alpha``, but a monitor alerts when
*any* of its features does: with ``correction: none`` and N independent quiet features a window
alerts somewhere with probability up to ``1 − (1 − alpha)^N`` (22 % at N = 25, 99.99 % at
N = 1,000). ``correction: bh`` (the default) adjusts the window's p-values by Benjamini-Hochberg
before they are compared with ``alpha``. With no drift at all every rejection is a false one, so
the false-discovery rate BH controls *is* the chance that the window alerts at all: at most
``alpha`` whatever N (for independent or positively dependent features, Benjamini & Yekutieli
2001). With some features drifting BH keeps more power than Holm, whose bar stays ``alpha/N``
for every first rejection; ``benchmarks/README.md`` measures both.

A **family** is a plain list of p-values, one per hypothesis of the window (:class:`Family`).
Today that is one per feature — its decision p-value, the drift test its metrics share
(:func:`family_p_value`); a later kind of test, e.g. per (feature, segment), joins the same list
and the same budget. Only ``significance`` verdicts take part; each is re-decided on its adjusted
p-value and the same bias-corrected effect size, the other kinds are left as they are.

:func:`alert_budget` says, before anything runs, what share of quiet windows a monitor's settings
let alert (shown by ``driftwatch validate`` and the HTML report).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from driftwatch.engine.stats import benjamini_hochberg
from driftwatch.results import Verdict
from driftwatch.thresholds.base import ThresholdSettings, format_number
from driftwatch.thresholds.significance import significance_status

__all__ = [
    "DEFAULT_CORRECTION",
    "AdjustedVerdict",
    "AlertBudget",
    "Correction",
    "Family",
    "adjust_verdicts",
    "alert_budget",
    "family_of_note",
    "family_p_value",
    "run_budget",
]

Correction = Literal["none", "bh"]
"""``bh``: Benjamini-Hochberg over the window's family; ``none``: each p-value on its own."""
DEFAULT_CORRECTION: Correction = "bh"

_NOTE_HEAD = "Benjamini-Hochberg over "
_NOTE = re.compile(r"Benjamini-Hochberg over ([\d,]+) features?: adjusted p = ")
_ALPHA = re.compile(r"\balpha ([0-9.eE+-]*[0-9])")


def _features(n: int) -> str:
    return f"{n:,} feature{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class AdjustedVerdict:
    """A verdict re-decided on its Benjamini-Hochberg adjusted p-value."""

    p_value_adjusted: float
    verdict: Verdict


@dataclass(frozen=True)
class Family:
    """One window's multiple-testing family: a list of p-values and their BH-adjusted values.

    Members are positions in the list; who they are (a feature, later a (feature, segment)) is
    the caller's business.
    """

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]

    @classmethod
    def of(cls, p_values: Iterable[float]) -> Family:
        raw = tuple(float(p) for p in p_values)
        return cls(raw, tuple(benjamini_hochberg(list(raw)).tolist()) if raw else ())

    def __len__(self) -> int:
        return len(self.p_values)

    def adjusted_for(self, member: int, p_value: float) -> float:
        """The adjusted p-value of ``member`` had its p-value been ``p_value``: its own adjusted
        value for its own p-value (a metric sharing the feature's drift test), else BH over the
        family with ``p_value`` in its place (a metric with its own test settings)."""
        if p_value == self.p_values[member]:
            return self.adjusted[member]
        swapped = list(self.p_values)
        swapped[member] = p_value
        return float(benjamini_hochberg(swapped)[member])

    def redecide(
        self, member: int, value: float, verdict: Verdict, threshold: ThresholdSettings
    ) -> AdjustedVerdict | None:
        """``verdict`` (of ``member``) decided on its adjusted p-value; None unless it is a
        ``significance`` verdict with a p-value.

        The note keeps the verdict's own words and appends ``Benjamini-Hochberg over N features:
        adjusted p = …``; when the adjustment changes the status it leads instead, followed by
        ``before adjustment:`` and the verdict's words."""
        if verdict.kind != "significance" or verdict.p_value is None:
            return None
        p_adj = self.adjusted_for(member, verdict.p_value)
        effect = verdict.effect if verdict.effect is not None else value
        status = significance_status(effect, p_adj, threshold)
        head = f"{_NOTE_HEAD}{_features(len(self))}: adjusted p = {format_number(p_adj)}"
        if status == verdict.status:  # the verdict's own note still says what decided it
            note = f"{verdict.note}; {head}"
        else:
            relation = "<" if p_adj < threshold.alpha else "≥"
            note = (
                f"{head} {relation} alpha {threshold.alpha:g} → {status}; before adjustment: "
                f"{verdict.note}"
            )
        return AdjustedVerdict(p_adj, replace(verdict, status=status, note=note))


def family_p_value(verdicts: Iterable[Verdict | None]) -> float | None:
    """A feature's one p-value in the family: the smallest of its decision metrics'
    ``significance`` verdicts (the drift test they share, so normally they are all equal);
    None when none of them decides by a p-value (``calibrated``, ``constant``, no data)."""
    found = [
        v.p_value
        for v in verdicts
        if v is not None and v.kind == "significance" and v.p_value is not None
    ]
    return min(found) if found else None


def adjust_verdicts(
    entries: Sequence[tuple[float, Verdict, ThresholdSettings]],
) -> list[AdjustedVerdict | None]:
    """Benjamini-Hochberg over a family given as entries, one per member: new verdicts for the
    ``significance`` ones (status decided on the adjusted p-value), ``None`` for the others.

    ``entries`` holds, per member, the metric's value, its verdict and its threshold settings.
    """
    members = [
        (i, verdict.p_value)
        for i, (_, verdict, _) in enumerate(entries)
        if verdict.kind == "significance" and verdict.p_value is not None
    ]
    out: list[AdjustedVerdict | None] = [None] * len(entries)
    family = Family.of(p for _, p in members)
    for member, (i, _) in enumerate(members):
        value, verdict, threshold = entries[i]
        out[i] = family.redecide(member, value, verdict, threshold)
    return out


def _alpha_of_note(note: str | None) -> float | None:
    match = _ALPHA.search(note or "")
    return float(match[1]) if match else None


def run_budget(decisions: Mapping[str, tuple[str | None, str | None]]) -> AlertBudget | None:
    """The budget a finished run was decided under, from each feature's deciding verdict:
    ``decisions`` maps a feature to its (threshold kind, note); a feature without a verdict (no
    data) has kind None. ``bh`` when a note says so (its family size and alpha), else ``none``
    over the ``significance`` features (alpha read from their notes). None when no feature was
    graded."""
    corrected = [f for f in (family_of_note(note) for _, note in decisions.values()) if f]
    graded = {name: d for name, d in decisions.items() if d[0] is not None}
    if not graded:
        return None
    if corrected:
        outside = tuple(name for name, (kind, _) in graded.items() if kind != "significance")
        size, alpha = max(n for n, _ in corrected), max(a for _, a in corrected)
        return AlertBudget("bh", size, alpha, alpha, outside)
    return alert_budget(
        "none", {name: [(str(kind), _alpha_of_note(note))] for name, (kind, note) in graded.items()}
    )


def family_of_note(note: str | None) -> tuple[int, float] | None:
    """(family size, alpha) from a verdict note written by :meth:`Family.redecide`; None for
    any other note (the report reads what a stored run was corrected over)."""
    match = _NOTE.search(note or "")
    alpha = _alpha_of_note(note)
    return (int(match[1].replace(",", "")), alpha) if match and alpha is not None else None


# --- the monitor's error budget ------------------------------------------------------------------


def _percent(share: float) -> str:
    value = 100.0 * share
    if value >= 99.95:
        return "100 %" if share >= 1.0 else "99.9 %"
    return f"{value:.0f} %" if value >= 10 else f"{value:.2g} %"


@dataclass(frozen=True)
class AlertBudget:
    """The share of no-drift windows in which a monitor may raise any feature alert.

    ``family`` features decide by a p-value (``significance``) at ``alpha`` (the largest when
    they differ); ``rate`` bounds the share of quiet windows in which one of them alerts:
    ``alpha`` with ``bh``, ``1 − Π(1 − alpha_i)`` with ``none`` (independent features; positively
    dependent ones alert together, so less). ``outside`` are the features that decide by another
    rule (``calibrated``, ``constant``): not in the family, their false alarms come on top.
    ``for: N`` and the magnitudes only make alerts rarer.
    """

    correction: Correction
    family: int
    alpha: float | None
    rate: float
    outside: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """One line, e.g. ``quiet windows alert ≤ 1 % (Benjamini-Hochberg over 25 features at
        alpha 0.01)``."""
        outside = (
            f"; not counted: {_features(len(self.outside))} deciding by another rule "
            f"({', '.join(self.outside[:5])}{', …' if len(self.outside) > 5 else ''})"
            if self.outside
            else ""
        )
        if self.alpha is None:
            return f"no feature decides by a p-value: no alert budget{outside}"
        if self.family == 1:
            return (
                f"quiet windows alert ≤ {_percent(self.rate)} (1 feature at alpha "
                f"{self.alpha:g}){outside}"
            )
        if self.correction == "bh":
            return (
                f"quiet windows alert ≤ {_percent(self.rate)} (Benjamini-Hochberg over "
                f"{_features(self.family)} at alpha {self.alpha:g}){outside}"
            )
        same = math.isclose(self.rate, -math.expm1(self.family * math.log1p(-self.alpha)))
        formula = f"1 − (1 − {self.alpha:g})^{self.family}" if same else "1 − Π(1 − alpha)"
        return (
            f"quiet windows alert up to {formula} ≈ {_percent(self.rate)} (no correction over "
            f"{_features(self.family)}; correction: bh keeps it ≤ {_percent(self.alpha)}){outside}"
        )

    def document(self) -> dict[str, Any]:
        """The budget as JSON: ``quiet_window_alert_rate`` is the bound, a share (0.01 = 1 %)."""
        return {
            "correction": self.correction,
            "family": self.family,
            "alpha": self.alpha,
            "quiet_window_alert_rate": self.rate,
            "outside": list(self.outside),
            "text": self.text,
        }


def alert_budget(
    correction: Correction, decisions: Mapping[str, Sequence[tuple[str, float | None]]]
) -> AlertBudget:
    """The monitor's budget from each feature's decision rules: ``decisions`` maps a feature to
    the (kind, alpha) of each metric that decides it (alpha None when unknown)."""
    alphas: list[float] = []
    outside: list[str] = []
    for feature, rules in decisions.items():
        found = [a for kind, a in rules if kind == "significance" and a is not None]
        if found:
            alphas.append(max(found))
        else:
            outside.append(feature)
    if not alphas:
        return AlertBudget(correction, 0, None, 0.0, tuple(outside))
    if correction == "bh" or len(alphas) == 1:
        rate = max(alphas)
    else:
        rate = -math.expm1(math.fsum(math.log1p(-a) for a in alphas))
    return AlertBudget(correction, len(alphas), max(alphas), rate, tuple(outside))
