"""Applying a run to the alerts: observe, decide, write the states, queue the notifications.

:func:`apply_run` runs inside the run's transaction (the store's ``save_run`` hook): it locks the
monitor's alert rows (:func:`driftwatch.store.alerts.lock_alerts`), applies the pure
:func:`~driftwatch.alerts.decide` to every (feature, metric) of the run, writes the new states and
queues the notifications in the outbox (:func:`driftwatch.store.outbox.queue`), so a run's results
and its notifications are committed together or not at all.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from driftwatch.alerts._observations import (
    DATASET_FEATURE,
    config_silences,
    is_silenced,
    observations,
)
from driftwatch.alerts._registry import sink_class
from driftwatch.alerts.lifecycle import BREACHING, decide
from driftwatch.alerts.payload import AlertEvent, build_notifications
from driftwatch.config import Config
from driftwatch.results import RunOutcome
from driftwatch.store.alerts import lock_alerts, silence_windows, silences_in_force
from driftwatch.store.outbox import NewNotification, queue
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session  # the run's transaction, opened and committed by the store

__all__ = ["apply_run", "silences_frame"]

log = logging.getLogger("driftwatch.alerts")


def apply_run(
    session: Session,
    run_id: int,
    outcome: RunOutcome,
    config: Config,
    now: datetime,
) -> list[NewNotification]:
    """Advance every alert of ``outcome``'s monitor and queue its notifications (same session).

    Returns the notifications queued. A failed run, or a window older than one already applied
    (a backfill), leaves the lifecycle alone: the alert states follow the newest window only.
    """
    if outcome.status == "failed":
        return []
    monitor = config.monitor(outcome.monitor)
    rows = lock_alerts(session, outcome.monitor)
    newest = rows.newest_window_end
    if newest is not None and outcome.window_end < newest:
        log.info(
            "monitor %s window %s is older than the alerts' latest window; lifecycle unchanged",
            outcome.monitor,
            outcome.window_label,
        )
        return []
    silences = silence_windows(session, outcome.monitor, now)
    silences += config_silences(config, outcome.monitor, now)
    found = observations(config, outcome)
    dataset = next((o for o in found if o.feature == DATASET_FEATURE), None)
    suppress_features = (
        dataset is not None
        and dataset.status in BREACHING
        and monitor.dataset_drift.suppress_feature_alerts
    )
    events: list[AlertEvent] = []
    for obs in found:
        previous = rows.state(obs.feature, obs.metric)
        muted = (
            not monitor.alerts  # nobody to tell: an episode stays un-notified until a sink exists
            or is_silenced(silences, obs.feature, now)
            or (suppress_features and obs.feature != DATASET_FEATURE)
        )
        decision = decide(previous, obs.status, now, obs.settings, muted=muted)
        rows.write(
            obs.feature,
            obs.metric,
            decision.state,
            value=obs.value,
            threshold=obs.critical if obs.status == "critical" else obs.warn,
            run_id=run_id,
            window_end=outcome.window_end,
            now=now,
        )
        if decision.event is not None:
            since = previous.since if decision.event == "resolved" else decision.state.since
            events.append(AlertEvent(obs, decision.event, previous.state, decision.state, since))
    if not events or not monitor.alerts:
        return []
    digest_by_sink = {name: sink_class(config.sink(name).type).digest for name in monitor.alerts}
    notifications = build_notifications(
        events,
        outcome=outcome,
        run_id=run_id,
        digest_by_sink=digest_by_sink,
        now=now,
        context=found,
        links=config.alerts.links,
    )
    return queue(session, notifications)


def silences_frame(store: Store, config: Config, *, clock: Clock = system_clock) -> pd.DataFrame:
    """Active silences: those in the database and those of the config's ``alerts.silences``."""
    now = clock()
    columns = ["id", "monitor", "feature", "ends_at", "reason", "source"]
    records: list[tuple[object, ...]] = [
        (*row, "database") for row in silences_in_force(store, now)
    ]
    records += [
        (None, s.monitor, s.feature, s.until, s.reason, "config")
        for s in config.alerts.silences
        if s.until > now
    ]
    import pandas as pd  # only to build the frame: the run path does not need pandas

    return pd.DataFrame(records, columns=columns)
