"""The sink contract and the registry of sink types.

A sink delivers one :class:`~driftwatch.alerts.payload.Message` somewhere (a log line, an HTTP
POST, an email). The outbox owns retries: a sink makes one attempt and either returns (delivered)
or raises :class:`~driftwatch.errors.DeliveryError` — ``permanent=True`` when trying again cannot
help (HTTP 400/401/404, a refused recipient), ``permanent=False`` for anything that may pass later
(timeouts, refused connections, HTTP 5xx, 408, 429); :class:`RetryLater` when the receiver said
how long to wait (HTTP ``Retry-After``).

The dispatcher sends up to a few notifications of one sink at once, so ``send`` may be called from
several threads at the same time. A sink that holds a resource across sends (the HTTP sinks' one
connection pool, :class:`HttpClientSlot`) frees it in ``close()``, which the dispatcher calls, when
the sink has one, at the end of each pass.

Sink types are looked up by the ``type`` key of their config in the registry
(:func:`driftwatch.alerts.sink_class`); :func:`driftwatch.alerts.register_sink` adds one. This
module is only the contract, so the sinks and the registry import it and it imports neither.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from driftwatch.alerts.payload import Message
from driftwatch.config import (
    AlertmanagerSinkConfig,
    EmailSinkConfig,
    PagerDutySinkConfig,
    SinkConfig,
    SlackSinkConfig,
    WebhookSinkConfig,
)
from driftwatch.errors import DeliveryError, mask_secrets
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:  # httpx is imported by the HTTP sinks only when they send
    import httpx

__all__ = [
    "HttpClientSlot",
    "RetryLater",
    "Sink",
    "SinkFactory",
    "SinkOptions",
    "scrub",
    "secret_values",
]


class Sink(Protocol):
    """Delivers notifications to one destination.

    ``send`` makes exactly one delivery attempt of ``message`` and returns when it was accepted.
    Raises :class:`~driftwatch.errors.DeliveryError` otherwise, with ``permanent`` saying whether a
    retry can help; its message names the sink and never contains a secret.
    """

    name: str

    def send(self, message: Message) -> None: ...


class RetryLater(DeliveryError):
    """A failure that may pass later, with the wait the receiver asked for (``retry_after``
    seconds, already bounded by the sink); the outbox waits at least that long, and never less
    than its own backoff."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HttpClientSlot:
    """One ``httpx.Client`` of a sink, made at its first send and shared by the sends that follow
    (one connection pool: connections are reused), until :meth:`close`; thread-safe.

    It asks for ``Accept-Encoding: identity``: the bounded read of an answer
    (:mod:`driftwatch.alerts._http`) is then raw bytes, never a decompressed bomb.
    """

    def __init__(self, timeout: timedelta, transport: httpx.BaseTransport | None) -> None:
        self._timeout = timeout.total_seconds()
        self._transport = transport
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    def get(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx  # here, not at the top: `driftwatch run` should not pay for httpx

                self._client = httpx.Client(
                    timeout=self._timeout,
                    transport=self._transport,
                    headers={"Accept-Encoding": "identity"},
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


@dataclass(frozen=True)
class SinkOptions:
    """What a sink may need besides its config: an HTTP transport (tests) and a clock."""

    transport: httpx.BaseTransport | None = None
    clock: Clock = system_clock


class SinkFactory(Protocol):
    """A sink class: built from its config; ``digest`` sinks get one message per run and event."""

    digest: bool

    def __call__(self, config: Any, options: SinkOptions) -> Sink: ...


def secret_values(config: SinkConfig) -> list[str]:
    """Values of ``config`` that must never be logged, stored or shown in an error."""
    found: list[str | None] = []
    if isinstance(config, WebhookSinkConfig):
        found.extend([config.secret, *config.headers.values()])
    elif isinstance(config, SlackSinkConfig):
        found.append(config.url)  # an incoming-webhook URL is itself the credential
    elif isinstance(config, EmailSinkConfig):
        found.append(config.password)
    elif isinstance(config, AlertmanagerSinkConfig):
        found.extend(config.headers.values())
    elif isinstance(config, PagerDutySinkConfig):
        found.append(config.routing_key)
    return [s for s in found if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first, so overlaps go too)."""
    return mask_secrets(text, secrets)
