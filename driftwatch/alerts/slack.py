"""The ``slack`` sink: an incoming-webhook message with the monitor, window, severity and the top
drifted features (value against threshold, and the bin that moved most).

One message per run and event (a digest): five features starting to drift make one message.
``top_features`` counts features (a feature's metrics share its line group). Every text taken from
data is escaped with :func:`driftwatch.escaping.slack_mrkdwn` (one line, control and bidi
characters shown as escapes, ``&<>`` as entities so ``<!channel>`` is no mention, no backtick),
and feature and bin names go in code spans, where ``*_~`` do not format. A section stays within
Slack's 3,000-character limit: lines that do not fit become "… and N more features".
The webhook URL is the credential, so it is never shown: errors name the host only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from driftwatch.alerts.base import HttpClientSlot, SinkOptions
from driftwatch.alerts.payload import AlertItem, Message, Payload, show_number
from driftwatch.config import SlackSinkConfig
from driftwatch.escaping import slack_mrkdwn as escape

__all__ = ["SECTION_LIMIT", "SlackSink", "escape", "slack_message"]

SECTION_LIMIT = 3000  # Slack rejects a section block whose text is longer

_EMOJI = {
    "firing": ":rotating_light:",
    "escalated": ":rotating_light:",
    "repeat": ":warning:",
    "resolved": ":white_check_mark:",
    "no_data": ":grey_question:",
    "test": ":wave:",
}


def _line(alert: AlertItem) -> str:
    name = "dataset drift" if alert["feature"] == "*" else f"`{escape(alert['feature'])}`"
    line = (
        f"• {name} {alert['metric']} = *{show_number(alert['value'])}* {alert.get('unit') or ''}"
        f" (threshold {show_number(alert.get('threshold'))}, {alert['status']}, "
        f"n_live {alert.get('n_live') if alert.get('n_live') is not None else 'n/a'})"
    )
    bins: Sequence[Mapping[str, Any]] = alert.get("top_bins") or []
    if bins:
        top = bins[0]
        line += (
            f" — moved most: `{escape(top['label'])}` {100 * top['reference_share']:.1f}% → "
            f"{100 * top['live_share']:.1f}%"
        )
    return line


def _fit(groups: list[str], hidden: int) -> str:
    """Feature groups joined, cut so the text and its "… and N more" line fit one section.

    ``hidden`` features are already left out (beyond ``top_features``); groups cut for size add
    to them.
    """

    def more(count: int) -> str:
        return f"… and {count} more feature{'s' if count != 1 else ''}"

    everything = "\n".join(groups + ([more(hidden)] if hidden else []))
    if len(everything) <= SECTION_LIMIT:
        return everything
    reserve = len(more(hidden + len(groups))) + 1
    kept: list[str] = []
    size = 0
    for group in groups:
        if size + len(group) + 1 > SECTION_LIMIT - reserve:
            break
        kept.append(group)
        size += len(group) + 1
    return "\n".join([*kept, more(hidden + len(groups) - len(kept))])


def _link_text(links: Mapping[str, str]) -> str:
    names = {"report_url": "report", "dashboard_url": "dashboard"}
    return " · ".join(f"<{escape(links[k])}|{v}>" for k, v in names.items() if k in links)


def slack_message(payload: Payload, top_features: int) -> dict[str, Any]:
    """The Slack incoming-webhook body for a notification payload."""
    event = str(payload["event"])
    window = payload.get("window") or {}
    header = (
        f"{_EMOJI.get(event, '')} *{event.upper()}* ({escape(payload.get('severity'))}) — monitor "
        f"*{escape(payload.get('monitor'))}*, window {window.get('start')} → {window.get('end')}"
    ).strip()
    alerts = payload.get("alerts") or []
    features = list(dict.fromkeys(str(a["feature"]) for a in alerts))  # most severe first
    groups = [
        "\n".join(_line(a) for a in alerts if str(a["feature"]) == feature)
        for feature in features[:top_features]
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": header[:SECTION_LIMIT]}}
    ]
    if groups:
        text = _fit(groups, len(features) - len(groups))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    top = payload.get("top_drifted_features") or []
    if event != "resolved" and top and any(a["feature"] == "*" for a in alerts):
        drifted = ", ".join(
            f"`{escape(t['feature'])}` {t['metric']}={show_number(t['value'])}"
            for t in top[:top_features]
        )
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Top drifted: {drifted}"[:SECTION_LIMIT]}],
            }
        )
    links = _link_text(payload.get("links") or {})
    footer = f"key `{payload.get('idempotency_key')}`" + (f" · {links}" if links else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": escape(payload.get("summary", header))[:SECTION_LIMIT], "blocks": blocks}


class SlackSink:
    config_model: ClassVar[type[SlackSinkConfig]] = SlackSinkConfig
    digest: ClassVar[bool] = True

    def __init__(self, config: SlackSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        host = urlsplit(config.url).netloc.rsplit("@", 1)[-1] or "?"
        self.where = f"slack sink {config.name!r} (host {host})"
        self.http = HttpClientSlot(config.timeout, options.transport)

    def send(self, message: Message) -> None:
        body = json.dumps(slack_message(message.payload, self.config.top_features)).encode()
        headers = {"Content-Type": "application/json"}
        from driftwatch.alerts._http import post  # httpx only when a sink sends

        post(self.http.get(), self.config.url, body, headers, where=self.where)

    def close(self) -> None:
        self.http.close()
