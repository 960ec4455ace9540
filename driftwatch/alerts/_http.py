"""One JSON POST with the outbox's retry classification, shared by the HTTP sinks.

The answer is streamed: at most :data:`BODY_CAP` bytes of its body are read (for the error message
and so a small answer frees its connection for the next POST), the rest is never read and the
connection is closed, so a receiver answering gigabytes costs 64 KiB. ``Retry-After`` (seconds or
an HTTP date) is passed on, bounded, with a retryable failure (:class:`RetryLater`); a transport
failure says which one it was: a timeout (and of which phase), a TLS or certificate failure, a
host name that does not resolve, a refused connection.
"""

from __future__ import annotations

import email.utils
import socket
import ssl
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import httpx

from driftwatch.alerts.base import RetryLater
from driftwatch.errors import DeliveryError, redact_url
from driftwatch.text import one_line

__all__ = [
    "BODY_CAP",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUS",
    "post",
    "retry_after_seconds",
    "transport_failure",
]

RETRYABLE_STATUS = frozenset({408, 429})
BODY_CAP = 64 * 1024
"""The most of an answer's body ever read (its first bytes; the rest is never read)."""
EXCERPT = 200
"""The most characters of an error answer's body quoted in the error."""
MAX_RETRY_AFTER = 3600.0
"""A longer ``Retry-After`` is cut to this (seconds): a receiver cannot park a row for days."""


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    where: str,
) -> None:
    """POST ``body``; return when the answer is 2xx, else raise DeliveryError (``where`` names
    the target).

    2xx is delivered. 408, 429, 5xx, timeouts and transport failures may pass later (retry; a
    ``Retry-After`` makes it :class:`RetryLater`); any other status (4xx, an unfollowed 3xx) will
    not (permanent). An error quotes at most :data:`EXCERPT` characters of the answer's body, with
    the URL and any URL in it redacted (the outbox also hides the sink's secrets in it).
    """
    try:
        with client.stream("POST", url, content=body, headers=dict(headers)) as response:
            status = response.status_code
            try:
                head = _read_capped(response.iter_raw())
            except httpx.StreamConsumed:  # a test transport's answer, already in memory
                head = response.content[:BODY_CAP]
            except httpx.TransportError:  # the status is in: it decides
                head = b""
            identity = response.headers.get("Content-Encoding", "identity") == "identity"
            retry_after = response.headers.get("Retry-After")
            reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    except httpx.TransportError as exc:
        raise DeliveryError(f"{where}: {transport_failure(exc, url)}; will retry") from None
    if 200 <= status < 300:
        return
    excerpt = _excerpt(head, url) if identity else ""
    if excerpt:
        reason += f": {excerpt}"
    if status >= 500 or status in RETRYABLE_STATUS:
        wait = retry_after_seconds(retry_after, datetime.now(UTC))
        if wait is not None:
            raise RetryLater(
                f"{where}: {reason}; will retry (Retry-After: {wait:g} s)", retry_after=wait
            )
        raise DeliveryError(f"{where}: {reason}; will retry")
    raise DeliveryError(
        f"{where}: {reason}; not retried (check the URL and the receiver's configuration)",
        permanent=True,
    )


def _read_capped(chunks: Iterator[bytes]) -> bytes:
    """The first :data:`BODY_CAP` bytes of ``chunks``; stops reading there."""
    kept = bytearray()
    for chunk in chunks:
        kept += chunk[: BODY_CAP - len(kept)]
        if len(kept) >= BODY_CAP:
            break
    return bytes(kept)


def _excerpt(head: bytes, url: str) -> str:
    """The start of an error answer as one printable line, with the URL (whole, its path, its
    query) and any URL inside redacted: a receiver may echo the request back."""
    text = one_line(head[: EXCERPT * 4].decode("utf-8", errors="replace"))
    parsed = httpx.URL(url)
    for part in (url, parsed.raw_path.decode("ascii", "replace"), parsed.query.decode()):
        if len(part) > 1:
            text = text.replace(part, "***")
    text = "".join(c for c in redact_url(text) if c.isprintable())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header (delay-seconds or an HTTP date) as seconds from ``now``, within
    [0, :data:`MAX_RETRY_AFTER`]; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(min(int(value[:12]), int(MAX_RETRY_AFTER)))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


_TIMEOUT_PHASE = {
    httpx.ConnectTimeout: "connecting",
    httpx.WriteTimeout: "sending",
    httpx.ReadTimeout: "waiting for the answer",
    httpx.PoolTimeout: "waiting for a free connection",
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it (httpx → httpcore → the socket or ssl error)."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        yield found
        found = found.__cause__ or found.__context__


def transport_failure(exc: httpx.TransportError, url: str) -> str:
    """One line saying which transport failure ``exc`` is; never the URL's path or query."""
    target = httpx.URL(url)
    host = target.host or "?"
    port = target.port or (443 if target.scheme == "https" else 80)
    if isinstance(exc, httpx.TimeoutException):
        phase = next((p for t, p in _TIMEOUT_PHASE.items() if isinstance(exc, t)), None)
        return f"timed out {phase}" if phase else "timed out"
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or cause.reason or "not trusted"
            return f"TLS: the certificate of {host} was refused ({detail})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS: the handshake with {host}:{port} failed ({cause.reason or cause})"
        if isinstance(cause, socket.gaierror):
            detail = cause.strerror or "no such host"
            return f"DNS: cannot resolve the host name {host!r} ({detail})"
        if isinstance(cause, ConnectionRefusedError):
            return f"cannot connect: connection refused by {host}:{port} (is the receiver up?)"
    if isinstance(exc, httpx.ConnectError):
        errors = (c.strerror for c in _causes(exc) if isinstance(c, OSError) and c.strerror)
        detail = next(errors, None) or type(exc).__name__
        return f"cannot connect to {host}:{port} ({detail})"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"the connection to {host}:{port} broke mid-request ({type(exc).__name__})"
    return f"cannot connect ({type(exc).__name__})"
