"""The values every stage passes on: statuses, verdicts, outcomes and the result frame.

This is the low layer: the engine's :class:`~driftwatch.engine.Histogram` and
:class:`~driftwatch.timeutil.TimeWindow` are all it uses from the package, so sources, thresholds,
the store, alerts, the scheduler and the CLI can all share these types without importing each
other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, get_args

import numpy as np

from driftwatch.engine import Histogram
from driftwatch.timeutil import TimeWindow

if TYPE_CHECKING:  # pandas is imported by the functions that build frames, not with the types
    import pandas as pd

__all__ = [
    "DISPLAY_ORDER",
    "RESULT_COLUMNS",
    "SEVERITY_ORDER",
    "AlertState",
    "Event",
    "FeatureOutcome",
    "MetricOutcome",
    "Problem",
    "ReferenceKind",
    "ReferenceUsed",
    "RunOutcome",
    "RunStatus",
    "State",
    "Status",
    "Trigger",
    "Verdict",
    "VerdictColumns",
    "results_frame",
    "sort_results",
    "verdict_columns",
    "worst",
]

Status = Literal["ok", "warn", "critical", "no_data", "error"]
"""A feature's or a metric's status: graded (ok/warn/critical), or why there is no grade."""

RunStatus = Literal["succeeded", "no_data", "failed"]
"""A run's status: ``no_data`` when the live window had too few rows for any verdict."""

Trigger = Literal["manual", "scheduled", "catchup", "backfill"]
"""What started a run."""

ReferenceKind = Literal["source", "rolling", "expanding", "previous", "span"]
"""Where a run's reference histogram came from: a data source (its stored profile), the monitor's
own stored windows (a dynamic reference), or an explicit span of them (``compare``)."""

STATUSES: tuple[Status, ...] = get_args(Status)

SEVERITY_ORDER: dict[str, int] = {"ok": 0, "no_data": 0, "error": 0, "warn": 1, "critical": 2}

DISPLAY_ORDER: dict[str, int] = {"critical": 0, "warn": 1, "error": 2, "no_data": 3, "ok": 4}
"""How tables and reports sort statuses: drift first, then problems, then the quiet ones."""


@dataclass(frozen=True)
class Verdict:
    """A rule's decision and the numbers it used, stored beside the value."""

    status: Status
    warn: float | None
    critical: float | None
    kind: str
    p_value: float | None = None
    test: str | None = None
    dof: int | None = None
    note: str | None = None
    decision_threshold: float | None = None
    """The metric's (plug-in) value at which the rule fires at this window's n; None if unknown."""
    effect: float | None = None
    """The bias-corrected effect size the magnitudes were compared with (not stored)."""


class VerdictColumns(TypedDict):
    """A verdict's stored numbers, named as the result columns; all None without a verdict."""

    threshold_kind: str | None
    warn_threshold: float | None
    critical_threshold: float | None
    decision_threshold: float | None
    p_value: float | None
    test: str | None
    dof: int | None


def verdict_columns(verdict: Verdict | None) -> VerdictColumns:
    """The columns of ``verdict`` (a metric's verdict is None when it has no value to grade)."""
    if verdict is None:
        return VerdictColumns(
            threshold_kind=None,
            warn_threshold=None,
            critical_threshold=None,
            decision_threshold=None,
            p_value=None,
            test=None,
            dof=None,
        )
    return VerdictColumns(
        threshold_kind=verdict.kind,
        warn_threshold=verdict.warn,
        critical_threshold=verdict.critical,
        decision_threshold=verdict.decision_threshold,
        p_value=verdict.p_value,
        test=verdict.test,
        dof=verdict.dof,
    )


@dataclass(frozen=True)
class Problem:
    """Why a feature has no grade: its status (``no_data`` or ``error``) and a reason in words."""

    status: Literal["no_data", "error"]
    reason: str


RESULT_COLUMNS = [
    "monitor",
    "window_start",
    "window_end",
    "feature",
    "kind",
    "metric",
    "value",
    "unit",
    "status",
    "threshold_kind",
    "warn_threshold",
    "critical_threshold",
    "decision_threshold",
    "p_value",
    "p_value_adjusted",
    "test",
    "dof",
    "n_reference",
    "n_live",
    "missing_share",
    "unseen_share",
    "reason",
]


@dataclass(frozen=True)
class MetricOutcome:
    metric: str
    value: float | None
    unit: str
    status: Status
    verdict: Verdict | None = None
    reason: str | None = None
    smoothing: float | None = None
    log_base: float | None = None
    p_value_adjusted: float | None = None


@dataclass(frozen=True)
class FeatureOutcome:
    """Everything computed for one feature: histograms, metric values, statuses, explanation."""

    name: str
    kind: str
    status: Status
    metrics: tuple[MetricOutcome, ...]
    reference: Histogram | None = None
    live: Histogram | None = None
    reason: str | None = None
    explanation: tuple[dict[str, Any], ...] = ()

    @property
    def n_reference(self) -> int | None:
        return self.reference.n if self.reference is not None else None

    @property
    def n_live(self) -> int | None:
        return self.live.n if self.live is not None else None

    @property
    def missing_share(self) -> float | None:
        return self.live.missing_share if self.live is not None and self.live.n else None

    @property
    def unseen_share(self) -> float | None:
        return self.live.unseen_share if self.live is not None and self.live.n else None


