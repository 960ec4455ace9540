"""How the CLI writes values: one formatter per kind of value, shared by every command.

Numbers, shares, p-values, counts, times, durations and status styles are formatted here and
nowhere else, so a table of ``run``, ``report``, ``history``, ``status`` and ``alerts`` shows the
same value the same way, and changing the format (significant digits, a compact layout) is one
edit. Missing values (None, NaN, ``pd.NA``, ``NaT``) are shown as ``—`` by every formatter.
"""

from __future__ import annotations

import math
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from driftwatch.timeutil import format_duration

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MISSING",
    "STATUS_STYLE",
    "cell",
    "count",
    "duration",
    "is_missing",
    "number",
    "p_value",
    "records",
    "share",
    "text",
    "threshold",
    "when",
]

MISSING = "—"

STATUS_STYLE = {
    "critical": "bold red",
    "warn": "yellow",
    "ok": "green",
    "no_data": "dim",
    "error": "bold magenta",
}
"""The rich style of each feature status (any other status is printed plain)."""


def is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` and ``NaT``: a value the store or the run did not have."""
    if value is None or pandas_missing(value):
        return True
    return isinstance(value, float) and math.isnan(value)


def pandas_missing(value: Any) -> bool:
    """``pd.NA`` or ``NaT``, asked without importing pandas (``validate`` never loads it): when
    pandas is not imported, no value can be one of them."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def number(value: Any, digits: int = 3) -> str:
    """A metric value to ``digits`` significant digits (0.0025, 1.23e-05, 0), never rounded to 0.

    Significant digits rather than fixed decimals: divergences span many orders of magnitude
    (a JS of 3e-05 next to one of 0.4), and four fixed decimals would print the first as 0.0000.
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):.{digits}g}"


def threshold(value: Any) -> str:
    """A warn or critical threshold exactly as configured (0.0025, not 0.003)."""
    return MISSING if is_missing(value) else f"{float(value):.12g}"


def count(value: Any) -> str:
    """A row count."""
    return MISSING if is_missing(value) else str(int(value))


def share(value: Any) -> str:
    """A share of rows (0.123 → ``12.3%``)."""
    return MISSING if is_missing(value) else f"{100 * value:.1f}%"


def p_value(value: Any) -> str:
    """A test's p-value: two significant digits, and ``<1e-12`` below what floats resolve."""
    if is_missing(value):
        return MISSING
    return "<1e-12" if value < 1e-12 else f"{value:.2g}"


def when(value: datetime | None, *, seconds: bool = False) -> str:
    """A UTC time to the minute (or the second)."""
    if is_missing(value):
        return MISSING
    assert value is not None
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(value: timedelta) -> str:
    """A duration as the config writes it (``90m`` → ``1h30m``)."""
    return format_duration(value)


def text(value: Any) -> str:
    """Free text (a reason, an error), empty when missing."""
    return "" if is_missing(value) else str(value)


def cell(value: Any) -> str:
    """Any value of a listing: times to the second, floats to four significant digits."""
    if is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return when(value, seconds=True)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
