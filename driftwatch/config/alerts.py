"""Where alerts go and how often: the sink models, silences and the alerting policy.

``type`` picks the sink model (a pydantic discriminated union); the senders themselves live in
:mod:`driftwatch.alerts`.
"""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from driftwatch.config._common import Duration, Model, UtcDatetime, type_tags
from driftwatch.errors import redact_url
from driftwatch.name_lengths import FEATURE_NAME_LENGTH, MONITOR_NAME_LENGTH, SINK_NAME_LENGTH

__all__ = [
    "LINK_PLACEHOLDERS",
    "PAGERDUTY_EVENTS_URL",
    "SINK_TYPES",
    "AlertmanagerSinkConfig",
    "AlertsConfig",
    "DatasetDriftConfig",
    "EmailSinkConfig",
    "LinksConfig",
    "LogSinkConfig",
    "PagerDutySinkConfig",
    "SilenceConfig",
    "SinkConfig",
    "SlackSinkConfig",
    "WebhookSinkConfig",
]


class _SinkBase(Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=SINK_NAME_LENGTH)


def _check_http_url(url: str) -> str:
    """An absolute ``http(s)://host...`` URL, or ValueError saying why it can never work."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"scheme {parts.scheme + '://'!r}" if parts.scheme else "no scheme"
        raise ValueError(
            f"URL {redact_url(url)!r} has {shown}; a sink posts to an http:// or https:// URL"
        )
    try:
        parts.port  # noqa: B018 (reading it validates the port)
    except ValueError:
        raise ValueError(f"URL {redact_url(url)!r} has a port that is not a number") from None
    if not parts.hostname:
        raise ValueError(f"URL {redact_url(url)!r} has no host name")
    return url


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
"""A URL a sink can post to; anything else is refused when the config is read, not retried."""


class LogSinkConfig(_SinkBase):
    type: Literal["log"]
    level: Literal["debug", "info", "warning", "error"] = "warning"


class WebhookSinkConfig(_SinkBase):
    """JSON POST; with ``secret`` set, an HMAC-SHA256 signature header (see README "Alerts")."""

    type: Literal["webhook"]
    url: HttpUrl
    secret: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = timedelta(seconds=10)


class SlackSinkConfig(_SinkBase):
    type: Literal["slack"]
    url: HttpUrl
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


class AlertmanagerSinkConfig(_SinkBase):
    """Alerts POSTed to Alertmanager's API v2 (``{url}/api/v2/alerts``).

    A firing alert is sent with ``endsAt`` = send time + ``ends_after``: Alertmanager resolves an
    alert by itself once ``endsAt`` passes (its ``resolve_timeout`` applies only to alerts sent
    without one). driftwatch re-sends a firing alert only every ``alerts.repeat_interval`` (at the
    first run after it), so ``ends_after`` must be longer than ``repeat_interval`` plus the
    monitor's run interval; config loading refuses an ``ends_after`` not longer than
    ``repeat_interval``. The default, 49h, fits the default 24h repeat with a daily schedule.
    """

    type: Literal["alertmanager"]
    url: HttpUrl
    alertname: str = Field("DriftwatchDrift", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    ends_after: Duration = timedelta(hours=49)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = timedelta(seconds=10)


PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class PagerDutySinkConfig(_SinkBase):
    """PagerDuty Events API v2: ``trigger``/``resolve`` per (monitor, feature, metric).

    ``routing_key`` is the integration key: write it as ``${VAR}``, never in the file.
    """

    type: Literal["pagerduty"]
    routing_key: str = Field(min_length=1)
    url: HttpUrl = PAGERDUTY_EVENTS_URL
    source: str = "driftwatch"
    timeout: Duration = timedelta(seconds=10)


SinkConfig = Annotated[
    LogSinkConfig
    | WebhookSinkConfig
    | SlackSinkConfig
    | EmailSinkConfig
    | AlertmanagerSinkConfig
    | PagerDutySinkConfig,
    Field(discriminator="type"),
]
SINK_TYPES = type_tags(SinkConfig)
"""The accepted ``type:`` values of a sink, read off the union above."""


class SilenceConfig(Model):
    """Mute notifications of a monitor (optionally one feature) until ``until``."""

    monitor: str = Field(max_length=MONITOR_NAME_LENGTH)
    feature: str | None = Field(None, max_length=FEATURE_NAME_LENGTH)
    until: UtcDatetime
    reason: str = ""


class DatasetDriftConfig(Model):
    """One monitor-level alert when at least ``share`` of the features are at warn or worse."""

    enabled: bool = False
    share: float = Field(0.5, gt=0, le=1)
    suppress_feature_alerts: bool = True


LINK_PLACEHOLDERS = ("monitor", "feature", "window_start", "run_id")
"""The names a link template may use, each filled in URL-encoded."""


def _check_template(template: str) -> str:
    try:
        fields = [
            name
            for _text, name, _spec, _conv in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError as exc:
        raise ValueError(
            f"link template {template!r} is malformed ({exc}); write {{name}}, and {{{{ for a brace"
        ) from None
    for name in fields:
        if name not in LINK_PLACEHOLDERS:
            raise ValueError(
                f"link template {template!r} uses {{{name}}}; the placeholders are "
                + ", ".join(f"{{{p}}}" for p in LINK_PLACEHOLDERS)
            )
    return template


LinkTemplate = Annotated[str, AfterValidator(_check_template)]


class LinksConfig(Model):
    """Links put into every notification, templates with ``{monitor}``, ``{feature}``,
    ``{window_start}`` and ``{run_id}`` (e.g. the HTML report and a Grafana dashboard)."""

    report_url: LinkTemplate | None = None
    dashboard_url: LinkTemplate | None = None


class AlertsConfig(Model):
    repeat_interval: Duration = timedelta(hours=24)
    notify_no_data: bool = False
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(hours=1)
    sinks: tuple[SinkConfig, ...] = ()
    silences: tuple[SilenceConfig, ...] = ()
    links: LinksConfig = LinksConfig()

    @field_validator("sinks")
    @classmethod
    def _unique_sink_names(cls, sinks: tuple[SinkConfig, ...]) -> tuple[SinkConfig, ...]:
        seen: set[str] = set()
        for sink in sinks:
            if sink.name in seen:
                raise ValueError(f"sink name {sink.name!r} is used twice; names must be unique")
            seen.add(sink.name)
        return sinks

    @model_validator(mode="after")
    def _alertmanager_outlives_repeat(self) -> AlertsConfig:
        for sink in self.sinks:
            if isinstance(sink, AlertmanagerSinkConfig) and sink.ends_after <= self.repeat_interval:
                raise ValueError(
                    f"sink {sink.name!r}: ends_after ({sink.ends_after}) must be longer than "
                    f"alerts.repeat_interval ({self.repeat_interval}), or Alertmanager resolves a "
                    "firing alert before driftwatch re-sends it; raise ends_after (at least "
                    "repeat_interval plus the monitor's run interval) or lower repeat_interval"
                )
        return self
