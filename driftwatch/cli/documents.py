"""The JSON documents of the CLI, built from the typed results of :mod:`driftwatch.api`.

The run document is described in the README ("Machine-readable output"); its ``schema`` field
names its version, bumped when a field changes meaning or goes away (new fields may appear).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftwatch.results import FeatureOutcome, MetricOutcome, RunOutcome, verdict_columns

if TYPE_CHECKING:
    from driftwatch.commands.run import RunReport
    from driftwatch.commands.status import StatusReport
    from driftwatch.scheduler.status import MonitorStatus

__all__ = [
    "RUN_SCHEMA",
    "feature_p_value",
    "run_document",
    "run_report_document",
    "status_document",
]

RUN_SCHEMA = "driftwatch.run/1"


def feature_p_value(feature: FeatureOutcome) -> float | None:
    """The feature's drift-test p-value (the same for every metric: one test over the bins)."""
    for metric in feature.metrics:
        if metric.verdict is not None and metric.verdict.p_value is not None:
            return metric.verdict.p_value
    return None


def _metric(metric: MetricOutcome) -> dict[str, Any]:
    verdict = metric.verdict
    columns = verdict_columns(verdict)
    return {
        "metric": metric.metric,
        "value": metric.value,
        "unit": metric.unit,
        "status": metric.status,
        "thresholds": None
        if verdict is None
        else {"kind": verdict.kind, "warn": verdict.warn, "critical": verdict.critical},
        "p_value": columns["p_value"],
        "p_value_adjusted": metric.p_value_adjusted,
        "test": columns["test"],
        "reason": metric.reason or (None if verdict is None else verdict.note),
    }


def _feature(feature: FeatureOutcome) -> dict[str, Any]:
    return {
        "name": feature.name,
        "kind": feature.kind,
        "status": feature.status,
        "reason": feature.reason,
        "n_reference": feature.n_reference,
        "n_live": feature.n_live,
        "missing_share": feature.missing_share,
        "unseen_share": feature.unseen_share,
        "p_value": feature_p_value(feature),
        "moved_most": [
            {
                "bin": str(item.get("label")),
                "reference_share": item.get("reference_share"),
                "live_share": item.get("live_share"),
            }
            for item in feature.explanation
        ],
        "metrics": [_metric(m) for m in feature.metrics],
    }


def run_document(outcome: RunOutcome, *, dataset_drift_enabled: bool) -> dict[str, Any]:
    """One run of one monitor (``--format json`` of ``run``: one per monitor)."""
    window = outcome.window
    return {
        "schema": RUN_SCHEMA,
        "monitor": outcome.monitor,
        "run_id": outcome.run_id,
        "trigger": outcome.trigger,
        "status": outcome.status,
        "error": outcome.error,
        "window": None if window is None else {"start": window.start, "end": window.end},
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "duration_s": outcome.duration_seconds,
        "rows": {"reference": outcome.n_reference, "live": outcome.n_live},
        "n_features": len(outcome.features),
        "n_drifted": outcome.n_drifted,
        "dataset_drift": outcome.dataset_drift if dataset_drift_enabled else None,
        "features": [_feature(f) for f in outcome.features],
    }


def run_report_document(done: RunReport) -> dict[str, Any]:
    """The whole of ``driftwatch run --format json``: every run, and what was sent."""
    sent = done.notifications
    return {
        "runs": [
            run_document(o, dataset_drift_enabled=o.monitor in done.dataset_drift_monitors)
            for o in done.outcomes
        ],
        "stored": done.stored,
        "notifications": None
        if sent is None
        else {"delivered": sent.delivered, "retried": sent.retried, "dead": sent.dead},
        "errors": list(done.errors),
    }


def _monitor_status(item: MonitorStatus) -> dict[str, Any]:
    last = item.last
    return {
        "monitor": item.monitor,
        "schedule": item.schedule,
        "job_state": item.job_state,
        "next_fire": item.next_fire,
        "last_run": None
        if last is None
        else {
            "status": last.status,
            "trigger": last.trigger,
            "window_end": last.window_end,
            "error": last.error,
        },
        "owed": item.owed,
        "beyond_catchup": item.beyond_catchup,
        "gaps": item.gaps,
        "alerts": [
            {"state": state, "severity": severity, "count": n}
            for (state, severity), n in sorted(item.alerts.items(), key=str)
        ],
    }


def status_document(state: StatusReport) -> dict[str, Any]:
    """``driftwatch status --format json``."""
    return {
        "database": state.database,
        "monitors": [_monitor_status(m) for m in state.monitors],
        "outbox": dict(state.outbox),
    }
