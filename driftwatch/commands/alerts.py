"""``driftwatch alerts``: list alert states and the outbox, retry, silence, test, dispatch.

Listing only reads (the database must exist); the others write to an existing or brand-new
database like a run does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import pandas as pd

from driftwatch.alerts._apply import silences_frame
from driftwatch.alerts.outbox import DispatchReport, dispatch_pending, send_test
from driftwatch.alerts.payload import Message
from driftwatch.store.alerts import add_silence, alerts_frame, end_silences
from driftwatch.store.connect import (
    ConfigLike,
    as_config,
    database_of,
    open_readonly_store,
    open_store,
)
from driftwatch.store.models import Silence
from driftwatch.store.outbox import notifications_frame, retry_dead
from driftwatch.timeutil import Clock, system_clock

__all__ = [
    "ALERT_STATES",
    "AlertStateName",
    "AlertsListing",
    "RetryReport",
    "alerts_dispatch",
    "alerts_list",
    "alerts_retry",
    "alerts_silence",
    "alerts_test",
    "alerts_unsilence",
]

AlertStateName = Literal["firing", "pending", "no_data", "ok"]
ALERT_STATES: tuple[AlertStateName, ...] = ("firing", "pending", "no_data", "ok")
"""The lifecycle states an alert can be listed by."""


@dataclass(frozen=True)
class AlertsListing:
    """Alert states, the newest notifications and the active silences, as DataFrames."""

    database: str
    alerts: pd.DataFrame
    notifications: pd.DataFrame
    silences: pd.DataFrame

    @property
    def outbox_counts(self) -> dict[str, int]:
        """How many of the listed notifications are pending, sent and dead."""
        counts = self.notifications["status"].value_counts().to_dict()
        return {status: int(counts.get(status, 0)) for status in ("pending", "sent", "dead")}


@dataclass(frozen=True)
class RetryReport:
    """Dead notifications queued again, and what sending them right after did."""

    queued: int
    notifications: DispatchReport


def alerts_list(
    config: ConfigLike,
    *,
    database: str | None = None,
    state: AlertStateName | None = None,
    monitor: str | None = None,
    limit: int = 50,
    clock: Clock = system_clock,
) -> AlertsListing:
    """Alert states (all, or one state / monitor), the ``limit`` newest notifications, silences."""
    cfg = as_config(config)
    with open_readonly_store(database_of(cfg, database)) as store:
        return AlertsListing(
            store.url,
            alerts_frame(store, state=state, monitor=monitor),
            notifications_frame(store, monitor=monitor, limit=limit),
            silences_frame(store, cfg, clock=clock),
        )


def alerts_dispatch(
    config: ConfigLike, *, database: str | None = None, clock: Clock = system_clock
) -> DispatchReport:
    """Send the due pending notifications now (what ``driftwatch run`` does after a run)."""
    cfg = as_config(config)
    with open_store(cfg, database) as store:
        return dispatch_pending(store, cfg, clock=clock)


def alerts_retry(
    config: ConfigLike,
    *,
    database: str | None = None,
    ids: Sequence[int] = (),
    sink: str | None = None,
    clock: Clock = system_clock,
) -> RetryReport:
    """Queue dead notifications again (all, or these ids / this sink's) and send them now."""
    cfg = as_config(config)
    with open_store(cfg, database) as store:
        queued = retry_dead(store, ids=ids, sink=sink, clock=clock)
        return RetryReport(queued, dispatch_pending(store, cfg, clock=clock))


def alerts_silence(
    config: ConfigLike,
    monitor: str,
    duration: timedelta,
    *,
    feature: str | None = None,
    reason: str = "",
    database: str | None = None,
    clock: Clock = system_clock,
) -> Silence:
    """Mute a monitor's (or one feature's) notifications for ``duration``; states still update.

    Raises ConfigError for a monitor the config does not have (not a silent no-op).
    """
    cfg = as_config(config)
    cfg.monitor(monitor)
    with open_store(cfg, database) as store:
        return add_silence(store, monitor, duration, feature=feature, reason=reason, clock=clock)


def alerts_unsilence(
    config: ConfigLike,
    monitor: str,
    *,
    feature: str | None = None,
    database: str | None = None,
    clock: Clock = system_clock,
) -> int:
    """End the active silences of a monitor (or one feature) now; returns how many ended.

    Silences written in the config's ``alerts.silences`` end only by editing the file.
    """
    cfg = as_config(config)
    with open_store(cfg, database) as store:
        return end_silences(store, monitor, feature=feature, clock=clock)


def alerts_test(config: ConfigLike, sink: str, *, clock: Clock = system_clock) -> Message:
    """Send a test notification straight to one sink; DeliveryError when it fails."""
    return send_test(as_config(config), sink, clock=clock)
