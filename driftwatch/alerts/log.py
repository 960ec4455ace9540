"""The ``log`` sink: one short line per notification on the ``driftwatch.alerts.sink`` logger.

The line (at the configured level) is the summary, the event and the idempotency key; the full
JSON payload goes to the same logger at DEBUG, so a log stays readable and the detail is one
``--log-level debug`` away. Each is one line whatever logging formatter prints it: the summary's
feature names are escaped (:func:`driftwatch.escaping.log_line`), the payload is JSON.
"""

from __future__ import annotations

import json
import logging
from typing import ClassVar

from driftwatch.alerts.base import SinkOptions
from driftwatch.alerts.payload import Message
from driftwatch.config import LogSinkConfig
from driftwatch.escaping import log_line

__all__ = ["LogSink"]

logger = logging.getLogger("driftwatch.alerts.sink")


class LogSink:
    """Logs one summary line at the configured level and the payload at DEBUG; never fails."""

    config_model: ClassVar[type[LogSinkConfig]] = LogSinkConfig
    digest: ClassVar[bool] = False

    def __init__(self, config: LogSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.level = getattr(logging, config.level.upper())

    def send(self, message: Message) -> None:
        links = message.payload.get("links") or {}
        link = f" report={links['report_url']}" if "report_url" in links else ""
        logger.log(
            self.level,
            "%s key=%s%s",
            log_line(message.payload.get("summary", message.event)),
            message.idempotency_key,
            link,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "payload key=%s %s",
                message.idempotency_key,
                json.dumps(message.payload, sort_keys=True, separators=(",", ":"), default=str),
            )