@dataclass(frozen=True)
class ReferenceUsed:
    """Which stored windows were summed into a run's reference histograms, and their rows.

    With the stored live counts of those windows (the ``window_histograms`` view) any stored
    value can be recomputed; an empty ``windows`` means the bootstrap source's profile was used.
    """

    kind: ReferenceKind
    windows: tuple[TimeWindow, ...] = ()
    n_rows: tuple[int, ...] = ()
    """The live rows of each window in ``windows``, in the same order."""

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"window_start": w.start.isoformat(), "window_end": w.end.isoformat(), "n_live": n}
            for w, n in zip(self.windows, self.n_rows, strict=True)
        ]


@dataclass(frozen=True)
class RunOutcome:
    """The result of one monitor over one window, before or after it is stored."""

    monitor: str
    window: TimeWindow | None
    """The live window the run covered; None for the whole live data."""
    status: RunStatus
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    features: tuple[FeatureOutcome, ...] = ()
    n_reference: int | None = None
    n_live: int | None = None
    dataset_drift: bool = False
    error: str | None = None
    trigger: Trigger = "manual"
    profile_id: int | None = None
    claimed_by: str | None = None
    run_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reference_used: ReferenceUsed | None = None
    """The stored windows a dynamic reference summed; None for a reference source."""

    @classmethod
    def failure(
        cls,
        monitor: str,
        window: TimeWindow | None,
        error: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        trigger: Trigger,
        claimed_by: str | None = None,
        duration_seconds: float | None = None,
    ) -> RunOutcome:
        """A ``failed`` run with its one-line ``error``; the duration defaults to the clock's."""
        if duration_seconds is None:
            duration_seconds = max(0.0, (finished_at - started_at).total_seconds())
        return cls(
            monitor=monitor,
            window=window,
            status="failed",
            started_at=started_at,
            finished_at=finished_at,
            duration_seconds=duration_seconds,
            error=error,
            trigger=trigger,
            claimed_by=claimed_by,
        )

    @property
    def window_start(self) -> datetime:
        """The start of the run's key: the window's, or ``started_at`` for a run without one.

        The one place where "no window" becomes a key: a zero-width ``[started_at, started_at)``,
        so each windowless run is a run of its own (stored, alerted on, listed) and never
        replaces another. The store, the alerts, the CLI and the scheduler all read these two.
        """
        return self.window.start if self.window is not None else self.started_at

    @property
    def window_end(self) -> datetime:
        """The end of the run's key (``started_at`` without a window, see :attr:`window_start`)."""
        return self.window.end if self.window is not None else self.started_at

    @property
    def window_label(self) -> str:
        return f"[{self.window_start.isoformat()}, {self.window_end.isoformat()})"

    @property
    def n_drifted(self) -> int:
        return sum(1 for f in self.features if f.status in ("warn", "critical"))

    def to_frame(self) -> pd.DataFrame:
        """One row per feature × metric, drifted features first (the CLI table's order)."""
        import pandas as pd

        rows = []
        for feature in self.features:
            for metric in feature.metrics:
                rows.append(
                    {
                        "monitor": self.monitor,
                        "window_start": self.window_start,
                        "window_end": self.window_end,
                        "feature": feature.name,
                        "kind": feature.kind,
                        "metric": metric.metric,
                        "value": metric.value,
                        "unit": metric.unit,
                        "status": metric.status,
                        **verdict_columns(metric.verdict),
                        "p_value_adjusted": metric.p_value_adjusted,
                        "n_reference": feature.n_reference,
                        "n_live": feature.n_live,
                        "missing_share": feature.missing_share,
                        "unseen_share": feature.unseen_share,
                        "reason": metric.reason or feature.reason,
                    }
                )
        frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
        return sort_results(frame)


def sort_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Most severe first; within a status, the larger divergence first."""
    import pandas as pd

    if frame.empty:
        return frame.reset_index(drop=True)
    rank = frame["status"].map(DISPLAY_ORDER).fillna(5)
    order = pd.DataFrame({"rank": rank, "value": -frame["value"].fillna(-np.inf)})
    index = order.sort_values(["rank", "value"], kind="stable").index
    return frame.loc[index].reset_index(drop=True)


def results_frame(outcomes: Iterable[RunOutcome]) -> pd.DataFrame:
    """All outcomes' rows in one DataFrame (empty with the right columns when there are none)."""
    import pandas as pd

    frames = [o.to_frame() for o in outcomes]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe of ``statuses`` (``ok`` for none); no_data/error rank with ok."""
    best: Status = "ok"
    for status in statuses:
        if SEVERITY_ORDER.get(status, 0) > SEVERITY_ORDER[best]:
            best = status
    return best


# --- the alert lifecycle's vocabulary (shared by the pure lifecycle and the store) ---------------

State = Literal["ok", "pending", "firing", "no_data"]
"""An alert's lifecycle state (the ``alerts.state`` column)."""

Event = Literal["firing", "escalated", "repeat", "resolved", "no_data", "test"]
"""What a notification announces (the ``notifications.event`` column)."""


@dataclass(frozen=True)
class AlertState:
    """What the ``alerts`` table remembers of one (monitor, feature, metric)."""

    state: State = "ok"
    severity: str | None = None
    breach_count: int = 0
    since: datetime | None = None
    last_notified_at: datetime | None = None

    @property
    def episode_open(self) -> bool:
        """Firing, or in no_data after firing: a later breach continues the same episode."""
        return self.state == "firing" or (self.state == "no_data" and self.severity is not None)

    def notified_since_start(self) -> bool:
        return self.last_notified_at is not None and (
            self.since is None or self.last_notified_at >= self.since
        )
