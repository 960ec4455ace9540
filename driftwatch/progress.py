"""Progress of long commands as values: the API reports, the CLI decides how (or whether) to show.

A command that takes a ``progress`` callback calls it with a :class:`ProgressEvent` before its
first unit of work and after each one (a monitor of ``run``, a window of ``backfill``); ``run``
also reports the rows each monitor has read so far (unit ``rows``, task ``reference`` or
``live``), once per chunk, ending with an event whose ``total`` is the true row count. The
callback must be quick and must not raise; None (the default) reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Progress", "ProgressEvent", "ProgressUnit"]

ProgressUnit = Literal["monitors", "windows", "rows"]


@dataclass(frozen=True)
class ProgressEvent:
    """``done`` of ``total`` units of ``task`` are finished; ``item`` names the last one."""

    task: str
    """The command (``run``, ``backfill``), or for rows what is read (``reference``, ``live``)."""
    unit: ProgressUnit
    done: int
    total: int | None
    """None when the source cannot say cheaply how many rows it holds (an indeterminate bar)."""
    item: str | None = None
    """The monitor or window just finished (None on the first event); for rows, the monitor."""
    status: str | None = None
    """Its status (``succeeded``, ``no_data``, ``failed``, ``done`` ...)."""

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


Progress = Callable[[ProgressEvent], None]
"""The callback type: called once per event, on the thread doing the work."""
