"""Alerts: the lifecycle (firing / repeat / escalated / resolved), the outbox dispatcher, sinks.

    run → apply_run (in the run's transaction): observations → decide → store.alerts rows
        + payload → store.outbox rows
    dispatch_pending → a sink (log, webhook, slack, email) → store.outbox settles the row

``decide`` is pure; every SQL statement is the store's (:mod:`driftwatch.store.alerts`,
:mod:`driftwatch.store.outbox`). See README "Alerts" for the config, the payload and how to verify
webhook signatures.
"""

from driftwatch.alerts._apply import apply_run, silences_frame
from driftwatch.alerts._registry import build_sink, register_sink, sink_class, sink_types
from driftwatch.alerts.base import Sink, SinkOptions
from driftwatch.alerts.lifecycle import AlertState, Decision, LifecycleSettings, decide
from driftwatch.alerts.outbox import DispatchReport, dispatch_pending, send_test
from driftwatch.alerts.payload import Message
from driftwatch.store.alerts import add_silence, alerts_frame, end_silences
from driftwatch.store.outbox import notifications_frame, retry_dead

__all__ = [
    "AlertState",
    "Decision",
    "DispatchReport",
    "LifecycleSettings",
    "Message",
    "Sink",
    "SinkOptions",
    "add_silence",
    "alerts_frame",
    "apply_run",
    "build_sink",
    "decide",
    "dispatch_pending",
    "end_silences",
    "notifications_frame",
    "register_sink",
    "retry_dead",
    "send_test",
    "silences_frame",
    "sink_class",
    "sink_types",
]
