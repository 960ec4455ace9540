"""The escaping helpers (driftwatch/escaping.py) over the hostile corpus, and the text log format.

Each helper's output holds no hidden character (control, format, surrogate, line separator), is
one line, leaves ordinary text alone and is idempotent; each target's own rule holds on top.
"""

from __future__ import annotations

import io
import json
import logging
import unicodedata
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from driftwatch.cli.logs import JsonFormatter, TextFormatter
from driftwatch.escaping import email_header, log_line, prometheus_label, slack_mrkdwn, terminal
from driftwatch.logevents import log_event, render_fields
from tests.helpers.hostile import HOSTILE, HOSTILE_PARAMS

HELPERS = [
    pytest.param(terminal, id="terminal"),
    pytest.param(log_line, id="log_line"),
    pytest.param(email_header, id="email_header"),
    pytest.param(slack_mrkdwn, id="slack_mrkdwn"),
    pytest.param(prometheus_label, id="prometheus_label"),
]
HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
EXTRA = "\x0b\x0c\x1c\x85\x7f\u2028\u2029\u2066\u200d\u00ad\udc80\U000e0001"
"""More hidden characters: VT, FF, a file separator, NEL, DEL, the line and paragraph separators,
an isolate, a zero-width joiner, a soft hyphen, a lone surrogate, a language tag."""


def hidden(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in HIDDEN]


@pytest.mark.parametrize("helper", HELPERS)
@pytest.mark.parametrize("value", [*HOSTILE_PARAMS, pytest.param(EXTRA, id="more-hidden")])
def test_no_hidden_character_survives_and_escaping_again_changes_nothing(
    helper: Callable[[str], str], value: str
) -> None:
    shown = helper(value)
    assert hidden(shown) == []
    assert len(shown.splitlines()) <= 1
    if helper is not slack_mrkdwn:  # entities are escaped once: & → &amp; every time
        assert helper(shown) == shown
    shown.encode("utf-8")  # no lone surrogate left


@pytest.mark.parametrize("helper", HELPERS)
def test_ordinary_text_is_left_alone(helper: Callable[[str], str]) -> None:
    for text in ("temp_max", "rain: 52.2% → 1.4%", "Zürich 東京 ünïcödé", "(-inf, 0.5]", ""):
        assert helper(text) == text


def test_terminal_shows_controls_as_escapes_and_breaks_as_spaces() -> None:
    assert terminal(HOSTILE["ansi-osc"]) == (
        "\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[H\\x1b[32mALL CLEAR\\x1b[0m"
    )
    assert terminal("a\tb\r\nc\u2028d") == "a b  c d"
    assert terminal(HOSTILE["rtl-override"]) == "invoice\\u202efdp.exe"
    assert terminal(HOSTILE["zero-width"]) == "wi\\u200bnd\\ufeff"
    assert terminal("a\x00b\x7f\x9b") == "a\\x00b\\x7f\\x9b"
    assert terminal("\U000e0001") == "\\U000e0001"
    assert terminal(3.5) == "3.5"


def test_a_log_line_shows_line_breaks_as_escapes() -> None:
    assert log_line("x\r\n2026-01-01 ERROR forged") == "x\\r\\n2026-01-01 ERROR forged"
    assert log_line("a\tb") == "a\\tb"


def test_an_email_header_holds_no_line_break_and_the_email_package_takes_it() -> None:
    for value in HOSTILE.values():
        subject = email_header(f"[driftwatch] FIRING warn: m: {value}")
        assert "\r" not in subject and "\n" not in subject
        message = EmailMessage()
        message["Subject"] = subject  # would raise on a CR or LF
        message.set_content("body")
        raw = message.as_bytes()
        headers = raw.split(b"\n\n", 1)[0].decode("ascii")  # RFC 2047: ASCII on the wire
        names = [line.split(":", 1)[0] for line in headers.splitlines() if line[:1] not in " \t"]
        assert names == ["Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]


def test_slack_mentions_links_and_code_spans_are_neutralised() -> None:
    shown = slack_mrkdwn(HOSTILE["slack-channel"])
    assert shown == "&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;"
    assert "<" not in slack_mrkdwn("<https://evil.example|click>")
    assert "`" not in slack_mrkdwn(HOSTILE["at-here"])
    assert slack_mrkdwn("a & b") == "a &amp; b"


def test_a_prometheus_label_escapes_what_the_exposition_would_carry_raw() -> None:
    assert prometheus_label("a\x1b[31mb") == "a\\x1b[31mb"
    assert prometheus_label("a\udc80") == "a\\udc80"  # else prometheus_client cannot encode it
    assert prometheus_label('a"b\\c') == 'a"b\\c'  # prometheus_client escapes these itself


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    made = logging.LogRecord("driftwatch.test", logging.WARNING, __file__, 1, message, args, None)
    if exc is not None:
        try:
            raise exc
        except BaseException:
            import sys

            made.exc_info = sys.exc_info()
    return made


@pytest.mark.parametrize("value", HOSTILE_PARAMS)
def test_a_text_log_record_is_one_line(value: str) -> None:
    line = TextFormatter().format(record("feature %s drifted", value))
    assert len(line.splitlines()) == 1
    assert hidden(line) == []
    assert log_line(value) in line


@pytest.mark.parametrize("value", HOSTILE_PARAMS)
def test_a_json_log_record_is_one_line_and_exact(value: str) -> None:
    line = JsonFormatter().format(record("feature %s drifted", value))
    assert "\n" not in line and "\r" not in line and hidden(line) == []
    assert json.loads(line)["message"] == f"feature {value} drifted"


def test_a_traceback_follows_its_record_indented_so_it_forges_none() -> None:
    forged = "boom\n2026-01-01 00:00:00,000 ERROR driftwatch: forged\x1b[2J"
    text = TextFormatter().format(record("run of %s raised", "m1", exc=ValueError(forged)))
    first, *rest = text.split("\n")
    assert first.endswith("WARNING driftwatch.test: run of m1 raised")
    assert rest and all(line.startswith("    ") for line in rest)
    assert hidden(text.replace("\n", "")) == []


def test_log_event_quotes_a_value_that_does_not_print() -> None:
    text = render_fields("run", {"feature": "a\x1bb", "other": "plain"})
    assert text == 'run feature="a\\u001bb" other=plain'
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("driftwatch.test.escaping")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        log_event(logger, logging.INFO, "run", {"feature": HOSTILE["crlf"]})
    finally:
        logger.removeHandler(handler)
    assert len(stream.getvalue().splitlines()) == 1
