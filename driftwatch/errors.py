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

Secrets never appear in messages: code that builds one from a URL uses :func:`redact_url`, code
that quotes a text that may hold known secrets (a driver's or a server's reply) uses
:func:`mask_secrets`. They are the only two places that write ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HIDDEN = "***"

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
    "mask_secrets",
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


def mask_secrets(text: str, secrets: Iterable[str | None], *, min_length: int = 1) -> str:
    """``text`` with every secret (of at least ``min_length`` characters) replaced by ``***``,
    longest first, so that a secret containing another is hidden whole."""
    for secret in sorted({s for s in secrets if s and len(s) >= min_length}, key=len, reverse=True):
        text = text.replace(secret, _HIDDEN)
    return text


_SECRET_QUERY_KEYS = frozenset(
    {"password", "passwd", "pwd", "token", "secret", "key", "api_key", "apikey", "sig", "signature"}
)
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()]+")


def redact_url(url: str) -> str:
    """``url`` with its password, secret-looking query values and Slack path shown as ``***``.

    The URL is read by SQLAlchemy's parser (``make_url``), never by splitting the string, and
    rendered with ``hide_password``. An unescaped ``@`` in a password (which SQLAlchemy reads as
    part of the host) is hidden too: everything before the host's last ``@`` belongs to the
    password. Text that is not one URL (a driver's message) has each URL inside it redacted.
    A URL with nothing to hide is returned exactly as written.
    """
    text = str(url)
    if _URL_IN_TEXT.fullmatch(text.strip()) is None:
        return _URL_IN_TEXT.sub(_redact_match, text)
    return _redact_one(text)


def _redact_match(match: re.Match[str]) -> str:
    token = match.group(0)
    url = token.rstrip(".,;:")  # the sentence's punctuation, not the URL's
    return _redact_one(url) + token[len(url) :]


def _redact_one(text: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):  # e.g. a port that is not a number
        return _redact_unparsed(text)
    changed = False
    host = parsed.host or ""
    if "@" in host and parsed.username is not None:  # an unescaped "@" inside the password
        parsed = parsed.set(password=_HIDDEN, host=host.rpartition("@")[2])
    if parsed.password is not None:
        changed = True
    secret_keys = {k: _HIDDEN for k in parsed.query if k.lower() in _SECRET_QUERY_KEYS}
    if secret_keys:
        parsed = parsed.update_query_dict(secret_keys)
        changed = True
    if host.endswith("hooks.slack.com") and parsed.database:
        parsed = parsed.set(database=f"services/{_HIDDEN}")  # the path is the credential
        changed = True
    if not changed:
        return text
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", _HIDDEN)


def _redact_unparsed(text: str) -> str:
    """A URL SQLAlchemy refuses (a bad port): rebuilt from the standard library's reading."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        split = urlsplit(text)
    except ValueError:
        return text
    if split.password is None:
        return text
    hostport = split.netloc.rpartition("@")[2]
    netloc = f"{split.username or ''}:{_HIDDEN}@{hostport}"
    return urlunsplit(split._replace(netloc=netloc))
