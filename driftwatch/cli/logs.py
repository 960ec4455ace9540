"""Log lines of the long-running commands: readable text, or one JSON object per line.

Structured records come from :func:`driftwatch.logevents.log_event`, which builds the message and
the fields from one dict; the JSON format puts the fields at the top level of the object
(``{"event": "run", "monitor": ..., "duration_s": ...}``) so log shippers can index them, the text
format prints the message, which says the same as ``key=value``.

Either way a record is one line, whatever the data in it: the JSON format's escapes cover every
control character (``ensure_ascii``), and the text format shows CR, LF, ESC and the other hidden
characters of a message as escapes (:func:`driftwatch.escaping.log_line`), so a feature named
``"x\r\n2024-01-01 ... ERROR ..."`` cannot forge a record. A traceback (``exc_info``) follows its
record on lines indented by four spaces, which no record starts with.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from driftwatch.escaping import log_line
from driftwatch.logevents import event_fields

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(event_fields(record))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)  # ensure_ascii: no raw control character


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message`` on one line; a traceback below it, indented."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return log_line(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join("    " + log_line(line) for line in text.splitlines())


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record, not at creation.

    A rich progress bar redirects ``sys.stderr`` while it shows, so log lines print above the
    bar instead of through it (and CliRunner's captured stderr gets them in tests).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(log_format: str, level: int) -> None:
    """Send driftwatch's and APScheduler's records to stderr in ``log_format`` (text or json).

    APScheduler's own chatter (job added, job executed) is kept at WARNING and above, and so are
    httpx and httpcore, which log every request line with its full URL at INFO/DEBUG: a Slack
    incoming-webhook URL is itself a credential. A process-wide choice, so the CLI makes it; a
    program importing driftwatch keeps its own logging settings.
    """
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    for name, logger_level in (("driftwatch", level), ("apscheduler", max(level, logging.WARNING))):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logger_level)
        logger.propagate = False
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
