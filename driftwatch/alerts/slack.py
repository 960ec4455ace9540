"""The ``slack`` sink: an incoming-webhook message with the monitor, window, severity and the top
drifted features (value against threshold, and the bin that moved most).

One message per run and event (a digest): five features starting to drift make one message.
The webhook URL is the credential, so it is never shown: errors name the host only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from driftwatch.alerts.base import SinkOptions
from driftwatch.alerts.payload import Message
from driftwatch.config import SlackSinkConfig

__all__ = ["SlackSink", "slack_message"]

_EMOJI = {
    "firing": ":rotating_light:",
    "escalated": ":rotating_light:",
    "repeat": ":warning:",
    "resolved": ":white_check_mark:",
    "no_data": ":grey_question:",
    "test": ":wave:",
}


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else "n/a"


def _line(alert: Mapping[str, Any]) -> str:
    name = "dataset drift" if alert["feature"] == "*" else f"`{alert['feature']}`"
    line = (
        f"• {name} {alert['metric']} = *{_number(alert['value'])}* {alert.get('unit') or ''}"
        f" (threshold {_number(alert.get('threshold'))}, {alert['status']}, "
        f"n_live {alert.get('n_live') if alert.get('n_live') is not None else 'n/a'})"
    )
    bins: Sequence[Mapping[str, Any]] = alert.get("top_bins") or []
    if bins:
        top = bins[0]
        line += (
            f" — moved most: `{top['label']}` {100 * top['reference_share']:.1f}% → "
            f"{100 * top['live_share']:.1f}%"
        )
    return line


def slack_message(payload: Mapping[str, Any], top_features: int) -> dict[str, Any]:
    """The Slack incoming-webhook body for a notification payload."""
    event = str(payload["event"])
    window = payload.get("window") or {}
    header = (
        f"{_EMOJI.get(event, '')} *{event.upper()}* ({payload.get('severity')}) — monitor "
        f"*{payload.get('monitor')}*, window {window.get('start')} → {window.get('end')}"
    ).strip()
    alerts: Sequence[Mapping[str, Any]] = payload.get("alerts") or []
    shown = list(alerts)[:top_features]
    lines = [_line(a) for a in shown]
    if len(alerts) > len(shown):
        lines.append(f"… and {len(alerts) - len(shown)} more")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": header}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    top = payload.get("top_drifted_features") or []
    if event != "resolved" and top and any(a["feature"] == "*" for a in alerts):
        drifted = ", ".join(
            f"{t['feature']} {t['metric']}={_number(t['value'])}" for t in top[:top_features]
        )
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Top drifted: {drifted}"}]}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"key `{payload.get('idempotency_key')}`"}],
        }
    )
    return {"text": str(payload.get("summary", header)), "blocks": blocks}


class SlackSink:
    config_model: ClassVar[type[SlackSinkConfig]] = SlackSinkConfig
    digest: ClassVar[bool] = True

    def __init__(self, config: SlackSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        host = urlsplit(config.url).netloc.rsplit("@", 1)[-1] or "?"
        self.where = f"slack sink {config.name!r} (host {host})"
        self.transport = options.transport

    def send(self, message: Message) -> None:
        body = json.dumps(slack_message(message.payload, self.config.top_features)).encode()
        headers = {"Content-Type": "application/json"}
        timeout = self.config.timeout.total_seconds()
        import httpx  # here, not at the top: `driftwatch run` should not pay for httpx

        from driftwatch.alerts._http import post

        with httpx.Client(timeout=timeout, transport=self.transport) as client:
            post(client, self.config.url, body, headers, where=self.where)
