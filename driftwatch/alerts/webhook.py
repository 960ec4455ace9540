"""The ``webhook`` sink: the payload as a JSON POST, signed with HMAC-SHA256 when a secret is set.

Headers sent with every POST:

* ``X-Driftwatch-Idempotency-Key``: the notification's stable key (also ``idempotency_key`` in the
  body); a retried or re-sent notification carries the same key, so a receiver drops duplicates;
* ``X-Driftwatch-Event``: ``firing``, ``escalated``, ``repeat``, ``resolved``, ``no_data`` or
  ``test``;
* ``X-Driftwatch-Signature: t=<unix seconds>,v1=<hex>`` when ``secret`` is set, where ``<hex>`` is
  ``HMAC-SHA256(key=secret, msg=f"{t}." + raw body bytes)``. Receivers recompute it over the raw
  body, compare in constant time and reject old timestamps (see README "Alerts").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import ClassVar

from driftwatch._version import __version__
from driftwatch.alerts.base import HttpClientSlot, SinkOptions
from driftwatch.alerts.payload import Message
from driftwatch.config import WebhookSinkConfig
from driftwatch.errors import redact_url

__all__ = ["SIGNATURE_HEADER", "WebhookSink", "encode_body", "sign"]

SIGNATURE_HEADER = "X-Driftwatch-Signature"
IDEMPOTENCY_HEADER = "X-Driftwatch-Idempotency-Key"


def encode_body(message: Message) -> bytes:
    """The exact bytes POSTed (and signed): compact JSON with sorted keys."""
    return json.dumps(message.payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Driftwatch-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class WebhookSink:
    config_model: ClassVar[type[WebhookSinkConfig]] = WebhookSinkConfig
    digest: ClassVar[bool] = False

    def __init__(self, config: WebhookSinkConfig, options: SinkOptions) -> None:
        self.name = config.name
        self.config = config
        self.clock = options.clock
        self.where = f"webhook sink {config.name!r} ({redact_url(config.url)})"
        self.http = HttpClientSlot(config.timeout, options.transport)

    def send(self, message: Message) -> None:
        body = encode_body(message)
        headers = {
            **self.config.headers,
            "Content-Type": "application/json",
            "User-Agent": f"driftwatch/{__version__}",
            IDEMPOTENCY_HEADER: message.idempotency_key,
            "X-Driftwatch-Event": message.event,
        }
        if self.config.secret:
            timestamp = int(self.clock().timestamp())
            headers[SIGNATURE_HEADER] = sign(self.config.secret, timestamp, body)
        from driftwatch.alerts._http import post  # httpx only when a sink sends

        post(self.http.get(), self.config.url, body, headers, where=self.where)

    def close(self) -> None:
        self.http.close()
