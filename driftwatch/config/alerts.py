"""Where alerts go and how often: the sink models, silences and the alerting policy.

``type`` picks the sink model (a pydantic discriminated union); the senders themselves live in
:mod:`driftwatch.alerts`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator

from driftwatch.config._common import Duration, Model, UtcDatetime, type_tags

__all__ = [
    "SINK_TYPES",
    "AlertsConfig",
    "DatasetDriftConfig",
    "EmailSinkConfig",
    "LogSinkConfig",
    "SilenceConfig",
    "SinkConfig",
    "SlackSinkConfig",
    "WebhookSinkConfig",
]


class _SinkBase(Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


class LogSinkConfig(_SinkBase):
    type: Literal["log"]
    level: Literal["debug", "info", "warning", "error"] = "warning"


class WebhookSinkConfig(_SinkBase):
    """JSON POST; with ``secret`` set, an HMAC-SHA256 signature header (see README "Alerts")."""

    type: Literal["webhook"]
    url: str
    secret: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = timedelta(seconds=10)


class SlackSinkConfig(_SinkBase):
    type: Literal["slack"]
    url: str
    timeout: Duration = timedelta(seconds=10)
    top_features: int = Field(5, ge=1, le=50)


class EmailSinkConfig(_SinkBase):
    type: Literal["email"]
    host: str
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=10)


SinkConfig = Annotated[
    LogSinkConfig | WebhookSinkConfig | SlackSinkConfig | EmailSinkConfig,
    Field(discriminator="type"),
]
SINK_TYPES = type_tags(SinkConfig)
"""The accepted ``type:`` values of a sink, read off the union above."""


class SilenceConfig(Model):
    """Mute notifications of a monitor (optionally one feature) until ``until``."""

    monitor: str
    feature: str | None = None
    until: UtcDatetime
    reason: str = ""


class DatasetDriftConfig(Model):
    """One monitor-level alert when at least ``share`` of the features are at warn or worse."""

    enabled: bool = False
    share: float = Field(0.5, gt=0, le=1)
    suppress_feature_alerts: bool = True


class AlertsConfig(Model):
    repeat_interval: Duration = timedelta(hours=24)
    notify_no_data: bool = False
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(hours=1)
    sinks: tuple[SinkConfig, ...] = ()
    silences: tuple[SilenceConfig, ...] = ()

    @field_validator("sinks")
    @classmethod
    def _unique_sink_names(cls, sinks: tuple[SinkConfig, ...]) -> tuple[SinkConfig, ...]:
        seen: set[str] = set()
        for sink in sinks:
            if sink.name in seen:
                raise ValueError(f"sink name {sink.name!r} is used twice; names must be unique")
            seen.add(sink.name)
        return sinks
