"""The registry of sink types: the ``type`` key of a sink's config → the class that sends.

The built-in sinks are registered when this module is imported, each under the ``type`` its config
model declares (``type: Literal["webhook"]``), so a type name is written once, in the config, and
registering a custom sink adds to them and never hides one.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from driftwatch.alerts.alertmanager import AlertmanagerSink
from driftwatch.alerts.base import Sink, SinkFactory, SinkOptions
from driftwatch.alerts.email import EmailSink
from driftwatch.alerts.log import LogSink
from driftwatch.alerts.pagerduty import PagerDutySink
from driftwatch.alerts.slack import SlackSink
from driftwatch.alerts.webhook import WebhookSink
from driftwatch.config import SinkConfig
from driftwatch.errors import AlertError

__all__ = ["BUILTIN_SINKS", "build_sink", "register_sink", "sink_class", "sink_types"]

BUILTIN_SINKS: tuple[
    type[LogSink | WebhookSink | SlackSink | EmailSink | AlertmanagerSink | PagerDutySink], ...
] = (
    LogSink,
    WebhookSink,
    SlackSink,
    EmailSink,
    AlertmanagerSink,
    PagerDutySink,
)


def config_type(model: type[BaseModel]) -> str:
    """The ``type`` tag a sink config model accepts (its ``type: Literal[...]`` field)."""
    (tag,) = get_args(model.model_fields["type"].annotation)
    return str(tag)


_SINKS: dict[str, SinkFactory] = {config_type(s.config_model): s for s in BUILTIN_SINKS}


def register_sink(type_name: str, factory: SinkFactory) -> None:
    """Make ``type: type_name`` sinks buildable (the config model must accept the type too).

    Re-registering a name replaces its factory (a test double for a built-in, say).
    """
    _SINKS[type_name] = factory


def sink_types() -> tuple[str, ...]:
    """Every registered sink type, sorted."""
    return tuple(sorted(_SINKS))


def sink_class(type_name: str) -> SinkFactory:
    """The registered class of a sink type; AlertError listing the accepted names otherwise."""
    try:
        return _SINKS[type_name]
    except KeyError:
        raise AlertError(
            f"unknown sink type {type_name!r}; choose one of: {', '.join(sink_types())}"
        ) from None


def build_sink(config: SinkConfig, options: SinkOptions | None = None) -> Sink:
    """A ready sink for ``config``."""
    return sink_class(config.type)(config, options or SinkOptions())
