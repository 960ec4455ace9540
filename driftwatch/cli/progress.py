"""Progress of long commands on stderr, rendered from the API's :class:`ProgressEvent` values.

- a terminal with text logs: a rich progress bar (k/N, elapsed, ETA) that disappears when done,
  plus one for the rows the current monitor reads (rows k/N, or a spinner with the count when
  the total is unknown), gone when that read ends;
- not a terminal, or ``--log-format json``: a ``progress`` log event every :data:`LOG_EVERY`
  seconds of work, and one at the end when any came before (work shorter than that logs
  nothing, so cron and CI logs stay short); rows are logged only on the periodic ticks;
- ``-q``: nothing.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from driftwatch.cli.main import settings
from driftwatch.logevents import log_event
from driftwatch.progress import Progress as ProgressCallback
from driftwatch.progress import ProgressEvent

if TYPE_CHECKING:  # rich.progress (and rich.live under it) only loads when a bar is drawn
    from rich.progress import Progress, TaskID

__all__ = ["LOG_EVERY", "progress_reporter"]

LOG_EVERY = 10.0
"""Seconds between two progress log events when stderr is not a terminal."""

log = logging.getLogger("driftwatch.progress")


class _Bar:
    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None
        self.reads: dict[tuple[str, str | None], TaskID] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.unit == "rows":
            self._rows(event)
            return
        if self.task is None:
            self.task = self.bar.add_task(f"{event.task} ({event.unit})", total=event.total)
        description = f"{event.task} {event.item}" if event.item else f"{event.task}"
        self.bar.update(self.task, completed=event.done, description=description)

    def _rows(self, event: ProgressEvent) -> None:
        key = (event.task, event.item)
        read = self.reads.get(key)
        description = f"  {event.item} {event.task} (rows)"
        if read is None:
            read = self.reads[key] = self.bar.add_task(description, total=event.total)
        if event.finished:
            self.bar.remove_task(self.reads.pop(key))
            return
        self.bar.update(read, completed=event.done, total=event.total)


class _Lines:
    def __init__(self, every: float) -> None:
        self.every = every
        self.started = time.monotonic()
        self.last: float | None = None

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        since = now - (self.last if self.last is not None else self.started)
        if event.unit == "rows":
            due = since >= self.every
        elif event.finished:
            due = self.last is not None or since >= self.every
        else:
            due = event.done > 0 and since >= self.every
        if not due:
            return
        self.last = now
        elapsed = now - self.started
        fields: dict[str, object] = {
            "task": event.task,
            "done": event.done,
            "total": event.total,
            "unit": event.unit,
            "elapsed_s": round(elapsed, 1),
        }
        if event.total is not None and 0 < event.done < event.total:
            fields["eta_s"] = round(elapsed / event.done * (event.total - event.done), 1)
        if event.unit == "rows":
            fields["monitor"] = event.item
        elif event.item is not None:
            fields["last"] = event.item
            fields["status"] = event.status
        log_event(log, logging.INFO, "progress", fields)


@contextmanager
def progress_reporter(*, every: float | None = None) -> Iterator[ProgressCallback | None]:
    """The progress callback for this command's settings (None under ``-q``).

    ``every`` is the seconds between log lines (default :data:`LOG_EVERY`).
    """
    chosen = settings()
    if chosen.quiet:
        yield None
        return
    err = Console(stderr=True)
    if err.is_terminal and chosen.log_format == "text" and sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            yield _Bar(bar)
        return
    previous = log.level
    log.setLevel(logging.INFO)
    try:
        yield _Lines(LOG_EVERY if every is None else every)
    finally:
        log.setLevel(previous)
