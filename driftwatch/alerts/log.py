"""The ``log`` sink: one line per notification on the ``driftwatch.alerts.sink`` logger."""

from __future__ import annotations

import json
import logging
from typing import ClassVar

from driftwatch.alerts.base import SinkOptions
from driftwatch.alerts.payload import Message
from driftwatch.config import LogSinkConfig

__all__ = ["LogSink"]

logger = logging.getLogger("driftwatch.alerts.sink")


class LogSink:
    """Logs the summary and the compact JSON payload at the configured level; never fails."""

    config_model: ClassVar[type[LogSinkConfig]] = LogSinkConfig
    digest: ClassVar[bool] = False

    def __init__(self, config: LogSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.level = getattr(logging, config.level.upper())

    def send(self, message: Message) -> None:
        logger.log(
            self.level,
            "%s key=%s payload=%s",
            message.payload.get("summary", message.event),
            message.idempotency_key,
            json.dumps(message.payload, sort_keys=True, separators=(",", ":"), default=str),
        )
