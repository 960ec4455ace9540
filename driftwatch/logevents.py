"""Structured log events: one dict gives both the ``key=value`` text line and the JSON fields.

``log_event(log, logging.INFO, "run", {"monitor": "m", "rows": 495})`` logs the message
``run monitor=m rows=495`` and attaches ``{"event": "run", "monitor": "m", "rows": 495}`` to the
record, which :class:`driftwatch.cli.logs.JsonFormatter` puts at the top level of its JSON object.
Because both come from the same dict, a key a log shipper indexes is the key a person greps for,
and the two can never disagree.

Values are made JSON-ready once, here: datetimes become ISO 8601 strings, tuples become lists.
In the text, strings with spaces, quotes or any character that does not print (a control
character, a bidi override) are JSON-quoted, so they hold only escapes, and lists and mappings are
compact JSON, so every line can be split back into its fields.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from driftwatch.text import one_line

__all__ = [
    "FIELDS_ATTRIBUTE",
    "Outage",
    "RepeatFilter",
    "event_fields",
    "log_event",
    "render_fields",
]

FIELDS_ATTRIBUTE = "fields"
"""The attribute of a :class:`logging.LogRecord` that carries an event's fields."""


def _plain(value: Any) -> Any:
    """``value`` in JSON's terms: ISO datetimes, lists for tuples, mappings with string keys."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        plain = value and value.isprintable() and not any(c.isspace() or c in "\"'=" for c in value)
        return value if plain else json.dumps(value)
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def render_fields(event: str, fields: Mapping[str, Any]) -> str:
    """The text line of an event: its name, then ``key=value`` for each field in order."""
    return " ".join([event, *(f"{key}={_text(_plain(value))}" for key, value in fields.items())])


def log_event(
    logger: logging.Logger,
    level: int,
    event: str,
    fields: Mapping[str, Any],
    *,
    note: str | None = None,
) -> None:
    """Log ``event`` with ``fields`` as text (``event k=v ...``) and as the record's JSON fields.

    ``note`` is prose for a person (what to do about it), appended to the text after a colon; it
    is part of the message, not a field.
    """
    if not logger.isEnabledFor(level):
        return
    plain = {key: _plain(value) for key, value in fields.items()}
    message = render_fields(event, plain)
    if note:
        message = f"{message}: {note}"
    logger.log(level, "%s", message, extra={FIELDS_ATTRIBUTE: {"event": event, **plain}})


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields :func:`log_event` attached to ``record`` (empty for an ordinary record)."""
    fields = getattr(record, FIELDS_ATTRIBUTE, None)
    return dict(fields) if isinstance(fields, Mapping) else {}


class Outage:
    """The one rule for logging a failure that repeats (a results database that went away).

    The first failure is logged in full (with its traceback when ``exc_info`` is given); while it
    goes on, at most one line per ``every`` seconds counts the failures and gives the latest
    reason; the first success after it logs ``recovered after N s``. A 40 s outage polled every
    tick is therefore three lines, not one traceback per tick. The first line is at ``level``
    (ERROR unless told), the others at WARNING. Thread-safe.
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        level: int = logging.ERROR,
    ) -> None:
        self.logger = logger
        self.what = what
        self.every = every
        self.level = level
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._reported = 0.0
        self._failures = 0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, reason: object, *, exc_info: bool = False) -> None:
        """Record one failure: the first is logged in full, the others counted."""
        now = self._clock()
        with self._lock:
            self._failures += 1
            if self._since is None:
                self._since = self._reported = now
                first = True
            elif now - self._reported >= self.every:
                self._reported = now
                first = False
            else:
                return
            failures, since = self._failures, self._since
        if first:
            self.logger.log(self.level, "%s failed: %s", self.what, reason, exc_info=exc_info)
            return
        line = one_line(reason)
        self.logger.warning(
            "%s still failing: %d failures in %.0f s; latest: %s",
            self.what,
            failures,
            now - since,
            line,
        )

    def succeeded(self) -> None:
        """Record a success: logs the recovery when an outage was going on."""
        now = self._clock()
        with self._lock:
            if self._since is None:
                return
            since, failures = self._since, self._failures
            self._since, self._failures = None, 0
        self.logger.warning(
            "%s recovered after %.1f s (%d failure%s)",
            self.what,
            now - since,
            failures,
            "" if failures == 1 else "s",
        )


class RepeatFilter(logging.Filter):
    """A logging filter that applies the :class:`Outage` rule to another library's repeated
    warning (APScheduler's "Execution of job ... skipped", logged at every tick the outbox pass is
    still running): ``outage`` logs the first one (its first line) and counts the next ones (one
    line per its ``every`` seconds); records not starting with ``prefix`` pass untouched."""

    def __init__(self, prefix: str, outage: Outage) -> None:
        super().__init__()
        self.prefix = prefix
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(self.prefix):
            return True
        self.outage.failed(message.splitlines()[0] if message else message)
        return False
