"""From a run to observations: one per (feature, metric), plus the dataset-level one.

An :class:`Observation` is what the lifecycle (:func:`~driftwatch.alerts.decide`) and the payload
need of one (feature, metric) of a run: its status, the numbers behind it and the lifecycle
settings that apply. Pure: a config and a :class:`~driftwatch.results.RunOutcome` in, values out.

**One decision per feature.** Only the feature's decision metrics (``decide_on``) alert: a metric
that does not decide is observed as ``ok`` (its ``reason`` says why), so it never
fires, escalates or repeats, and an episode it opened under an earlier ``decide_on`` resolves. Its
value and status stay in the results, the report and the dashboards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftwatch.alerts.lifecycle import BREACHING, LifecycleSettings
from driftwatch.config import AlertsConfig, Config, MonitorConfig, resolve_features
from driftwatch.results import RunOutcome, Status, verdict_columns
from driftwatch.store.alerts import SilenceWindow

__all__ = [
    "DATASET_FEATURE",
    "DATASET_METRIC",
    "Observation",
    "config_silences",
    "is_silenced",
    "observations",
]

DATASET_FEATURE = "*"
DATASET_METRIC = "dataset_drift"


@dataclass(frozen=True)
class Observation:
    """One (feature, metric) of a run as the lifecycle and the payload need it."""

    feature: str
    metric: str
    status: Status
    settings: LifecycleSettings
    value: float | None = None
    unit: str | None = None
    warn: float | None = None
    critical: float | None = None
    threshold_kind: str | None = None
    p_value: float | None = None
    n_live: int | None = None
    n_reference: int | None = None
    reason: str | None = None
    top_bins: tuple[Mapping[str, Any], ...] = ()


def observations(config: Config, outcome: RunOutcome) -> list[Observation]:
    """Every (feature, metric) of ``outcome``, plus the dataset-level one when enabled."""
    monitor = config.monitor(outcome.monitor)
    alerts = config.alerts
    specs = {s.name: s for s in resolve_features(config, monitor)}
    result = []
    for feature in outcome.features:
        spec = specs.get(feature.name)
        for metric in feature.metrics:
            threshold = spec.thresholds.get(metric.metric) if spec else None
            columns = verdict_columns(metric.verdict)
            decides = spec is None or metric.metric in spec.decision_metrics
            result.append(
                Observation(
                    feature=feature.name,
                    metric=metric.metric,
                    status=metric.status if decides else "ok",
                    settings=LifecycleSettings(
                        for_=threshold.for_ if threshold else 1,
                        repeat_interval=alerts.repeat_interval,
                        notify_no_data=alerts.notify_no_data,
                    ),
                    value=metric.value,
                    unit=metric.unit,
                    warn=columns["warn_threshold"],
                    critical=columns["critical_threshold"],
                    threshold_kind=columns["threshold_kind"],
                    p_value=columns["p_value"],
                    n_live=feature.n_live,
                    n_reference=feature.n_reference,
                    reason=(metric.reason or feature.reason)
                    if decides
                    else _not_deciding(metric.metric, spec.decision_metrics if spec else ()),
                    top_bins=tuple(feature.explanation),
                )
            )
    if monitor.dataset_drift.enabled:
        result.append(_dataset_observation(monitor, outcome, alerts))
    return result


def _not_deciding(metric: str, deciding: tuple[str, ...]) -> str:
    listed = ", ".join(deciding)
    return f"{metric} is recorded but does not decide the feature (decide_on: {listed})"


def _dataset_observation(
    monitor: MonitorConfig, outcome: RunOutcome, alerts: AlertsConfig
) -> Observation:
    """The monitor-level alert: breaching when at least ``share`` of the features drift."""
    graded = [f for f in outcome.features if f.status in ("ok", *BREACHING)]
    drifted = [f for f in graded if f.status in BREACHING]
    share = len(drifted) / len(graded) if graded else None
    status: Status
    if share is None:
        status = "no_data"
    elif outcome.dataset_drift and drifted:
        status = "critical" if any(f.status == "critical" for f in drifted) else "warn"
    else:
        status = "ok"
    return Observation(
        feature=DATASET_FEATURE,
        metric=DATASET_METRIC,
        status=status,
        settings=LifecycleSettings(1, alerts.repeat_interval, alerts.notify_no_data),
        value=share,
        unit="share",
        warn=monitor.dataset_drift.share,
        threshold_kind="share",
        n_live=outcome.n_live,
        n_reference=outcome.n_reference,
        reason=f"{len(drifted)} of {len(graded)} features at warn or worse" if graded else None,
    )


def is_silenced(silences: Iterable[SilenceWindow], feature: str, now: datetime) -> bool:
    """True when a silence ``(feature or None, starts_at, ends_at)`` covers ``feature`` now.

    A silence without a feature mutes the whole monitor, the dataset-level alert included.
    """
    return any(
        starts <= now < ends and (muted is None or muted == feature)
        for muted, starts, ends in silences
    )


def config_silences(config: Config, monitor: str, now: datetime) -> list[SilenceWindow]:
    """The config file's ``alerts.silences`` of ``monitor``, as windows open since forever."""
    forever = datetime.min.replace(tzinfo=now.tzinfo)
    return [(s.feature, forever, s.until) for s in config.alerts.silences if s.monitor == monitor]
