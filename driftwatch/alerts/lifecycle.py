"""The alert lifecycle per (monitor, feature, metric): when to notify, and when to stay quiet.

Two halves:

* :func:`decide` is pure: previous :class:`AlertState` + the new status + now + settings →
  the next state and the event to notify (or none). Tests drive it directly with a fake clock.
* :func:`apply_run` runs inside the run's transaction (see :meth:`Store.save_run`): it reads the
  ``alerts`` rows of the monitor, applies :func:`decide` to every (feature, metric) of the run,
  writes the new states and queues the notifications in the ``notifications`` outbox, so a run's
  results and its notifications are committed together or not at all.

States: ``ok``; ``pending`` (breaching, but fewer than ``for`` consecutive windows); ``firing``;
``no_data`` (fewer than ``min_rows`` live rows, or the feature could not be computed).
Events: ``firing`` (first notification of an episode), ``escalated`` (warn → critical while
firing), ``repeat`` (still firing after ``repeat_interval``), ``resolved`` (back to ok after a
notified episode), ``no_data`` (entering no_data, only with ``alerts.notify_no_data``).

A *muted* alert (a silence, or dataset-level drift that replaces feature alerts) changes state but
sends no firing/escalated/repeat/no_data event; once unmuted, an episode that was never notified is
notified as ``firing``. A ``resolved`` is sent whenever the episode had been notified, muted or
not, so a receiver never keeps a stale open alert.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftwatch.alerts.payload import AlertEvent, build_notifications
from driftwatch.config import AlertsConfig, Config, MonitorConfig, resolve_features
from driftwatch.results import SEVERITY_ORDER
from driftwatch.store.models import Alert, Notification, Silence
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    from driftwatch.results import RunOutcome

__all__ = [
    "DATASET_FEATURE",
    "DATASET_METRIC",
    "AlertState",
    "Decision",
    "LifecycleSettings",
    "Observation",
    "add_silence",
    "alerts_frame",
    "apply_run",
    "decide",
    "end_silences",
    "is_silenced",
    "observations",
    "silences_frame",
]

log = logging.getLogger("driftwatch.alerts")

DATASET_FEATURE = "*"
DATASET_METRIC = "dataset_drift"
BREACHING = ("warn", "critical")


@dataclass(frozen=True)
class AlertState:
    """What the ``alerts`` table remembers of one (monitor, feature, metric)."""

    state: str = "ok"
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


@dataclass(frozen=True)
class LifecycleSettings:
    for_: int = 1
    repeat_interval: timedelta = timedelta(hours=24)
    notify_no_data: bool = False


@dataclass(frozen=True)
class Decision:
    state: AlertState
    event: str | None


def _rank(status: str | None) -> int:
    return SEVERITY_ORDER.get(status or "ok", 0)


def decide(
    previous: AlertState,
    status: str,
    now: datetime,
    settings: LifecycleSettings,
    *,
    muted: bool = False,
) -> Decision:
    """The next state of one alert given the new window's ``status`` and the event to notify.

    ``status`` is a result status: ``ok``, ``warn``, ``critical``, ``no_data`` or ``error``
    (treated as no_data: the value could not be judged).
    """
    if status in BREACHING:
        count = previous.breach_count + 1
        if not previous.episode_open:
            if count < settings.for_:
                return Decision(
                    replace(previous, state="pending", severity=None, breach_count=count), None
                )
            started = AlertState("firing", status, count, now, previous.last_notified_at)
            if muted:
                return Decision(started, None)
            return Decision(replace(started, last_notified_at=now), "firing")
        current = replace(previous, state="firing", severity=status, breach_count=count)
        if muted:
            return Decision(current, None)
        if _rank(status) > _rank(previous.severity):
            event: str | None = "escalated"
        elif not previous.notified_since_start():
            event = "firing"
        elif (
            previous.last_notified_at is not None
            and now - previous.last_notified_at >= settings.repeat_interval
        ):
            event = "repeat"
        else:
            event = None
        if event is not None:
            current = replace(current, last_notified_at=now)
        return Decision(current, event)

    if status == "ok":
        closed = AlertState("ok")
        if previous.last_notified_at is not None and previous.state != "ok":
            return Decision(closed, "resolved")
        return Decision(closed, None)

    # no_data / error
    if previous.state == "no_data":
        return Decision(previous, None)
    if previous.episode_open:
        entered = replace(previous, state="no_data")
    else:
        entered = AlertState("no_data", None, 0, now, previous.last_notified_at)
    if settings.notify_no_data and not muted:
        return Decision(replace(entered, last_notified_at=now), "no_data")
    return Decision(entered, None)


# --- from a run to observations -------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One (feature, metric) of a run as the lifecycle and the payload need it."""

    feature: str
    metric: str
    status: str
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
            verdict = metric.verdict
            result.append(
                Observation(
                    feature=feature.name,
                    metric=metric.metric,
                    status=metric.status,
                    settings=LifecycleSettings(
                        for_=threshold.for_ if threshold else 1,
                        repeat_interval=alerts.repeat_interval,
                        notify_no_data=alerts.notify_no_data,
                    ),
                    value=metric.value,
                    unit=metric.unit,
                    warn=verdict.warn if verdict else None,
                    critical=verdict.critical if verdict else None,
                    threshold_kind=verdict.kind if verdict else None,
                    p_value=verdict.p_value if verdict else None,
                    n_live=feature.n_live,
                    n_reference=feature.n_reference,
                    reason=metric.reason or feature.reason,
                    top_bins=tuple(feature.explanation),
                )
            )
    if monitor.dataset_drift.enabled:
        result.append(_dataset_observation(monitor, outcome, alerts))
    return result


