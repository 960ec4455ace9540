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
that quotes a text that may hold known secrets (a driver's or a server's reply, a query with values
from the environment) uses :func:`redact` with the secrets it knows (:func:`url_secrets` gives a
URL's). They are the only places that write ``***``. A URL whose password SQLAlchemy would misread
(an unescaped ``@``, a port that is not a number) is refused before it is used, in words that never
quote it (:func:`url_problem`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote

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
    "redact",
    "redact_url",
    "url_problem",
    "url_secrets",
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
# ``scheme://user:password@rest`` with the password running to the *last* "@": what the writer of
# a URL with an unescaped "@" in its password meant (SQLAlchemy stops the password at the first).
_USERINFO = re.compile(
    r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):(?P<password>.*)@(?P<rest>[^@]*)", re.S
)
_MIN_SECRET = 3
"""Shorter secrets are not masked in free text: replacing every "ab" would garble any message."""
_QUOTED = re.compile(r"\"([^\"]{4,})\"|'([^']{4,})'")

PERCENT_ENCODE = (
    "percent-encode special characters in the password (@ → %40, / → %2F, : → %3A, # → %23, "
    "? → %3F, % → %25), e.g. with urllib.parse.quote(password, safe='')"
)
"""How to fix a URL whose password SQLAlchemy cannot read as written."""


def url_problem(url: str) -> str | None:
    """Why SQLAlchemy would misread ``url`` (the words never quote it), or None.

    Two mistakes are caught: an ``@`` that is not percent-encoded in the password (or user name):
    SQLAlchemy ends the password at the first ``@`` and reads the rest of it as host, port and
    database, so pieces of the password would reach the driver and its messages; and a port that
    is not a number. Text that is not a URL at all is left to the caller (None).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    found = _USERINFO.fullmatch(str(url).strip())
    if found is not None and "@" in found["password"]:
        return (
            "has an '@' in its password (or user name) that is not percent-encoded, which "
            f"would make the rest of the password read as the host; {PERCENT_ENCODE}"
        )
    try:
        make_url(url)
    except ArgumentError:
        return None
    except ValueError:  # int(port)
        return "has a port that is not a number"
    return None


def url_secrets(url: str | None) -> frozenset[str]:
    """The password of ``url`` in every form a message may show it: as written in the URL (up to
    its last ``@``), decoded, and percent-encoded; empty when the URL has none."""
    if not url:
        return frozenset()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    found: set[str] = set()
    written = _USERINFO.fullmatch(str(url).strip())
    if written is not None:
        found.add(written["password"])
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        password = None
    if password is not None:
        found.add(str(password))
    return frozenset(_variants(found))


def _variants(secrets: Iterable[str | None]) -> set[str]:
    """Each secret as written, percent-decoded and -encoded, and as repr() and JSON quote it."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        for text in (secret, unquote(secret)):
            forms.update(
                (
                    text,
                    quote(text, safe=""),
                    quote_plus(text, safe=""),
                    repr(text)[1:-1],
                    json.dumps(text)[1:-1],
                    json.dumps(text, ensure_ascii=False)[1:-1],
                )
            )
    return forms


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` safe to show: every known secret hidden (in each form :func:`_variants` lists),
    a quoted piece of one hidden too (a driver quotes the token it stopped at), then every URL in
    it redacted (:func:`redact_url`). The one helper for text that may quote secrets."""
    forms = {s for s in _variants(secrets) if len(s) >= _MIN_SECRET}
    text = mask_secrets(str(text), forms)
    if forms:

        def piece(match: re.Match[str]) -> str:
            quoted = match.group(1) or match.group(2)
            if any(quoted in form for form in forms):
                return match.group(0).replace(quoted, _HIDDEN)
            return match.group(0)

        text = _QUOTED.sub(piece, text)
    return redact_url(text)


def redact_url(url: str) -> str:
    """``url`` with its password, secret-looking query values and Slack path shown as ``***``.

    The URL is read by SQLAlchemy's parser (``make_url``), never by splitting the string, and
    rendered with ``hide_password``. An unescaped ``@`` in a password (which SQLAlchemy reads as
    the end of the password) is hidden too: everything between the user name and the URL's last
    ``@`` is the password, and is hidden as written. Text that is not one URL (a driver's message)
    has each URL inside it redacted. A URL with nothing to hide is returned exactly as written.
    """
    text = str(url)
    if _URL_IN_TEXT.fullmatch(text.strip()) is None and not _one_url(text):
        return _URL_IN_TEXT.sub(_redact_match, text)
    return _redact_one(text)


def _one_url(text: str) -> bool:
    """Whether ``text`` is one URL whose password holds characters that end a URL in a sentence
    (a space, a quote): nothing but its password may, what follows the last ``@`` is one word."""
    written = _USERINFO.fullmatch(text.strip())
    return written is not None and re.fullmatch(r"[^\s'\"<>()]*", written["rest"]) is not None


def _redact_match(match: re.Match[str]) -> str:
    token = match.group(0)
    url = token.rstrip(".,;:")  # the sentence's punctuation, not the URL's
    return _redact_one(url) + token[len(url) :]


def _redact_one(text: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    written = _USERINFO.fullmatch(text.strip())
    if written is not None and "@" in written["password"]:
        return _hide_written_password(written)
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):  # e.g. a port that is not a number
        return text if written is None else _hide_written_password(written)
    changed = False
    host = parsed.host or ""
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


def _hide_written_password(written: re.Match[str]) -> str:
    """``scheme://user:***@rest``: the password hidden as written, the rest redacted in turn."""
    scheme = written["head"].partition("://")[0]
    rest = _redact_one(f"{scheme}://{written['rest']}")[len(scheme) + 3 :]
    return f"{written['head']}:{_HIDDEN}@{rest}"
