"""The alerts' rows: the lifecycle state of each (monitor, feature, metric), and silences.

:func:`lock_alerts` reads a monitor's alert rows ``FOR UPDATE`` inside the run's transaction, so two
runs of one monitor committing at the same time advance the lifecycle one after the other, never
from the same previous state. The lifecycle itself (what the next state is) is
:func:`driftwatch.alerts.decide`; this module only reads and writes what it decided.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftwatch.results import AlertState
from driftwatch.store.models import Alert, Silence
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ALERT_COLUMNS",
    "MonitorAlerts",
    "SilenceWindow",
    "add_silence",
    "alert_states",
    "alerts_frame",
    "end_silences",
    "lock_alerts",
    "silence_windows",
    "silences_in_force",
]

_STATE_ORDER: dict[str, int] = {"firing": 0, "pending": 1, "no_data": 2, "ok": 3}


SilenceWindow = tuple[str | None, datetime, datetime]
"""``(feature or None for the whole monitor, starts_at, ends_at)``."""


class MonitorAlerts:
    """The alert rows of one monitor, locked in the caller's transaction (:func:`lock_alerts`)."""

    def __init__(self, session: Session, monitor: str, rows: list[Alert]) -> None:
        self._session = session
        self._monitor = monitor
        self._rows = {(row.feature, row.metric): row for row in rows}

    @property
    def newest_window_end(self) -> datetime | None:
        """The newest window any of these alerts was advanced by (None before the first run)."""
        return max(
            (r.last_window_end for r in self._rows.values() if r.last_window_end), default=None
        )

    def state(self, feature: str, metric: str) -> AlertState:
        """The remembered state, or a fresh ``ok`` for an alert never seen before."""
        row = self._rows.get((feature, metric))
        if row is None:
            return AlertState()
        state: Any = row.state  # the table's CHECK constraint keeps it a State
        return AlertState(state, row.severity, row.breach_count, row.since, row.last_notified_at)

    def write(
        self,
        feature: str,
        metric: str,
        state: AlertState,
        *,
        value: float | None,
        threshold: float | None,
        run_id: int,
        window_end: datetime,
        now: datetime,
    ) -> None:
        """Store ``state`` with the value and threshold that led to it (insert or update)."""
        values: dict[str, Any] = {
            "state": state.state,
            "severity": state.severity,
            "breach_count": state.breach_count,
            "since": state.since,
            "last_notified_at": state.last_notified_at,
            "value": value,
            "threshold": threshold,
            "last_run_id": run_id,
            "last_window_end": window_end,
            "updated_at": now,
        }
        row = self._rows.get((feature, metric))
        if row is None:
            row = Alert(monitor=self._monitor, feature=feature, metric=metric, **values)
            self._session.add(row)
            self._rows[(feature, metric)] = row
        else:
            for key, item in values.items():
                setattr(row, key, item)


def lock_alerts(session: Session, monitor: str) -> MonitorAlerts:
    """Read (and lock until the transaction ends) every alert row of ``monitor``."""
    rows = session.scalars(sa.select(Alert).where(Alert.monitor == monitor).with_for_update()).all()
    return MonitorAlerts(session, monitor, list(rows))


def silence_windows(session: Session, monitor: str, now: datetime) -> list[SilenceWindow]:
    """The database silences of ``monitor`` that have not ended by ``now``."""
    rows = session.execute(
        sa.select(Silence.feature, Silence.starts_at, Silence.ends_at).where(
            Silence.monitor == monitor, Silence.ends_at > now
        )
    ).all()
    return [(feature, starts, ends) for feature, starts, ends in rows]


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
    import pandas as pd  # only to build the frame: the run path does not need pandas

    frame = pd.DataFrame([tuple(r) for r in rows], columns=ALERT_COLUMNS)
    if frame.empty:
        return frame
    rank = frame["state"].map(_STATE_ORDER).fillna(len(_STATE_ORDER))
    index = frame.assign(_rank=rank).sort_values(["_rank", "monitor", "feature", "metric"]).index
    return frame.loc[index].reset_index(drop=True)


def alert_states(store: Store, monitor: str) -> dict[tuple[str, str | None], int]:
    """How many (feature, metric) alerts of ``monitor`` are in each (state, severity)."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Alert.state, Alert.severity, sa.func.count())
            .where(Alert.monitor == monitor)
            .group_by(Alert.state, Alert.severity)
        ).all()
    return {(state, severity): int(count) for state, severity, count in rows}


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


def silences_in_force(
    store: Store, now: datetime
) -> list[tuple[int, str, str | None, datetime, str]]:
    """The database silences active at ``now``: ``(id, monitor, feature, ends_at, reason)``."""
    with store.session() as session:
        rows = session.execute(
            sa.select(
                Silence.id, Silence.monitor, Silence.feature, Silence.ends_at, Silence.reason
            ).where(Silence.starts_at <= now, Silence.ends_at > now)
        ).all()
    return [(i, m, f, e, r) for i, m, f, e, r in rows]
