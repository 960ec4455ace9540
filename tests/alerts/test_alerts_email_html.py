"""The email's HTML part shows names from the data as text: a feature and a bin named like markup.

The HTML comes from an autoescaped template (``driftwatch/alerts/templates/email.html.j2``); the
plain-text part carries the names as they are.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from driftwatch.alerts.email import render_email

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Tags(HTMLParser):
    """Every tag by name, every event-handler attribute (``on…``) and the text of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.handlers: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def payload(feature: str, label: str) -> dict[str, Any]:
    """A firing notification of one feature whose most-moved bin is ``label``."""
    return {
        "event": "firing",
        "severity": "critical",
        "monitor": "model",
        "sink": "mail",
        "summary": f"[FIRING critical] monitor model: {feature}",
        "idempotency_key": "dw-1",
        "window": {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-01T01:00:00+00:00"},
        "links": {"report_url": "https://reports.example.com/model/1.html#x"},
        "alerts": [
            {
                "feature": feature,
                "metric": "js",
                "value": 0.31,
                "threshold": 0.25,
                "status": "critical",
                "n_live": 500,
                "since": "2026-01-01T01:00:00+00:00",
                "top_bins": [{"label": label, "reference_share": 0.1, "live_share": 0.5}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("feature", "label"), [(IMG, SCRIPT), (SCRIPT, IMG)], ids=["img-feature", "script-feature"]
)
def test_markup_in_a_feature_and_a_bin_name_is_text_in_the_email_html(
    feature: str, label: str
) -> None:
    sent = datetime(2026, 1, 1, 1, tzinfo=UTC)
    message = render_email(payload(feature, label), "dw@example.com", ["oncall@example.com"], sent)
    html = message.get_body(("html",)).get_content()
    assert IMG not in html and SCRIPT not in html
    assert escaped(feature) in html and escaped(label) in html
    parsed = Tags()
    parsed.feed(html)
    parsed.close()
    assert parsed.tags["img"] == 0 and parsed.tags["script"] == 0
    assert parsed.handlers == []
    assert feature in parsed.cells  # read back as the text it was
    assert f"{label}: 10.0% -> 50.0%" in parsed.cells
    text = message.get_body(("plain",)).get_content()
    assert feature in text and label in text  # plain text needs no escaping
