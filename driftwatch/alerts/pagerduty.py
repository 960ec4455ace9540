"""The ``pagerduty`` sink: PagerDuty Events API v2 (``POST /v2/enqueue``), trigger and resolve.

One event per (monitor, feature, metric) of a notification. Its ``dedup_key`` is stable for that
triple (``driftwatch:<monitor>:<feature>:<metric>``, hashed when longer than PagerDuty's 255
characters), so a repeat or an escalation updates the open incident, ``resolved`` resolves it, and
an outbox retry of the same event is de-duplicated by PagerDuty.

PagerDuty answers ``202 Accepted`` to an event it queued; 400 (an invalid event) is permanent, 429
(rate limited) and 5xx are retried by the outbox. The ``routing_key`` (integration key) comes from
the environment (``${VAR}`` in the config) and is never logged or shown in an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from driftwatch.alerts.base import HttpClientSlot, SinkOptions
from driftwatch.alerts.payload import AlertItem, Message, Payload, show_number
from driftwatch.config import PagerDutySinkConfig
from driftwatch.errors import redact_url

__all__ = ["PagerDutySink", "dedup_key", "pagerduty_events"]

SEVERITY = {"warn": "warning", "critical": "critical", "error": "error"}
SUMMARY_LIMIT = 1024  # PagerDuty truncates payload.summary at 1024 characters
DEDUP_LIMIT = 255


def dedup_key(monitor: str, feature: str, metric: str) -> str:
    """The stable PagerDuty ``dedup_key`` of one alert."""
    key = f"driftwatch:{monitor}:{feature}:{metric}"
    if len(key) <= DEDUP_LIMIT:
        return key
    return "driftwatch:" + hashlib.sha256(key.encode()).hexdigest()


def _links(links: Mapping[str, str]) -> list[dict[str, str]]:
    text = {"report_url": "driftwatch report", "dashboard_url": "dashboard"}
    return [{"href": links[name], "text": label} for name, label in text.items() if name in links]


def _trigger(payload: Payload, alert: AlertItem, source: str) -> dict[str, Any]:
    feature = "dataset drift" if alert["feature"] == "*" else f"feature {alert['feature']}"
    summary = (
        f"driftwatch: monitor {payload['monitor']}, {feature}: {alert['metric']} = "
        f"{show_number(alert.get('value'))} (threshold {show_number(alert.get('threshold'))}), "
        f"{alert['status']}"
    )
    window = payload.get("window") or {}
    details = {
        name: alert.get(name)
        for name in ("value", "unit", "threshold", "p_value", "n_live", "n_reference", "reason")
    }
    details.update({"window_start": window.get("start"), "window_end": window.get("end")})
    details["top_bins"] = list(alert.get("top_bins") or [])[:3]
    return {
        "summary": summary[:SUMMARY_LIMIT],
        "source": source,
        "severity": SEVERITY.get(
            str(alert.get("severity")), SEVERITY.get(str(alert["status"]), "info")
        ),
        "timestamp": payload.get("created_at"),
        "component": str(alert["feature"]),
        "group": str(payload["monitor"]),
        "class": str(alert["metric"]),
        "custom_details": details,
    }


def pagerduty_events(
    payload: Payload, *, routing_key: str, source: str, now: datetime
) -> list[dict[str, Any]]:
    """The Events API v2 bodies for a notification payload (one per alert it carries)."""
    event = str(payload.get("event"))
    if event == "test":
        key = f"driftwatch-test:{payload.get('sink')}"
        trigger = {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {
                "summary": str(payload.get("summary"))[:SUMMARY_LIMIT],
                "source": source,
                "severity": "info",
                "timestamp": now.isoformat(),
            },
        }
        return [trigger, {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key}]
    events: list[dict[str, Any]] = []
    for alert in payload.get("alerts") or []:
        body: dict[str, Any] = {
            "routing_key": routing_key,
            "event_action": "resolve" if event == "resolved" else "trigger",
            "dedup_key": dedup_key(
                str(payload["monitor"]), str(alert["feature"]), str(alert["metric"])
            ),
        }
        if event != "resolved":
            body["payload"] = _trigger(payload, alert, source)
            body["client"] = "driftwatch"
            links = _links(alert.get("links") or {})
            if links:
                body["links"] = links
                body["client_url"] = links[0]["href"]
        events.append(body)
    return events


class PagerDutySink:
    config_model: ClassVar[type[PagerDutySinkConfig]] = PagerDutySinkConfig
    digest: ClassVar[bool] = False

    def __init__(self, config: PagerDutySinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        self.clock = options.clock
        self.where = f"pagerduty sink {config.name!r} ({redact_url(config.url)})"
        self.http = HttpClientSlot(config.timeout, options.transport)

    def send(self, message: Message) -> None:
        events = pagerduty_events(
            message.payload,
            routing_key=self.config.routing_key,
            source=self.config.source,
            now=self.clock(),
        )
        headers = {"Content-Type": "application/json"}
        from driftwatch.alerts._http import post  # httpx only when a sink sends

        client = self.http.get()
        for event in events:
            post(client, self.config.url, json.dumps(event).encode(), headers, where=self.where)

    def close(self) -> None:
        self.http.close()
