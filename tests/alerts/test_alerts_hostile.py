"""Every sink still delivers when feature names and category values are hostile.

Each value of the corpus (tests/helpers/hostile.py) is a feature's name and the category it moved
to. One run notifies six sinks: a real HTTP receiver takes the webhook, Slack, PagerDuty and
Alertmanager POSTs, a real SMTP server (aiosmtpd) the email. Nothing is left pending or dead;
machine sinks (JSON) carry the exact name; the email's headers hold no CR/LF from the data (one
would make the email package refuse the digest at every retry); Slack's text makes no mention,
no link and no broken code span; the log sink's line is one line.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.api import run_monitors
from driftwatch.config import parse_config
from driftwatch.escaping import slack_mrkdwn
from driftwatch.store import Store
from tests.alerts.conftest import SMTP_USER, Receiver, SmtpServer
from tests.helpers import FakeClock
from tests.helpers.hostile import HOSTILE_PARAMS, as_feature_name, raw_markers_in

EMAIL_HEADERS = {
    "Subject", "From", "To", "Date", "Message-ID", "X-Driftwatch-Idempotency-Key",
    "MIME-Version", "Content-Type",
}  # fmt: skip


def frames(feature: str, category: str) -> dict[str, pd.DataFrame]:
    """``n`` shifts by 3σ; ``feature`` moves from x/y to ``category``."""
    rng = np.random.default_rng(7)
    n = 300
    made = {}
    for name, shares, loc in (
        ("reference", [0.45, 0.45, 0.1], 0.0),
        ("live", [0.05, 0.05, 0.9], 3),
    ):
        values = np.array(["x", "y", category], dtype=object)
        made[name] = pd.DataFrame(
            {"n": rng.normal(loc, 1.0, n), feature: rng.choice(values, n, p=shares)}
        )
    return made


def config(feature: str, receiver: Receiver, smtp: SmtpServer) -> Any:
    base = f"http://127.0.0.1:{receiver.port}"
    sinks: list[dict[str, Any]] = [
        {"name": "audit", "type": "log", "level": "warning"},
        {"name": "hook", "type": "webhook", "url": f"{base}/webhook"},
        {"name": "chat", "type": "slack", "url": f"{base}/slack"},
        {"name": "pager", "type": "pagerduty", "url": f"{base}/pagerduty", "routing_key": "k"},
        {"name": "am", "type": "alertmanager", "url": f"{base}/am"},
        {
            "name": "mail",
            "type": "email",
            "host": smtp.host,
            "port": smtp.port,
            "username": SMTP_USER,
            "password": smtp.password,
            "sender": "driftwatch@example.com",
            "recipients": ["oncall@example.com"],
            "timeout": "5s",
        },
    ]
    return parse_config(
        {
            "database": "sqlite:///unused.db",
            "alerts": {"sinks": sinks},
            "monitors": [
                {
                    "name": "model",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": ["n"], "categorical": [feature]},
                    "metrics": ["js"],
                    "alerts": [s["name"] for s in sinks],
                }
            ],
        }
    )


def by_path(receiver: Receiver, prefix: str) -> list[Any]:
    return [r.json() for r in receiver.requests if r.path.startswith(prefix)]


def slack_texts(message: dict[str, Any]) -> list[str]:
    texts = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [element["text"] for element in block.get("elements", [])]
    return texts


@pytest.mark.parametrize("value", HOSTILE_PARAMS)
def test_every_sink_delivers_hostile_names(
    value: str,
    sqlite_store: Store,
    clock: FakeClock,
    receiver: Receiver,
    smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feature = as_feature_name(value)
    loaded = config(feature, receiver, smtp_server)
    (outcome,) = run_monitors(loaded, sqlite_store, clock=clock, frames=frames(feature, value))
    assert {f.name: f.status for f in outcome.features} == {"n": "critical", feature: "critical"}
    with caplog.at_level(logging.WARNING, logger="driftwatch.alerts.sink"):
        sent = dispatch_pending(sqlite_store, loaded, clock=clock)
    # Per feature: log, webhook, pagerduty, alertmanager; one digest each: slack, email.
    assert (sent.delivered, sent.retried, sent.dead) == (2 * 4 + 2, 0, 0)

    webhook = by_path(receiver, "/webhook")
    assert {p["feature"] for p in webhook} == {"n", feature}  # JSON keeps the exact name
    assert {a["labels"]["feature"] for b in by_path(receiver, "/am") for a in b} == {"n", feature}
    pagerduty = by_path(receiver, "/pagerduty")
    assert {e["payload"]["component"] for e in pagerduty} == {"n", feature}

    (slack,) = by_path(receiver, "/slack")
    for text in slack_texts(slack):
        assert raw_markers_in(text) == []
        assert "<!" not in text and "<@" not in text
        assert all(line.count("`") % 2 == 0 for line in text.splitlines())
    features = slack["blocks"][1]["text"]["text"]
    assert all(line.startswith(("• ", "… and ")) for line in features.splitlines())
    if len(value) < 1000:  # else its line is over Slack's section limit: "… and 1 more feature"
        assert f"`{slack_mrkdwn(feature)}`" in features

    (email,) = smtp_server.messages
    headers = set(email.keys())
    assert headers == EMAIL_HEADERS
    for name in headers:
        shown = str(email[name])
        assert "\r" not in shown and "\n" not in shown and raw_markers_in(shown) == []
    # (.strip(): the stdlib may fold a long subject holding a backslash right after "Subject:")
    assert str(email["Subject"]).strip().startswith("[driftwatch] FIRING critical: model: ")

    lines = [r.getMessage() for r in caplog.records if r.name == "driftwatch.alerts.sink"]
    assert len(lines) == 2 and all(len(line.splitlines()) == 1 for line in lines)
    assert all(raw_markers_in(line) == [] for line in lines)


def test_the_corpus_reaches_the_slack_text_only_escaped(
    sqlite_store: Store,
    clock: FakeClock,
    receiver: Receiver,
    smtp_server: SmtpServer,
) -> None:
    """A mention written by the data is text: ``&lt;!channel&gt;``, never ``<!channel>``."""
    feature = "<!channel>"
    loaded = config(feature, receiver, smtp_server)
    run_monitors(loaded, sqlite_store, clock=clock, frames=frames(feature, "<@U024BE7LH>"))
    dispatch_pending(sqlite_store, loaded, clock=clock)
    (slack,) = by_path(receiver, "/slack")
    text = slack["blocks"][1]["text"]["text"]
    assert "`&lt;!channel&gt;`" in text and "`&lt;@U024BE7LH&gt;`" in text