def _dataset_observation(
    monitor: MonitorConfig, outcome: RunOutcome, alerts: AlertsConfig
) -> Observation:
    """The monitor-level alert: breaching when at least ``share`` of the features drift."""
    graded = [f for f in outcome.features if f.status in ("ok", *BREACHING)]
    drifted = [f for f in graded if f.status in BREACHING]
    share = len(drifted) / len(graded) if graded else None
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


# --- silences -------------------------------------------------------------------------------------


def is_silenced(
    silences: Iterable[tuple[str | None, datetime, datetime]], feature: str, now: datetime
) -> bool:
    """True when a silence ``(feature or None, starts_at, ends_at)`` covers ``feature`` now.

    A silence without a feature mutes the whole monitor, the dataset-level alert included.
    """
    return any(
        starts <= now < ends and (muted is None or muted == feature)
        for muted, starts, ends in silences
    )


def _silences(
    session: Session, config: Config, monitor: str, now: datetime
) -> list[tuple[str | None, datetime, datetime]]:
    rows = session.execute(
        sa.select(Silence.feature, Silence.starts_at, Silence.ends_at).where(
            Silence.monitor == monitor, Silence.ends_at > now
        )
    ).all()
    found: list[tuple[str | None, datetime, datetime]] = [(f, s, e) for f, s, e in rows]
    for silence in config.alerts.silences:
        if silence.monitor == monitor:
            found.append((silence.feature, datetime.min.replace(tzinfo=now.tzinfo), silence.until))
    return found


# --- applying a run to the database ---------------------------------------------------------------


def _state_of(row: Alert | None) -> AlertState:
    if row is None:
        return AlertState()
    return AlertState(row.state, row.severity, row.breach_count, row.since, row.last_notified_at)


def apply_run(
    session: Session,
    run_id: int,
    outcome: RunOutcome,
    config: Config,
    now: datetime,
) -> list[Notification]:
    """Advance every alert of ``outcome``'s monitor and queue its notifications (same session).

    A failed run, or a window older than one already applied (a backfill), leaves the lifecycle
    alone: the alert states follow the newest window only.
    """
    if outcome.status == "failed":
        return []
    monitor = config.monitor(outcome.monitor)
    rows = {
        (row.feature, row.metric): row
        for row in session.scalars(
            sa.select(Alert).where(Alert.monitor == outcome.monitor).with_for_update()
        )
    }
    newest = max((r.last_window_end for r in rows.values() if r.last_window_end), default=None)
    if newest is not None and outcome.window_end < newest:
        log.info(
            "monitor %s window %s is older than the alerts' latest window; lifecycle unchanged",
            outcome.monitor,
            outcome.window_label,
        )
        return []
    silences = _silences(session, config, outcome.monitor, now)
    found = observations(config, outcome)
    dataset = next((o for o in found if o.feature == DATASET_FEATURE), None)
    suppress_features = (
        dataset is not None
        and dataset.status in BREACHING
        and monitor.dataset_drift.suppress_feature_alerts
    )
    events: list[AlertEvent] = []
    for obs in found:
        row = rows.get((obs.feature, obs.metric))
        previous = _state_of(row)
        muted = (
            not monitor.alerts  # nobody to tell: an episode stays un-notified until a sink exists
            or is_silenced(silences, obs.feature, now)
            or (suppress_features and obs.feature != DATASET_FEATURE)
        )
        decision = decide(previous, obs.status, now, obs.settings, muted=muted)
        _write_state(session, row, outcome, run_id, obs, decision.state, now)
        if decision.event is not None:
            events.append(AlertEvent(obs, decision.event, previous.state, decision.state))
    if not events or not monitor.alerts:
        return []
    sinks = [config.sink(name) for name in monitor.alerts]
    notifications = build_notifications(
        events, outcome=outcome, run_id=run_id, sinks=sinks, now=now, context=found
    )
    _insert_new(session, notifications)
    return notifications


