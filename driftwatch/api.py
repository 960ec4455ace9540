"""The Python API and the command layer: one typed function per ``driftwatch`` command.

The CLI and users call the same functions (the ``alembic.command`` habit): each validates its
input, does the work and returns typed values or pandas DataFrames; none prints. ``driftwatch/cli``
only parses arguments, calls them and renders what they return.

======================  =========================================================
command                 function
======================  =========================================================
(none)                  :func:`compare` → :class:`DriftReport` (two DataFrames, no store)
``compare``             :func:`compare_stored` → :class:`DriftReport` (stored windows only)
``validate``            :func:`validate` → :class:`ValidationReport`
``run``                 :func:`run` → :class:`RunReport` (:func:`run_monitor`: a DataFrame)
``backfill``            :func:`backfill` → :class:`BackfillReport`
``schedule``            :func:`schedule` (serves until ``stop`` is set)
``status``              :func:`status` → :class:`StatusReport`
``report``/``history``  :func:`report`, :func:`history` → :class:`QueryResult`
``alerts ...``          :func:`alerts_list`, :func:`alerts_dispatch`, :func:`alerts_retry`,
                        :func:`alerts_silence`, :func:`alerts_unsilence`, :func:`alerts_test`
``db ...``              :func:`db_upgrade`, :func:`db_downgrade`, :func:`db_current`
``metrics``             :func:`metrics` → the Prometheus text exposition (str)
======================  =========================================================

Commands that only read (``status``, ``report``, ``history``, ``compare``, ``alerts list``,
``db current``)
never create or migrate a database. Commands that drive runs live here, beside
:func:`run_monitors`; the others in the private ``driftwatch._commands`` package.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from driftwatch._commands.progress import Progress, ProgressEvent
from driftwatch._commands.runs import run_monitors
from driftwatch._commands.stores import ConfigLike, open_store
from driftwatch._commands.stores import as_config as _as_config
from driftwatch.alerts import DispatchReport, dispatch_pending
from driftwatch.config import Config
from driftwatch.results import RunOutcome, Status, results_frame
from driftwatch.timeutil import Clock, TimeWindow, as_utc, system_clock

if TYPE_CHECKING:
    import pandas as pd

    from driftwatch._commands.alerts import (
        ALERT_STATES,
        AlertsListing,
        AlertStateName,
        RetryReport,
        alerts_dispatch,
        alerts_list,
        alerts_retry,
        alerts_silence,
        alerts_test,
        alerts_unsilence,
    )
    from driftwatch._commands.compare import Against, compare_stored
    from driftwatch._commands.db import (
        SchemaChange,
        SchemaRevision,
        db_current,
        db_downgrade,
        db_upgrade,
    )
    from driftwatch._commands.html import report_html
    from driftwatch._commands.results import QueryResult, history, report
    from driftwatch._commands.status import StatusReport, status
    from driftwatch._commands.validate import (
        MonitorCheck,
        SourceCheck,
        ValidationReport,
        validate,
    )
    from driftwatch.comparison import DriftReport, compare
    from driftwatch.scheduler import BatchReport
    from driftwatch.scheduler.runner import WindowResult

_LAZY = {
    "driftwatch._commands.alerts": (
        "ALERT_STATES",
        "AlertsListing",
        "AlertStateName",
        "RetryReport",
        "alerts_dispatch",
        "alerts_list",
        "alerts_retry",
        "alerts_silence",
        "alerts_test",
        "alerts_unsilence",
    ),
    "driftwatch._commands.compare": ("Against", "compare_stored"),
    "driftwatch._commands.db": (
        "SchemaChange",
        "SchemaRevision",
        "db_current",
        "db_downgrade",
        "db_upgrade",
    ),
    "driftwatch._commands.html": ("report_html",),
    "driftwatch._commands.results": ("QueryResult", "history", "report"),
    "driftwatch._commands.status": ("StatusReport", "status"),
    "driftwatch._commands.validate": (
        "MonitorCheck",
        "SourceCheck",
        "ValidationReport",
        "validate",
    ),
    "driftwatch.comparison": ("DriftReport", "compare"),
}
"""The commands a run does not use, imported on first use (PEP 562): ``driftwatch run`` pays
for the run path only, not for the alert, query, report, comparison and validation commands (and
pandas, which some of them build their frames with)."""
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_NAMES})


__all__ = [
    "ALERT_STATES",
    "Against",
    "AlertStateName",
    "AlertsListing",
    "BackfillReport",
    "ConfigLike",
    "DriftReport",
    "MonitorCheck",
    "Progress",
    "ProgressEvent",
    "QueryResult",
    "RetryReport",
    "RunReport",
    "SchemaChange",
    "SchemaRevision",
    "SourceCheck",
    "StatusReport",
    "ValidationReport",
    "alerts_dispatch",
    "alerts_list",
    "alerts_retry",
    "alerts_silence",
    "alerts_test",
    "alerts_unsilence",
    "backfill",
    "compare",
    "compare_stored",
    "db_current",
    "db_downgrade",
    "db_upgrade",
    "history",
    "metrics",
    "open_store",
    "report",
    "report_html",
    "run",
    "run_monitor",
    "run_monitors",
    "schedule",
    "status",
    "validate",
]

log = logging.getLogger("driftwatch")


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
            prefix = f"monitor {outcome.monitor!r}"
            if outcome.status == "failed":
                error = outcome.error or "failed"
                # A source's error already names the monitor ("monitor 'm1' live: ...").
                lines.append(error if error.startswith(prefix) else f"{prefix}: {error}")
                continue  # its line names the features that failed, once
            lines.extend(
                f"{prefix}, feature {feature.name!r}: {feature.reason}"
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
    cfg = _as_config(config)
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


# --- the scheduler's commands ---------------------------------------------------------------------
# The scheduler (and through it APScheduler) is imported when these run, not with this module, so
# that `import driftwatch` and `driftwatch run` do not pay for it. They hand `run_monitors` to the
# scheduler's window runner: the scheduler computes windows through this layer, never imports it.


@dataclass(frozen=True)
class BackfillReport:
    """The windows of one backfill, oldest first, and whether a stop cut it short."""

    monitor: str
    since: datetime
    until: datetime
    windows: BatchReport
    stopped: bool = False

    @property
    def failed(self) -> int:
        return self.windows.count("failed")


def backfill(
    config: ConfigLike,
    monitor: str,
    since: datetime | timedelta,
    until: datetime | None = None,
    *,
    database: str | None = None,
    rerun: bool = False,
    max_windows: int = 10_000,
    claim_ttl: timedelta = timedelta(seconds=60),
    stop: threading.Event | None = None,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> BackfillReport:
    """Compute every window of ``monitor``'s schedule between ``since`` and ``until`` (now).

    ``since`` is a datetime or a duration back from ``clock()``. Windows already computed are
    skipped unless ``rerun``, so a second backfill changes nothing. Setting ``stop`` stops after
    the window in flight. ``progress`` hears of each window as it finishes. Raises
    SchedulerError for a monitor without a usable schedule, a range that is empty or holds more
    than ``max_windows`` windows.
    """
    from driftwatch.scheduler import WindowRunner

    cfg = _as_config(config)
    cfg.monitor(monitor)
    end = as_utc(until) if until is not None else clock()
    start = clock() - since if isinstance(since, timedelta) else as_utc(since)
    stop = stop or threading.Event()
    with open_store(cfg, database) as store:
        runner = WindowRunner(
            cfg, store, clock=clock, claim_ttl=claim_ttl, stop=stop, run=run_monitors
        )
        windows = runner.backfill(
            monitor,
            start,
            end,
            rerun=rerun,
            max_windows=max_windows,
            on_window=None if progress is None else _window_progress(progress),
        )
    return BackfillReport(monitor, start, end, windows, stop.is_set())


def _window_progress(progress: Progress) -> Callable[[int, int, WindowResult | None], None]:
    def on_window(done: int, total: int, result: WindowResult | None) -> None:
        item = None if result is None else f"{result.window.start:%Y-%m-%d %H:%M}"
        status = None if result is None else str(result.status)
        progress(ProgressEvent("backfill", "windows", done, total, item, status))

    return on_window


def metrics(config: ConfigLike, *, database: str | None = None) -> str:
    """The Prometheus metrics of the results database, text exposition format (read-only)."""
    from driftwatch.ops.prometheus import metrics_text  # prometheus_client only when asked

    return metrics_text(config, database=database)


def schedule(
    config: ConfigLike,
    *,
    database: str | None = None,
    claim_ttl: timedelta = timedelta(seconds=60),
    dispatch_interval: timedelta = timedelta(seconds=5),
    stop: threading.Event | None = None,
    metrics_address: tuple[str, int] | None = None,
    grace: timedelta = timedelta(seconds=30),
) -> bool:
    """Run every scheduled monitor on its cron/interval until ``stop`` is set.

    With ``metrics_address`` (host, port) the Prometheus metrics are served at ``/metrics``.

    On start the stored jobs are synced with the config and the windows missed since each
    monitor's last run are caught up (at most ``max_catchup``); a stop waits up to ``grace`` for
    the runs in flight. Returns False when some were abandoned at the end of the grace (their
    threads still run: end the process). Raises SchedulerError when no monitor has a schedule.
    """
    from driftwatch.scheduler import WindowRunner, serve

    cfg = _as_config(config)
    with open_store(cfg, database) as store:
        runner = WindowRunner(
            cfg, store, claim_ttl=claim_ttl, stop=stop or threading.Event(), run=run_monitors
        )
        return serve(
            runner,
            dispatch_interval=dispatch_interval,
            metrics_address=metrics_address,
            grace=grace,
        )
