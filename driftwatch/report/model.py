"""The report's page model: what each monitor's and each feature's section shows.

One page model, two builders, so a ``compare()`` result and the results database look the same:

* :func:`page_from_outcome` — a :class:`~driftwatch.results.RunOutcome` in memory (no history);
* :func:`page_from_store` — per monitor, the latest finished run's rows and histograms and every
  stored run's values as history, read through :mod:`driftwatch.store.queries` (read-only).

Shares, never counts: the reference and the live window differ in size, so bars of counts would
show the sizes, not the distributions. Every bin is kept, tails, ``__missing__``, ``__other__``
and ``__unseen__`` included, even when empty — an empty tail is the reassuring half of the story.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

import pandas as pd

from driftwatch.engine.divergences import bin_contributions
from driftwatch.results import DISPLAY_ORDER, FeatureOutcome, RunOutcome, verdict_columns
from driftwatch.store import queries
from driftwatch.store.repository import Store
from driftwatch.thresholds.correction import run_budget

__all__ = [
    "TOP_BINS",
    "FeatureView",
    "MetricView",
    "MonitorView",
    "Page",
    "Series",
    "page_from_outcome",
    "page_from_store",
]

TOP_BINS = 5
"""How many of the bins that moved most a feature's section lists (as the run's explanation)."""


@dataclass(frozen=True)
class MetricView:
    """One metric of a feature in the shown run: its value, verdict and the numbers behind it."""

    metric: str
    value: float | None
    unit: str
    status: str
    warn: float | None
    critical: float | None
    p_value: float | None
    decision_threshold: float | None
    reason: str | None
    threshold_kind: str | None = None


@dataclass(frozen=True)
class Series:
    """One metric of one feature over the stored runs, oldest window first (equal lengths)."""

    metric: str
    unit: str
    window_end: tuple[str, ...]
    value: tuple[float | None, ...]
    status: tuple[str, ...]
    warn: tuple[float | None, ...]
    critical: tuple[float | None, ...]
    decision_threshold: tuple[float | None, ...]


@dataclass(frozen=True)
class FeatureView:
    """One feature's section: the two histograms as shares, the decision and its reasons."""

    name: str
    kind: str
    status: str
    reason: str | None
    n_reference: int | None
    n_live: int | None
    missing_share: float | None
    unseen_share: float | None
    labels: tuple[str, ...]
    reference_shares: tuple[float, ...]
    live_shares: tuple[float, ...]
    metrics: tuple[MetricView, ...]
    moved: tuple[dict[str, Any], ...]
    """The bins that moved most: label, reference_share, live_share, contribution (js bits)."""
    history: Series | None = None

    @property
    def primary(self) -> MetricView | None:
        """The metric the overview sorts by and the history shows: js, else the first."""
        for metric in self.metrics:
            if metric.metric == "js":
                return metric
        return self.metrics[0] if self.metrics else None


@dataclass(frozen=True)
class MonitorView:
    """One monitor's part of the page: its shown run and its features, most severe first."""

    name: str
    window: str | None
    run_status: str | None
    run_id: int | None
    n_reference: int | None
    n_live: int | None
    dataset_drift: bool | None
    error: str | None
    features: tuple[FeatureView, ...]
    budget: str | None = None
    """The monitor's error budget in words: how often a window without drift may alert, under
    the correction the shown run was decided with (:func:`run_budget`)."""


@dataclass(frozen=True)
class Page:
    title: str
    source: str
    """What the page was made from, in words (a database URL with its password redacted)."""
    monitors: tuple[MonitorView, ...]


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _window_label(start: datetime, end: datetime) -> str:
    """``[start, end)`` in UTC minutes; a zero-width key is a run over the whole live data."""
    if start == end:
        return f"the whole live data, run at {start:%Y-%m-%d %H:%M} UTC"
    return f"[{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}) UTC"


def severity_key(feature: FeatureView) -> tuple[int, float, str]:
    """Most severe first (critical, warn, error, no_data, ok), then the larger divergence."""
    primary = feature.primary
    value = primary.value if primary is not None and primary.value is not None else -math.inf
    return (DISPLAY_ORDER.get(feature.status, len(DISPLAY_ORDER)), -value, feature.name)


