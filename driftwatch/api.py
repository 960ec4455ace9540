"""The Python API: what the CLI does, as typed functions returning pandas DataFrames."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from driftwatch.alerts import apply_run, dispatch_pending
from driftwatch.config import Config, load_config
from driftwatch.errors import DriftwatchError
from driftwatch.monitor import MonitorRunner
from driftwatch.results import RunOutcome, Trigger, results_frame
from driftwatch.store.repository import Store
from driftwatch.timeutil import Clock, TimeWindow, system_clock

__all__ = ["open_store", "run_monitor", "run_monitors"]

log = logging.getLogger("driftwatch")


def _as_config(config: Config | str | os.PathLike[str]) -> Config:
    return config if isinstance(config, Config) else load_config(Path(config))


@contextmanager
def open_store(config: Config, database: str | None = None) -> Iterator[Store]:
    """The store named by ``database`` or the config, migrated if brand new; closed after."""
    hint = f"--config {config.source_file}" if config.source_file else "--config FILE"
    store = Store.open(database or config.database, config_hint=hint)
    try:
        yield store
    finally:
        store.close()


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
) -> list[RunOutcome]:
    """Run each named monitor (all by default) once; one failing monitor never stops the others.

    With a store, each run's alert lifecycle and notifications are written in the run's own
    transaction (a skipped re-run changes nothing); sending them is :func:`dispatch_pending`'s job.
    ``claimed_by`` names the scheduler that claimed the window (stored in ``runs.claimed_by``).
    """
    monitors = [config.monitor(n) for n in names] if names else list(config.monitors)
    runner = MonitorRunner(config, store=store, clock=clock, frames=frames)

    def advance_alerts(session: Session, run_id: int, outcome: RunOutcome) -> None:
        apply_run(session, run_id, outcome, config, clock())

    outcomes = []
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
    return outcomes


def run_monitor(
    config: Config | str | os.PathLike[str],
    monitor: str | None = None,
    *,
    window: TimeWindow | tuple[datetime, datetime] | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    database: str | None = None,
    store: bool = True,
    clock: Clock = system_clock,
    dispatch: bool = True,
) -> pd.DataFrame:
    """Run one monitor (or all, when ``monitor`` is None) and return its results as a DataFrame.

    ``frames`` feeds ``type: dataframe`` sources by name. With ``store=False`` nothing is written:
    the results are only computed and returned. With ``dispatch`` (the default) the notifications
    the run queued are sent right after it committed, as ``driftwatch run`` does.
    """
    cfg = _as_config(config)
    names = [monitor] if monitor else None
    if isinstance(window, tuple):
        window = TimeWindow(*window)
    if not store:
        return results_frame(
            run_monitors(cfg, None, names, window=window, clock=clock, frames=frames)
        )
    with open_store(cfg, database) as results_store:
        outcomes = run_monitors(
            cfg, results_store, names, window=window, clock=clock, frames=frames
        )
        if dispatch:
            dispatch_pending(results_store, cfg, clock=clock)
    return results_frame(outcomes)
