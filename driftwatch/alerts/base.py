"""The sink contract and the registry of sink types.

A sink delivers one :class:`~driftwatch.alerts.payload.Message` somewhere (a log line, an HTTP
POST, an email). The outbox owns retries: a sink makes one attempt and either returns (delivered)
or raises :class:`~driftwatch.errors.DeliveryError` — ``permanent=True`` when trying again cannot
help (HTTP 400/401/404, a refused recipient), ``permanent=False`` for anything that may pass later
(timeouts, refused connections, HTTP 5xx, 408, 429).

Sink types are looked up by the ``type`` key of their config in the registry
(:func:`driftwatch.alerts.sink_class`); :func:`driftwatch.alerts.register_sink` adds one. This
module is only the contract, so the sinks and the registry import it and it imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
from driftwatch.errors import mask_secrets
from driftwatch.timeutil import Clock, system_clock

if TYPE_CHECKING:  # httpx is imported by the HTTP sinks only when they send
    import httpx

__all__ = ["Sink", "SinkFactory", "SinkOptions", "scrub", "secret_values"]


class Sink(Protocol):
    """Delivers notifications to one destination.

    ``send`` makes exactly one delivery attempt of ``message`` and returns when it was accepted.
    Raises :class:`~driftwatch.errors.DeliveryError` otherwise, with ``permanent`` saying whether a
    retry can help; its message names the sink and never contains a secret.
    """

    name: str

    def send(self, message: Message) -> None: ...


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