def _budget(features: Sequence[FeatureView]) -> str | None:
    """The error budget of a shown run, from each feature's primary (deciding) verdict."""
    decisions = {
        f.name: (f.primary.threshold_kind, f.primary.reason) if f.primary else (None, None)
        for f in features
    }
    budget = run_budget(decisions)
    return budget.text if budget is not None else None


def _shares(counts: Sequence[int]) -> tuple[float, ...]:
    total = sum(counts)
    return tuple(c / total if total else 0.0 for c in counts)


# --- from a RunOutcome ----------------------------------------------------------------------------


def feature_from_outcome(feature: FeatureOutcome) -> FeatureView:
    """The section of one computed feature (histograms empty when it has none, e.g. an error)."""
    metrics = []
    for metric in feature.metrics:
        columns = verdict_columns(metric.verdict)
        metrics.append(
            MetricView(
                metric=metric.metric,
                value=_number(metric.value),
                unit=metric.unit,
                status=metric.status,
                warn=columns["warn_threshold"],
                critical=columns["critical_threshold"],
                p_value=columns["p_value"],
                decision_threshold=_number(columns["decision_threshold"]),
                reason=metric.reason or feature.reason,
                threshold_kind=columns["threshold_kind"],
            )
        )
    reference, live = feature.reference, feature.live
    labels = reference.labels if reference is not None else ()
    ref_counts = reference.counts.tolist() if reference is not None else []
    live_counts = live.counts.tolist() if live is not None else [0] * len(ref_counts)
    return FeatureView(
        name=feature.name,
        kind=feature.kind,
        status=feature.status,
        reason=feature.reason,
        n_reference=feature.n_reference,
        n_live=feature.n_live,
        missing_share=feature.missing_share,
        unseen_share=feature.unseen_share,
        labels=tuple(labels),
        reference_shares=_shares(ref_counts),
        live_shares=_shares(live_counts),
        metrics=tuple(metrics),
        moved=feature.explanation[:TOP_BINS],
    )


def monitor_from_outcome(outcome: RunOutcome) -> MonitorView:
    features = sorted((feature_from_outcome(f) for f in outcome.features), key=severity_key)
    return MonitorView(
        name=outcome.monitor,
        window=(
            _window_label(outcome.window.start, outcome.window.end)
            if outcome.window is not None
            else _window_label(outcome.started_at, outcome.started_at)
        ),
        run_status=outcome.status,
        run_id=outcome.run_id,
        n_reference=outcome.n_reference,
        n_live=outcome.n_live,
        dataset_drift=outcome.dataset_drift,
        error=outcome.error,
        features=tuple(features),
        budget=_budget(features),
    )


def page_from_outcome(outcome: RunOutcome, title: str | None = None) -> Page:
    return Page(
        title=title or f"driftwatch: {outcome.monitor}",
        source=f"run of {outcome.monitor!r}, computed {outcome.finished_at:%Y-%m-%d %H:%M} UTC",
        monitors=(monitor_from_outcome(outcome),),
    )


# --- from the results database --------------------------------------------------------------------


Record = dict[str, Any]


def _series(rows: list[Record], metric: str) -> Series | None:
    if not rows:
        return None
    return Series(
        metric=metric,
        unit=str(rows[-1]["unit"]),
        window_end=tuple(r["window_end"].isoformat() for r in rows),
        value=tuple(_number(r["value"]) for r in rows),
        status=tuple(str(r["status"]) for r in rows),
        warn=tuple(_number(r["warn_threshold"]) for r in rows),
        critical=tuple(_number(r["critical_threshold"]) for r in rows),
        decision_threshold=tuple(_number(r["decision_threshold"]) for r in rows),
    )


def _feature_status(statuses: Sequence[str]) -> str:
    """The most pressing of the metrics' statuses, in the report's order."""
    return min(statuses, key=lambda s: DISPLAY_ORDER.get(s, len(DISPLAY_ORDER)), default="no_data")


def _grouped(frame: pd.DataFrame, *keys: str) -> dict[tuple[Any, ...], list[Record]]:
    """The frame's rows as plain records, grouped by ``keys`` in their order of appearance.

    Plain dicts, not per-feature pandas masks: a 100-feature monitor would otherwise spend
    seconds in pandas indexing.
    """
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for record in cast(list[Record], frame.to_dict("records")):
        groups.setdefault(tuple(record[k] for k in keys), []).append(record)
    return groups


