"""Alerts: the lifecycle (firing / repeat / escalated / resolved), the outbox dispatcher, sinks.

    run → lifecycle.apply_run (in the run's transaction) → notifications outbox
        → outbox.dispatch_pending → a sink (log, webhook, slack, email)

See README "Alerts" for the config, the payload and how to verify webhook signatures.
"""

from driftwatch.alerts.base import Sink, SinkOptions, build_sink, register_sink, sink_types
from driftwatch.alerts.lifecycle import (
    AlertState,
    Decision,
    LifecycleSettings,
    add_silence,
    alerts_frame,
    apply_run,
    decide,
    end_silences,
    silences_frame,
)
from driftwatch.alerts.outbox import (
    DispatchReport,
    dispatch_pending,
    notifications_frame,
    retry_dead,
    send_test,
)
from driftwatch.alerts.payload import Message

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
    "sink_types",
]
