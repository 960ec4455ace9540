"""One JSON POST with the outbox's retry classification, shared by the webhook and Slack sinks."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from driftwatch.errors import DeliveryError

__all__ = ["RETRYABLE_STATUS", "post"]

RETRYABLE_STATUS = frozenset({408, 429})


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    where: str,
) -> httpx.Response:
    """POST ``body``; return a 2xx response or raise DeliveryError (``where`` names the target).

    2xx is delivered. 408, 429, 5xx, timeouts and connection errors may pass later (retry); any
    other status (4xx, an unfollowed 3xx) will not (permanent). The response body is not quoted in
    errors: a receiver may echo the request's headers back.
    """
    try:
        response = client.post(url, content=body, headers=dict(headers))
    except httpx.TimeoutException:
        raise DeliveryError(f"{where}: timed out; will retry") from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"{where}: cannot connect ({type(exc).__name__}); will retry") from None
    status = response.status_code
    if 200 <= status < 300:
        return response
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status >= 500 or status in RETRYABLE_STATUS:
        raise DeliveryError(f"{where}: {reason}; will retry")
    raise DeliveryError(
        f"{where}: {reason}; not retried (check the URL and the receiver's configuration)",
        permanent=True,
    )