def _metric_view(row: Record, decision: float | None) -> MetricView:
    return MetricView(
        metric=str(row["metric"]),
        value=_number(row["value"]),
        unit=str(row["unit"]),
        status=str(row["status"]),
        warn=_number(row["warn_threshold"]),
        critical=_number(row["critical_threshold"]),
        p_value=_number(row["p_value"]),
        decision_threshold=decision,
        reason=_text(row["reason"]),
        threshold_kind=_text(row["threshold_kind"]),
    )


def _stored_feature(
    rows: list[Record],
    bins: list[Record],
    history: dict[tuple[Any, ...], list[Record]],
    run_id: int,
) -> FeatureView:
    name = str(rows[0]["feature"])
    decision = {}  # each metric's decision threshold in the shown run, when stored
    for row in rows:
        for point in history.get((name, row["metric"]), []):
            if point["run_id"] == run_id:
                decision[str(row["metric"])] = _number(point["decision_threshold"])
    metrics = tuple(
        _metric_view(r, decision.get(str(r["metric"])))
        for r in sorted(rows, key=lambda r: str(r["metric"]))
    )
    labels = tuple(str(b["label"]) for b in bins)
    ref_counts = [int(b["reference_count"]) for b in bins]
    live_counts = [int(b["live_count"]) for b in bins]
    moved = (
        tuple(bin_contributions(live_counts, ref_counts, labels, top=TOP_BINS))
        if sum(live_counts) and sum(ref_counts)
        else ()
    )
    first = rows[0]
    view = FeatureView(
        name=name,
        kind=str(first["kind"]),
        status=_feature_status([m.status for m in metrics]),
        reason=None,
        n_reference=_count(first["n_reference"]),
        n_live=_count(first["n_live"]),
        missing_share=_number(first["missing_share"]),
        unseen_share=_number(first["unseen_share"]),
        labels=labels,
        reference_shares=_shares(ref_counts),
        live_shares=_shares(live_counts),
        metrics=metrics,
        moved=moved,
    )
    primary = view.primary
    if primary is None:
        return view
    return replace(view, history=_series(history.get((name, primary.metric), []), primary.metric))


def _monitor_from_store(store: Store, name: str) -> MonitorView:
    latest = queries.latest(store, name)
    runs = queries.runs(store, name)
    if latest.empty:  # no finished run: say why when the newest run failed
        error = None if runs.empty else _text(runs["error"].iloc[0])
        return MonitorView(name, None, None, None, None, None, None, error, ())
    run_id = int(latest["run_id"].iloc[0])
    run = runs[runs["run_id"] == run_id].to_dict("records")
    bins = _grouped(queries.histograms(store, run_id), "feature")
    history = _grouped(queries.monitor_history(store, name), "feature", "metric")
    features = [
        _stored_feature(rows, bins.get(feature, []), history, run_id)
        for feature, rows in _grouped(latest, "feature").items()
    ]
    record = run[0] if run else None
    return MonitorView(
        name=name,
        window=_window_label(latest["window_start"].iloc[0], latest["window_end"].iloc[0]),
        run_status=str(record["status"]) if record is not None else None,
        run_id=run_id,
        n_reference=_count(record["n_reference"]) if record is not None else None,
        n_live=_count(record["n_live"]) if record is not None else None,
        dataset_drift=bool(record["dataset_drift"]) if record is not None else None,
        error=_text(record["error"]) if record is not None else None,
        features=tuple(sorted(features, key=severity_key)),
        budget=_budget(features),
    )


def page_from_store(store: Store, monitors: Sequence[str] | None = None) -> Page:
    """Every monitor with a stored run (or the named ones), each at its latest finished run."""
    if monitors:
        names = list(dict.fromkeys(monitors))
    else:
        known = queries.runs(store)
        names = sorted(set(known["monitor"])) if not known.empty else []
    return Page(
        title="driftwatch report",
        source=f"results database {store.url}",
        monitors=tuple(_monitor_from_store(store, name) for name in names),
    )
