"""Time helpers: duration parsing, UTC normalisation and an injectable clock.

driftwatch stores every timestamp in UTC and hands out timezone-aware datetimes; naive datetimes
coming from data or config are taken to be UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "TimeWindow", "as_utc", "format_duration", "parse_duration", "system_clock"]

Clock = Callable[[], datetime]
"""A zero-argument callable returning the current time, timezone-aware. Inject one in tests."""


def system_clock() -> datetime:
    """The real current time in UTC."""
    return datetime.now(UTC)


_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d|w)")


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"1h30m"``, ``"7d"`` or a number of seconds into a timedelta.

    Raises ValueError with the accepted forms when ``text`` is not a positive duration.
    """
    try:
        value = _duration(text)
    except OverflowError:  # timedelta holds at most 999999999 days
        raise ValueError(f"duration {text!r} is too large to represent") from None
    except ValueError as exc:  # float('nan') and friends
        if "duration" in str(exc):
            raise
        raise ValueError(f"expected a finite duration such as '15m', found {text!r}") from None
    if value <= timedelta(0):
        raise ValueError(f"expected a positive duration, found {text!r}")
    return value


def _duration(text: str | int | float | timedelta) -> timedelta:
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise ValueError(f"expected a duration such as '15m', '1h' or '7d', found {text!r}")
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    compact = str(text).strip().lower().replace(" ", "")
    pos, value = 0, timedelta()
    for match in _DURATION.finditer(compact):
        if match.start() != pos:
            break
        value += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ValueError(
            f"expected a duration such as '90s', '15m', '1h', '1h30m' or '7d', found {text!r}"
        )
    return value


def format_duration(value: timedelta) -> str:
    """Render a timedelta compactly (``"1h30m"``), the inverse of :func:`parse_duration`."""
    seconds = value.total_seconds()
    if seconds != int(seconds):
        return f"{seconds:g}s"
    remaining, parts = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class TimeWindow:
    """A half-open time range ``[start, end)`` in UTC; naive datetimes are taken to be UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.start, datetime) or not isinstance(self.end, datetime):
            raise TypeError(
                f"a time window needs two datetimes, found {self.start!r} and {self.end!r}"
            )
        start, end = as_utc(self.start), as_utc(self.end)
        if start >= end:
            raise ValueError(
                f"a time window needs start < end, found start={start.isoformat()} "
                f"and end={end.isoformat()}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"
