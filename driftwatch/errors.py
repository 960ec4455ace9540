"""driftwatch's exceptions: one root, a few branches, each a user-facing one-line message.

Every message says *what* went wrong, *where* (file, key path, monitor, column) and *how to fix
it*. Only the CLI edge catches :class:`DriftwatchError`; it prints ``str(error)`` as one line and
exits 2.

    DriftwatchError                  catch this to handle any driftwatch failure
    ├── ConfigError                  the YAML config is missing, malformed or invalid
    ├── SourceError                  a data source cannot be read (missing file, bad query)
    │   └── ColumnError              a configured column is absent or has the wrong type
    ├── EngineError                  the numbers cannot be computed (mismatched bins, bad edges)
    ├── StoreError                   the results database is unreachable or refuses a write
    │   ├── SchemaOutOfDateError     the schema is behind the code: `driftwatch db upgrade`
    │   └── RollupError              stored windows do not add up to a span (gap, changed bins)
    ├── AlertError                   a sink is misconfigured or a notification cannot be built
    │   └── DeliveryError            a sink failed to deliver (``permanent`` says whether to retry)
    └── SchedulerError               a schedule cannot be set up (bad cron, bad timezone)

Secrets never appear in messages: code that builds one from a URL uses :func:`redact_url`.
"""

from __future__ import annotations

import re

__all__ = [
    "AlertError",
    "ColumnError",
    "ConfigError",
    "DeliveryError",
    "DriftwatchError",
    "EngineError",
    "RollupError",
    "SchedulerError",
    "SchemaOutOfDateError",
    "SourceError",
    "StoreError",
    "redact_url",
]


class DriftwatchError(Exception):
    """Root of every error driftwatch raises on purpose; its text is one line meant for a user."""


class ConfigError(DriftwatchError):
    """The configuration file is missing, not YAML, or fails validation."""


class SourceError(DriftwatchError):
    """A reference or live source cannot be read."""


class ColumnError(SourceError):
    """A configured feature column is missing from the data or holds the wrong type."""


class EngineError(DriftwatchError):
    """Histograms or divergences cannot be computed from the given inputs."""


class StoreError(DriftwatchError):
    """The results database cannot be reached or written."""


class SchemaOutOfDateError(StoreError):
    """The results database's schema is older (or newer) than this version of driftwatch."""


class RollupError(StoreError):
    """The stored windows of a span cannot be added up: a window is missing (a gap) or the bins
    changed inside it (the reference profile changed); the message names the windows."""


class AlertError(DriftwatchError):
    """An alert sink is misconfigured or a notification cannot be built."""


class DeliveryError(AlertError):
    """A sink could not deliver a notification.

    ``permanent`` is True when retrying cannot help (e.g. HTTP 400/401/404), so the outbox marks the
    notification dead at once instead of backing off.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SchedulerError(DriftwatchError):
    """A schedule (cron expression, interval, timezone) cannot be built."""


_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)@")
_URL_QUERY_SECRET = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|token|secret|key|api_key|apikey|sig|signature)=)[^&\s]*",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """Return ``url`` with any password or secret-looking query value replaced by ``***``.

    Slack incoming-webhook URLs carry their secret in the path, so their path is hidden too.
    """
    text = _URL_PASSWORD.sub(r"\g<head>***@", str(url))
    text = _URL_QUERY_SECRET.sub(r"\g<head>***", text)
    return re.sub(r"(hooks\.slack\.com/services/)\S+", r"\1***", text)
