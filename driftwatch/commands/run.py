"""``driftwatch run``: the named monitors once now, stored and their notifications sent."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from driftwatch.alerts.outbox import DispatchReport, dispatch_pending
from driftwatch.config import Config
from driftwatch.progress import Progress
from driftwatch.results import RunOutcome, Status, results_frame
from driftwatch.runs import run_monitors
from driftwatch.store.connect import ConfigLike, as_config, open_store
from driftwatch.timeutil import Clock, TimeWindow, system_clock

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RunReport", "error_line", "run", "run_monitor"]


@dataclass(frozen=True)
class RunReport:
    """What ``driftwatch run`` did: one outcome per monitor, and the notifications it sent."""

    outcomes: tuple[RunOutcome, ...]
    notifications: DispatchReport | None = None
    """What sending the queued notifications did; None when nothing was stored or sent."""
    dataset_drift_monitors: frozenset[str] = frozenset()
    """The monitors whose config enables the dataset-level drift rule (``dataset_drift``)."""
    stored: bool = False
    """Whether the results were written to the results database."""

    @property
    def undelivered(self) -> int:
        """Notifications this run could not deliver (left to retry, deferred, or dead)."""
        sent = self.notifications
        return 0 if sent is None else sent.retried + sent.deferred + sent.dead

    @property
    def errors(self) -> tuple[str, ...]:
        """One line per monitor that failed and per feature that could not be computed."""
        lines = []
        for outcome in self.outcomes:
            if outcome.status == "failed":
                lines.append(error_line(outcome.monitor, outcome.error or "failed"))
                continue  # its line names the features that failed, once
            lines.extend(
                error_line(outcome.monitor, feature.reason or "failed", feature=feature.name)
                for feature in outcome.features
                if feature.status == "error"
            )
        return tuple(lines)

    def any_feature_at(self, statuses: Collection[Status]) -> bool:
        """Whether any feature of any monitor ended in one of ``statuses``."""
        return any(f.status in statuses for o in self.outcomes for f in o.features)

    def to_frame(self) -> pd.DataFrame:
        """Every outcome's rows in the tidy result frame."""
        return results_frame(self.outcomes)


def error_line(monitor: str, error: str, *, feature: str | None = None) -> str:
    """One error line naming ``monitor`` (and ``feature``) once.

    A source's errors start with its role, which names the monitor (``monitor 'm1' live: ...``),
    and a feature's reason or a failed run's error can quote one: the line keeps a leading role
    as it is and drops the monitor from any other, so it never reads ``monitor 'm1': monitor
    'm1' ...``.
    """
    prefix = f"monitor {monitor!r}"
    if feature is None and error.startswith(f"{prefix} "):
        return error
    head = prefix if feature is None else f"{prefix}, feature {feature!r}"
    return f"{head}: {re.sub(re.escape(prefix) + _ROLE, '', error)}"


_ROLE = r" (?=(?:reference|live): )"
"""What follows the monitor's name in a source's role (``monitor 'm1' live: ...``)."""


def run(
    config: ConfigLike,
    monitors: Sequence[str] = (),
    *,
    window: TimeWindow | tuple[datetime, datetime] | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    database: str | None = None,
    store: bool = True,
    dispatch: bool = True,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> RunReport:
    """Run the named monitors (all by default) once now; unknown names fail before any runs.

    With ``store`` the results go to ``database`` (default: the config's, migrated if brand new)
    and, with ``dispatch``, the notifications the runs queued are sent right after the commit.
    With ``store=False`` nothing is written and nothing is sent. ``progress`` hears of each
    monitor as it finishes.
    """
    cfg = as_config(config)
    for name in monitors:
        cfg.monitor(name)
    if isinstance(window, tuple):
        window = TimeWindow(*window)
    names = list(monitors) or None
    enabled = frozenset(m.name for m in cfg.monitors if m.dataset_drift.enabled)
    if not store:
        outcomes = run_monitors(
            cfg, None, names, window=window, clock=clock, frames=frames, progress=progress
        )
        return RunReport(tuple(outcomes), dataset_drift_monitors=enabled)
    with open_store(cfg, database) as results_store:
        outcomes = run_monitors(
            cfg, results_store, names, window=window, clock=clock, frames=frames, progress=progress
        )
        sent = dispatch_pending(results_store, cfg, clock=clock) if dispatch else None
    return RunReport(tuple(outcomes), sent, enabled, stored=True)


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
    done = run(
        config,
        [monitor] if monitor else (),
        window=window,
        frames=frames,
        database=database,
        store=store,
        dispatch=dispatch,
        clock=clock,
    )
    return done.to_frame()
