"""Run monitors once, each in its own transaction with its alert lifecycle: what every command
that computes windows (``run``, ``backfill``, the scheduler) goes through.

It sits below :mod:`driftwatch.api` and the scheduler so that both can use it without importing
each other. Import it from :mod:`driftwatch.api`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from driftwatch.alerts._apply import apply_run
from driftwatch.bounded_tasks import Abandoned, Guard, Task, run_bounded
from driftwatch.config import Config, MonitorConfig
from driftwatch.errors import DriftwatchError
from driftwatch.monitor import MonitorRunner, error_text
from driftwatch.progress import Progress, ProgressEvent
from driftwatch.results import RunOutcome, Trigger
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, TimeWindow, format_duration, system_clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["run_monitors", "run_timeout"]

log = logging.getLogger("driftwatch.monitor")


def run_timeout(config: Config, monitor: MonitorConfig) -> timedelta:
    """The deadline of a run of ``monitor``: its ``run_timeout``, else ``defaults.run_timeout``."""
    return monitor.run_timeout or config.defaults.run_timeout


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
    """Run each named monitor (all by default) once; one failing monitor never stops the others,
    and one slow monitor never delays them.

    The monitors run side by side, at most ``defaults.max_parallel`` at once, each on its own
    thread under its ``run_timeout``: a run still computing at its deadline is abandoned and
    recorded ``failed`` with a one-line reason (see :mod:`driftwatch.bounded_tasks` for what that
    bounds). Outcomes come back in the order of ``names``.

    With a store, each run's alert lifecycle and notifications are written in the run's own
    transaction (a skipped re-run changes nothing); sending them is :func:`dispatch_pending`'s job.
    ``claimed_by`` names the scheduler that claimed the window (stored in ``runs.claimed_by``).
    ``progress`` hears of each monitor as it finishes, and of the rows each one reads (see
    :mod:`driftwatch.progress`).
    """
    monitors = [config.monitor(n) for n in names] if names else list(config.monitors)
    heard = _serialized(progress)

    def stoppable(guard: Guard) -> MonitorRunner:
        """The runner of one task: once the task is abandoned it stops at the next chunk it
        reads (the rows callback raises Abandoned), so a slow read does not run on for nothing."""

        def rows(event: ProgressEvent) -> None:
            if guard.abandoned:
                raise Abandoned
            if heard is not None:
                heard(event)

        return MonitorRunner(config, store=store, clock=clock, frames=frames, progress=rows)

    def advance_alerts(session: Session, run_id: int, outcome: RunOutcome) -> None:
        apply_run(session, run_id, outcome, config, clock())

    def failed(monitor: MonitorConfig, error: str, started_at: datetime) -> RunOutcome:
        return RunOutcome.failure(
            monitor.name,
            window,
            error,
            started_at=started_at,
            finished_at=clock(),
            trigger=trigger,
            claimed_by=claimed_by,
        )

    def task(monitor: MonitorConfig) -> Task[RunOutcome]:
        limit = run_timeout(config, monitor)
        began = [clock()]  # set again when the task leaves the queue

        def run(guard: Guard) -> RunOutcome:
            began[0] = clock()
            own = stoppable(guard)
            try:
                outcome = own.compute(monitor, window=window, trigger=trigger)
                if claimed_by is not None:
                    outcome = replace(outcome, claimed_by=claimed_by)
                guard.commit()  # past its deadline the caller has recorded it failed: no write
                return own.save(monitor, outcome, in_transaction=advance_alerts)
            except DriftwatchError as exc:  # e.g. the store refused the write: record, go on
                fallback = window
                if fallback is None:
                    with suppress(DriftwatchError):
                        fallback = own.default_window(monitor, clock())
                return replace(failed(monitor, error_text(monitor, exc), began[0]), window=fallback)

        def timed_out() -> RunOutcome:
            error = (
                f"run exceeded its deadline of {format_duration(limit)} (run_timeout) and was "
                "abandoned; a source or the store did not answer in time (raise run_timeout, or "
                "set the source's connect_timeout/statement_timeout)"
            )
            # Said once by whoever reports the outcome (the CLI's line, the scheduler's run line).
            log.debug("monitor %s: %s", monitor.name, error)
            outcome = failed(monitor, error, began[0])
            if store is None:
                return outcome
            try:
                saved = store.save_run(outcome)
            except DriftwatchError as exc:
                log.error("could not record the abandoned run of %s: %s", monitor.name, exc)
                return outcome
            return replace(outcome, run_id=saved.run_id)

        return Task(run, limit.total_seconds(), timed_out, name=f"run {monitor.name}")

    finished = 0

    def on_result(_index: int, outcome: RunOutcome) -> None:
        nonlocal finished
        finished += 1
        if heard is not None:
            heard(
                ProgressEvent(
                    "run", "monitors", finished, len(monitors), outcome.monitor, outcome.status
                )
            )

    if heard is not None:
        heard(ProgressEvent("run", "monitors", 0, len(monitors)))
    tasks = [task(monitor) for monitor in monitors]
    return run_bounded(tasks, config.defaults.max_parallel, on_result=on_result)


def _serialized(progress: Progress | None) -> Progress | None:
    """``progress`` behind a lock: the monitors' threads report rows at the same time."""
    if progress is None:
        return None
    lock = threading.Lock()

    def heard(event: ProgressEvent) -> None:
        with lock:
            progress(event)

    return heard