def _write_state(
    session: Session,
    row: Alert | None,
    outcome: RunOutcome,
    run_id: int,
    obs: Observation,
    state: AlertState,
    now: datetime,
) -> None:
    values: dict[str, Any] = {
        "state": state.state,
        "severity": state.severity,
        "breach_count": state.breach_count,
        "since": state.since,
        "last_notified_at": state.last_notified_at,
        "value": obs.value,
        "threshold": obs.critical if obs.status == "critical" else obs.warn,
        "last_run_id": run_id,
        "last_window_end": outcome.window_end,
        "updated_at": now,
    }
    if row is None:
        row = Alert(monitor=outcome.monitor, feature=obs.feature, metric=obs.metric, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)


def _insert_new(session: Session, notifications: Sequence[Notification]) -> None:
    """Queue the notifications; a key already in the outbox was queued before (a rerun): skip it."""
    keys = [n.idempotency_key for n in notifications]
    existing = set(
        session.scalars(
            sa.select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys))
        )
    )
    session.add_all(n for n in notifications if n.idempotency_key not in existing)


# --- reading and silencing (used by the CLI and the Python API) -----------------------------------

ALERT_COLUMNS = [
    "monitor", "feature", "metric", "state", "severity", "value", "threshold", "breach_count",
    "since", "last_notified_at", "last_window_end", "updated_at",
]  # fmt: skip


def alerts_frame(
    store: Store, *, state: str | None = None, monitor: str | None = None
) -> pd.DataFrame:
    """The lifecycle state of every alert (optionally one state / monitor), firing first."""
    query = sa.select(*(getattr(Alert, c) for c in ALERT_COLUMNS))
    if state is not None:
        query = query.where(Alert.state == state)
    if monitor is not None:
        query = query.where(Alert.monitor == monitor)
    with store.session() as session:
        rows = session.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=ALERT_COLUMNS)
    order = {"firing": 0, "pending": 1, "no_data": 2, "ok": 3}
    if frame.empty:
        return frame
    rank = frame["state"].map(order).fillna(4)
    index = frame.assign(_rank=rank).sort_values(["_rank", "monitor", "feature", "metric"]).index
    return frame.loc[index].reset_index(drop=True)


def add_silence(
    store: Store,
    monitor: str,
    duration: timedelta,
    *,
    feature: str | None = None,
    reason: str = "",
    clock: Clock = system_clock,
) -> Silence:
    """Mute a monitor's (or one feature's) notifications for ``duration`` from now."""
    now = clock()
    silence = Silence(
        monitor=monitor,
        feature=feature,
        starts_at=now,
        ends_at=now + duration,
        reason=reason,
        created_at=now,
    )
    with store.session() as session:
        session.add(silence)
        session.flush()
    return silence


def end_silences(
    store: Store, monitor: str, *, feature: str | None = None, clock: Clock = system_clock
) -> int:
    """End the active silences of ``monitor`` (only those of ``feature`` when given)."""
    now = clock()
    query = sa.update(Silence).where(Silence.monitor == monitor, Silence.ends_at > now)
    if feature is not None:
        query = query.where(Silence.feature == feature)
    with store.session() as session:
        result = session.execute(
            query.values(ends_at=now).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))


def silences_frame(store: Store, config: Config, *, clock: Clock = system_clock) -> pd.DataFrame:
    """Active silences: those in the database and those of the config's ``alerts.silences``."""
    now = clock()
    columns = ["id", "monitor", "feature", "ends_at", "reason", "source"]
    with store.session() as session:
        rows = session.execute(
            sa.select(
                Silence.id, Silence.monitor, Silence.feature, Silence.ends_at, Silence.reason
            ).where(Silence.starts_at <= now, Silence.ends_at > now)
        ).all()
    records: list[tuple[object, ...]] = [(*r, "database") for r in rows]
    records += [
        (None, s.monitor, s.feature, s.until, s.reason, "config")
        for s in config.alerts.silences
        if s.until > now
    ]
    return pd.DataFrame(records, columns=columns)
