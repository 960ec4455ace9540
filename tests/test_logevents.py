"""Structured log events: the text line and the JSON fields come from one dict and agree."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from driftwatch.cli.logs import JsonFormatter
from driftwatch.logevents import event_fields, log_event, render_fields

LOGGER = "driftwatch.test-logevents"


def _emit(
    caplog: pytest.LogCaptureFixture, event: str, fields: dict[str, Any], **kwargs: Any
) -> logging.LogRecord:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        log_event(logging.getLogger(LOGGER), logging.INFO, event, fields, **kwargs)
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    return record


def test_the_message_is_the_event_then_key_value_pairs_in_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = _emit(caplog, "run", {"monitor": "m", "rows": 495, "duration_s": 0.014})
    assert record.getMessage() == "run monitor=m rows=495 duration_s=0.014"


def test_the_json_object_holds_the_event_and_the_same_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = datetime(2019, 4, 1, tzinfo=UTC)
    record = _emit(caplog, "run", {"monitor": "m", "window_start": start, "run_id": None})
    payload = json.loads(JsonFormatter().format(record))
    assert payload["message"] == (
        "run monitor=m window_start=2019-04-01T00:00:00+00:00 run_id=none"
    )
    assert {k: payload[k] for k in ("event", "monitor", "window_start", "run_id")} == {
        "event": "run",
        "monitor": "m",
        "window_start": "2019-04-01T00:00:00+00:00",
        "run_id": None,
    }
    assert {"time", "level", "logger"} <= payload.keys()


def _split(message: str) -> tuple[str, dict[str, Any]]:
    """A text line back into its event and fields: each value is a bare word or a JSON value."""
    event, _, rest = message.partition(" ")
    decoder = json.JSONDecoder()
    fields: dict[str, Any] = {}
    position = 0
    while position < len(rest):
        equals = rest.index("=", position)
        key = rest[position:equals]
        if rest[equals + 1] in '"[{':
            value, position = decoder.raw_decode(rest, equals + 1)
        else:
            end = rest.find(" ", equals)
            position = len(rest) if end < 0 else end
            value = rest[equals + 1 : position]
        fields[key] = value
        position += 1  # the space between pairs
    return event, fields


def test_the_text_splits_back_into_the_json_fields(caplog: pytest.LogCaptureFixture) -> None:
    fields = {
        "error": 'FileNotFoundError: "live.csv" is gone',
        "added": ("a", "b c"),
        "next_fire": {"a": datetime(2024, 1, 1, tzinfo=UTC)},
        "empty": "",
    }
    record = _emit(caplog, "sync", fields)
    event, parsed = _split(record.getMessage())
    json_fields = event_fields(record)
    assert event == json_fields.pop("event") == "sync"
    assert parsed == json_fields
    assert json_fields["added"] == ["a", "b c"]
    assert json_fields["next_fire"] == {"a": "2024-01-01T00:00:00+00:00"}


def test_a_note_is_prose_after_the_fields_not_a_field(caplog: pytest.LogCaptureFixture) -> None:
    record = _emit(caplog, "catchup_skipped", {"skipped": 7}, note="use backfill")
    assert record.getMessage() == "catchup_skipped skipped=7: use backfill"
    assert event_fields(record) == {"event": "catchup_skipped", "skipped": 7}


def test_an_ordinary_record_has_no_event_fields() -> None:
    record = logging.LogRecord(LOGGER, logging.INFO, __file__, 1, "plain", None, None)
    assert event_fields(record) == {}
    assert "event" not in json.loads(JsonFormatter().format(record))


def test_a_disabled_level_builds_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        log_event(logging.getLogger(LOGGER), logging.INFO, "run", {"monitor": "m"})
    assert not [r for r in caplog.records if r.name == LOGGER]


def test_render_fields_of_no_fields_is_the_event_alone() -> None:
    assert render_fields("stopped", {}) == "stopped"
