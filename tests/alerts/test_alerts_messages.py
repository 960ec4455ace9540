"""Messages people act on: Slack escaping and size, email headers and threading, alerts.links."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from driftwatch.alerts.outbox import dispatch_pending
from driftwatch.alerts.slack import SECTION_LIMIT, escape, slack_message
from driftwatch.config import Config, parse_config
from driftwatch.errors import ConfigError
from driftwatch.store import Store
from tests.alerts.conftest import Receiver, SmtpServer, config_dict, run_levels
from tests.helpers import FakeClock

LINKS = {
    "report_url": "https://reports.example.com/{monitor}/{run_id}.html#{feature}",
    "dashboard_url": "https://grafana.example.com/d/driftwatch?var-monitor={monitor}&from={window_start}",
}


def _alert(feature: str, metric: str = "js", value: float = 0.3) -> dict[str, Any]:
    return {
        "feature": feature,
        "metric": metric,
        "status": "critical",
        "severity": "critical",
        "value": value,
        "unit": "bits",
        "threshold": 0.1,
        "n_live": 500,
        "top_bins": [{"label": "<18 & unknown", "reference_share": 0.1, "live_share": 0.4}],
    }


def _payload(alerts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "event": "firing",
        "severity": "critical",
        "monitor": "credit<model>",
        "window": {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-01T01:00:00+00:00"},
        "idempotency_key": "dw-key",
        "summary": "[FIRING critical] monitor credit<model>",
        "alerts": alerts,
        "top_drifted_features": [],
        **extra,
    }


def _texts(body: dict[str, Any]) -> list[str]:
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    for block in body["blocks"]:
        texts += [e["text"] for e in block.get("elements", [])]
    return texts


def test_slack_escapes_the_three_mrkdwn_control_characters() -> None:
    body = slack_message(_payload([_alert("age<18&x>")]), top_features=5)
    text = "\n".join(_texts(body))
    assert "`age&lt;18&amp;x&gt;`" in text
    assert "credit&lt;model&gt;" in text
    assert "`&lt;18 &amp; unknown`" in text
    assert "<18" not in text and "x>" not in text


def test_escape_leaves_plain_text_alone() -> None:
    assert escape("temp_max js=0.3") == "temp_max js=0.3"


def test_slack_digest_of_50_features_fits_the_section_limit_and_says_how_many_are_left_out() -> (
    None
):
    alerts = [
        _alert(f"feature_with_a_long_name_{i:02d}", m) for i in range(50) for m in ("js", "kl")
    ]
    body = slack_message(_payload(alerts), top_features=50)
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    listed = sections[1].splitlines()
    shown = {line.split("`")[1] for line in listed if line.startswith("•")}
    assert listed[-1] == f"… and {50 - len(shown)} more features"
    assert 5 < len(shown) < 50


@pytest.mark.parametrize("top", [1, 3], ids=["one", "three"])
def test_slack_top_features_counts_features_not_feature_metric_lines(top: int) -> None:
    alerts = [_alert(f"f{i}", m) for i in range(5) for m in ("js", "kl")]
    body = slack_message(_payload(alerts), top_features=top)
    listed = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"][1].splitlines()
    bullets = [line for line in listed if line.startswith("•")]
    assert {line.split("`")[1] for line in bullets} == {f"f{i}" for i in range(top)}
    assert len(bullets) == 2 * top  # both metrics of every feature shown
    assert listed[-1] == f"… and {5 - top} more features"


def test_unknown_link_placeholder_is_refused_at_config_load() -> None:
    raw = config_dict(alerts={"links": {"report_url": "https://r.example.com/{monitr}"}})
    with pytest.raises(ConfigError, match=r"uses \{monitr\}; the placeholders are \{monitor\}"):
        parse_config(raw)


def test_links_reach_the_webhook_payload_url_encoded(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    sink = {"name": "hook", "type": "webhook", "url": receiver.url}
    config = alert_config(sinks=[sink], alerts={"links": LINKS})
    outcome = run_levels(config, sqlite_store, clock, x="critical")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    (request,) = receiver.requests
    payload = request.json()
    run_id = payload["run_id"]
    start = outcome.window_start.isoformat().replace(":", "%3A").replace("+", "%2B")
    assert payload["links"] == {
        "report_url": f"https://reports.example.com/model/{run_id}.html#x",
        "dashboard_url": f"https://grafana.example.com/d/driftwatch?var-monitor=model&from={start}",
    }
    assert payload["alerts"][0]["links"] == payload["links"]


def test_links_reach_slack_as_mrkdwn_links(
    sqlite_store: Store, clock: FakeClock, receiver: Receiver, alert_config: Callable[..., Config]
) -> None:
    sink = {"name": "chat", "type": "slack", "url": receiver.url}
    config = alert_config(sinks=[sink], alerts={"links": LINKS})
    run_levels(config, sqlite_store, clock, x="critical")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    text = "\n".join(_texts(receiver.requests[0].json()))
    assert "<https://reports.example.com/model/" in text and "|report>" in text
    assert "var-monitor=model&amp;from=" in text and "|dashboard>" in text


def _email_sink(server: SmtpServer) -> dict[str, Any]:
    return {
        "name": "mail",
        "type": "email",
        "host": server.host,
        "port": server.port,
        "sender": "driftwatch@example.com",
        "recipients": ["oncall@example.com"],
    }


def test_email_has_a_date_a_subject_naming_features_and_links(
    sqlite_store: Store,
    clock: FakeClock,
    smtp_server: SmtpServer,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[_email_sink(smtp_server)], alerts={"links": LINKS})
    run_levels(config, sqlite_store, clock, x="critical", y="warn")
    assert dispatch_pending(sqlite_store, config, clock=clock).delivered == 1
    (message,) = smtp_server.messages
    assert parsedate_to_datetime(message["Date"]) == clock()
    assert (
        str(message["Subject"])
        .strip()
        .startswith("[driftwatch] FIRING critical: model: x, y (window ")
    )
    text = message.get_body(("plain",)).get_content()
    assert "report_url: https://reports.example.com/model/" in text


def test_resolved_email_replies_to_the_firing_email(
    sqlite_store: Store,
    clock: FakeClock,
    smtp_server: SmtpServer,
    alert_config: Callable[..., Config],
) -> None:
    config = alert_config(sinks=[_email_sink(smtp_server)])
    run_levels(config, sqlite_store, clock, x="warn")
    dispatch_pending(sqlite_store, config, clock=clock)
    run_levels(config, sqlite_store, clock, x="critical")
    dispatch_pending(sqlite_store, config, clock=clock)
    run_levels(config, sqlite_store, clock)
    dispatch_pending(sqlite_store, config, clock=clock)
    firing, escalated, resolved = smtp_server.messages
    assert "FIRING" in firing["Subject"] and "RESOLVED" in resolved["Subject"]
    assert firing["In-Reply-To"] is None
    for follow_up in (escalated, resolved):
        assert follow_up["In-Reply-To"] == firing["Message-ID"]
        assert follow_up["References"] == firing["Message-ID"]
        assert follow_up["Message-ID"] != firing["Message-ID"]
