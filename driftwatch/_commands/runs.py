"""Run monitors once, each in its own transaction with its alert lifecycle: what every command
that computes windows (``run``, ``backfill``, the scheduler) goes through.

It sits below :mod:`driftwatch.api` and the scheduler so that both can use it without importing
each other. Import it from :mod:`driftwatch.api`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from sqlalchemy.orm import Session

from driftwatch._commands.progress import Progress, ProgressEvent
from driftwatch.alerts import apply_run
from driftwatch.config import Config
from driftwatch.errors import DriftwatchError
from driftwatch.monitor import MonitorRunner
from driftwatch.results import RunOutcome, Trigger
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, TimeWindow, system_clock

__all__ = ["run_monitors"]


def run_monitors(
    config: Config,
    store: Store | None,
    names: Sequence[str] | None = None,
    *,
    window: TimeWindow | None = None,
    trigger: Trigger = "manual",
    clock: Clock = system_clock,
    frames: Mapping[str, pd.DataFrame] | None = None,
    claimed_by: str | None = None,
    progress: Progress | None = None,
) -> list[RunOutcome]:
    """Run each named monitor (all by default) once; one failing monitor never stops the others.

    With a store, each run's alert lifecycle and notifications are written in the run's own
    transaction (a skipped re-run changes nothing); sending them is :func:`dispatch_pending`'s job.
    ``claimed_by`` names the scheduler that claimed the window (stored in ``runs.claimed_by``).
    ``progress`` hears of each monitor as it finishes, and of the rows each one reads (see
    :mod:`driftwatch._commands.progress`).
    """
    monitors = [config.monitor(n) for n in names] if names else list(config.monitors)
    runner = MonitorRunner(config, store=store, clock=clock, frames=frames, progress=progress)

    def advance_alerts(session: Session, run_id: int, outcome: RunOutcome) -> None:
        apply_run(session, run_id, outcome, config, clock())

    outcomes: list[RunOutcome] = []
    if progress is not None:
        progress(ProgressEvent("run", "monitors", 0, len(monitors)))
    for monitor in monitors:
        try:
            outcome = runner.run(
                monitor.name,
                window=window,
                trigger=trigger,
                claimed_by=claimed_by,
                in_transaction=advance_alerts,
            )
        except DriftwatchError as exc:  # e.g. the store refused the write: record, go on
            now = clock()
            outcome = RunOutcome(
                monitor=monitor.name,
                window=window if window is not None else runner.default_window(monitor, now),
                status="failed",
                started_at=now,
                finished_at=now,
                duration_seconds=0.0,
                error=str(exc),
                trigger=trigger,
            )
        outcomes.append(outcome)
        if progress is not None:
            event = ProgressEvent(
                "run", "monitors", len(outcomes), len(monitors), monitor.name, outcome.status
            )
            progress(event)
    return outcomes
