"""The ``alertmanager`` sink: alerts POSTed to Alertmanager's API v2 (``{url}/api/v2/alerts``).

Alertmanager then does what a team already configured: routing, grouping, inhibition, silences.

One Alertmanager alert per (monitor, feature, metric) of a notification, with the labels
``alertname``, ``monitor``, ``feature``, ``metric`` and ``severity`` (``warning`` or
``critical``; ``info`` for no_data) and the annotations ``summary``, ``description`` and, when
``alerts.links`` is set, ``report_url`` and ``dashboard_url``. Alertmanager identifies an alert
by its label set, so ``metric`` being a label makes one alert per feature × metric; route with
``group_by: [monitor, feature]`` to get one notification per feature.

Because ``severity`` is a label, an escalated alert (warning → critical) is a new label set: each
POST therefore also resolves (``endsAt`` = now) the same alert under the *other* severity, and a
``resolved`` notification resolves both, so no stale warning outlives its escalation or its end.

A firing alert carries ``endsAt`` = send time + ``ends_after``: Alertmanager resolves it by itself
once that passes, and driftwatch re-sends it (``repeat``) every ``alerts.repeat_interval``; config
loading checks ``ends_after`` > ``repeat_interval`` (see
:class:`~driftwatch.config.AlertmanagerSinkConfig`). Re-sending the same label set is what
Alertmanager expects (it merges by fingerprint), so an outbox retry is harmless.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, ClassVar

from driftwatch.alerts.base import HttpClientSlot, SinkOptions
from driftwatch.alerts.payload import AlertItem, Message, Payload, show_number
from driftwatch.config import AlertmanagerSinkConfig
from driftwatch.errors import redact_url

__all__ = ["AlertmanagerSink", "alertmanager_alerts"]

SEVERITY_LABEL = {"warn": "warning", "critical": "critical"}
TEST_ENDS_AFTER = timedelta(minutes=5)


def _parse(moment: Any) -> datetime | None:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else None


def _annotations(payload: Payload, alert: AlertItem) -> dict[str, str]:
    feature = "dataset drift" if alert["feature"] == "*" else f"feature {alert['feature']}"
    threshold = alert.get("threshold")
    limit = f" (threshold {show_number(threshold)})" if threshold is not None else ""
    summary = (
        f"monitor {payload['monitor']}, {feature}: {alert['metric']} = "
        f"{show_number(alert.get('value'))}{limit}, {alert['status']}"
    )
    window = payload.get("window") or {}
    parts = [
        f"Window {window.get('start')} to {window.get('end')}, n_live {alert.get('n_live')}, "
        f"n_reference {alert.get('n_reference')}."
    ]
    if alert.get("p_value") is not None:
        parts.append(f"p-value {show_number(alert['p_value'])}.")
    bins = alert.get("top_bins") or []
    if bins:
        top = bins[0]
        parts.append(
            f"Moved most: {top['label']} {100 * top['reference_share']:.1f}% -> "
            f"{100 * top['live_share']:.1f}%."
        )
    if alert.get("reason"):
        parts.append(str(alert["reason"]))
    annotations = {"summary": summary, "description": " ".join(parts)}
    links = alert.get("links") or {}
    annotations.update(
        {name: links[name] for name in ("report_url", "dashboard_url") if name in links}
    )
    return annotations


def alertmanager_alerts(
    payload: Payload, *, alertname: str, now: datetime, ends_after: timedelta
) -> list[dict[str, Any]]:
    """The API v2 body (a list of postable alerts) for a notification payload sent at ``now``."""
    event = str(payload.get("event"))
    if event == "test":
        return [
            {
                "labels": {"alertname": f"{alertname}Test", "sink": str(payload.get("sink"))},
                "annotations": {"summary": str(payload.get("summary"))},
                "startsAt": now.isoformat(),
                "endsAt": (now + TEST_ENDS_AFTER).isoformat(),
            }
        ]
    created = _parse(payload.get("created_at")) or now
    body: list[dict[str, Any]] = []
    for alert in payload.get("alerts") or []:
        status = str(alert["status"])
        current = (
            None
            if event == "resolved"
            else SEVERITY_LABEL.get(str(alert.get("severity")), SEVERITY_LABEL.get(status, "info"))
        )
        starts = _parse(alert.get("since")) or created
        annotations = _annotations(payload, alert)
        for severity in sorted({*SEVERITY_LABEL.values(), current or "critical"}):
            firing = severity == current
            ends = now + ends_after if firing else created
            body.append(
                {
                    "labels": {
                        "alertname": alertname,
                        "monitor": str(payload["monitor"]),
                        "feature": str(alert["feature"]),
                        "metric": str(alert["metric"]),
                        "severity": severity,
                    },
                    "annotations": annotations,
                    "startsAt": min(starts, ends).isoformat(),
                    "endsAt": ends.isoformat(),
                    **(
                        {"generatorURL": annotations["report_url"]}
                        if "report_url" in annotations
                        else {}
                    ),
                }
            )
    return body


class AlertmanagerSink:
    config_model: ClassVar[type[AlertmanagerSinkConfig]] = AlertmanagerSinkConfig
    digest: ClassVar[bool] = False

    def __init__(self, config: AlertmanagerSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        self.clock = options.clock
        self.url = config.url.rstrip("/") + "/api/v2/alerts"
        self.where = f"alertmanager sink {config.name!r} ({redact_url(self.url)})"
        self.http = HttpClientSlot(config.timeout, options.transport)

    def send(self, message: Message) -> None:
        alerts = alertmanager_alerts(
            message.payload,
            alertname=self.config.alertname,
            now=self.clock(),
            ends_after=self.config.ends_after,
        )
        if not alerts:
            return
        body = json.dumps(alerts).encode()
        headers = {**self.config.headers, "Content-Type": "application/json"}
        from driftwatch.alerts._http import post  # httpx only when a sink sends

        post(self.http.get(), self.url, body, headers, where=self.where)

    def close(self) -> None:
        self.http.close()
