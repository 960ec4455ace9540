"""The alert lifecycle per (monitor, feature, metric): when to notify, and when to stay quiet.

:func:`decide` is pure: previous :class:`AlertState` + the new status + now + settings → the next
state and the event to notify (or none). Tests drive it directly with a fake clock; applying it to
a run's rows is :func:`driftwatch.alerts.apply_run`'s job.

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

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from driftwatch.results import SEVERITY_ORDER, AlertState, Event, Status

__all__ = ["BREACHING", "AlertState", "Decision", "LifecycleSettings", "decide"]

BREACHING: tuple[Status, ...] = ("warn", "critical")


@dataclass(frozen=True)
class LifecycleSettings:
    for_: int = 1
    repeat_interval: timedelta = timedelta(hours=24)
    notify_no_data: bool = False


@dataclass(frozen=True)
class Decision:
    state: AlertState
    event: Event | None


def _rank(status: str | None) -> int:
    return SEVERITY_ORDER.get(status or "ok", 0)


def decide(
    previous: AlertState,
    status: Status,
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
            event: Event | None = "escalated"
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
