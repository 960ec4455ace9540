"""One run of one monitor over one window: orchestration only.

profile → count → score → correct → outcome. The reference profile (fitted bins + reference
counts, :mod:`driftwatch.profile`) is reused from the store while the reference data and the binning
config are unchanged; the live data is counted on its bins; :mod:`driftwatch.evaluate` scores each
feature and corrects across them. With a dynamic reference (``rolling``/``expanding``/``previous``)
the reference counts are the sum of the monitor's stored windows before this one, on the
bootstrap profile's bins (:func:`driftwatch.store.rollups.dynamic_reference`). One bad feature
becomes an ``error``/``no_data`` row with its reason; the others are still computed. A problem
with a whole source fails the run (a ``failed`` run row with the error), never the other monitors.

A failure is reported once, by whoever shows the outcome (the CLI's error line, the scheduler's
``run`` log event): here it is only a debug record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from driftwatch.config import Config, FeatureSpec, MonitorConfig, resolve_features
from driftwatch.engine import Histogram
from driftwatch.errors import DriftwatchError, redact
from driftwatch.evaluate import correct, dataset_drift, score_feature
from driftwatch.profile import Profile, reference_profile
from driftwatch.progress import Progress, ProgressEvent
from driftwatch.results import (
    FeatureOutcome,
    Problem,
    ReferenceUsed,
    RunOutcome,
    RunStatus,
    Trigger,
)
from driftwatch.sources import Source, open_source
from driftwatch.sources.base import RowsRead
from driftwatch.sources.counting import FeatureBins
from driftwatch.store.repository import Store, TransactionHook
from driftwatch.store.rollups import dynamic_reference
from driftwatch.timeutil import Clock, TimeWindow, system_clock
from driftwatch.windows import aligned_window, scheduled_window

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MonitorRunner", "Scored", "error_text", "score_window"]


def error_text(monitor: MonitorConfig, exc: BaseException) -> str:
    """The one line a failed run stores and shows: ``exc``'s text with the secrets of the
    monitor's sources (a URL's password, values from the environment in a query) hidden, whatever
    code built it."""
    return redact(str(exc), monitor.reference_source.secrets | monitor.live.secrets)


log = logging.getLogger("driftwatch.monitor")


def _all_failed(features: Sequence[FeatureOutcome]) -> str | None:
    """The run's error when every feature errored (the window had rows, nothing was graded)."""
    if not features or any(f.status != "error" for f in features):
        return None
    first = features[0]
    more = f" (and {len(features) - 1} more)" if len(features) > 1 else ""
    return f"every feature failed; {first.name!r}: {first.reason}{more}"


def _too_few(n_live: int, min_rows: int) -> Problem | None:
    if n_live >= min_rows:
        return None
    rows = f"{n_live} row{'s' if n_live != 1 else ''}"
    return Problem("no_data", f"live window has {rows}, fewer than min_rows={min_rows}")


@dataclass(frozen=True)
class Scored:
    """A window's features scored against a reference, before it becomes a :class:`RunOutcome`."""

    features: tuple[FeatureOutcome, ...]
    status: RunStatus
    error: str | None
    dataset_drift: bool


def score_window(
    config: Config,
    monitor: MonitorConfig,
    specs: Sequence[FeatureSpec],
    reference: Profile,
    live: Mapping[str, Histogram | Problem],
    n_live: int,
) -> Scored:
    """Score every feature of a window on its histograms: the rule, the correction, the drift.

    The one scoring path of a run and of ``driftwatch compare`` (stored windows), so that both
    give the same numbers and verdicts for the same counts.
    """
    too_few = _too_few(n_live, monitor.min_rows or config.defaults.min_rows)
    features = tuple(
        score_feature(spec, reference.feature(spec.name), live.get(spec.name), too_few=too_few)
        for spec in specs
    )
    if (monitor.correction or config.defaults.correction) == "bh":
        features = correct(features, specs)
    status: RunStatus = "no_data" if too_few else "succeeded"
    failed = _all_failed(features) if not too_few else None
    if failed is not None:
        status = "failed"
    return Scored(features, status, failed, dataset_drift(features, monitor.dataset_drift.share))


def _dynamic_profile(
    store: Store, monitor: MonitorConfig, bootstrap: Profile, before: datetime
) -> tuple[Profile, ReferenceUsed]:
    """The bootstrap profile's bins with the summed counts of the monitor's stored windows.

    With no stored window on those bins yet (the first runs), the bootstrap's own counts are the
    reference, and the provenance lists no window.
    """
    dynamic = monitor.dynamic_reference
    assert dynamic is not None
    bins = {name: h.bins for name, h in bootstrap.histograms.items()}
    found = dynamic_reference(
        store, monitor.name, before, dynamic.windows_wanted, bins, dynamic.type
    )
    if found is None:
        return bootstrap, ReferenceUsed(dynamic.type)
    histograms, used = found
    n_rows = sum(used.n_rows)
    return Profile(histograms, bootstrap.problems, n_rows, bootstrap.profile_id), used


class MonitorRunner:
    """Runs monitors of one config against one store (or none, for the pure Python API)."""

    def __init__(
        self,
        config: Config,
        *,
        store: Store | None = None,
        clock: Clock = system_clock,
        frames: Mapping[str, pd.DataFrame] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.frames = frames
        self.progress = progress
        """Hears the rows each monitor reads (unit ``rows``, task ``reference``/``live``)."""

    def default_window(self, monitor: MonitorConfig, now: datetime) -> TimeWindow | None:
        """The window of a run given none (a manual ``driftwatch run``).

        In order: the ``live.window`` ending now (aligned, as the scheduler's); the fixed
        ``live.start``/``live.end`` range; with a ``live.timestamp_column``, the live data's time
        span ``[earliest, latest + 1 µs)`` — or, when the monitor has a schedule, the latest
        scheduled window that holds data (and has ended by ``now``), so the run lands on a
        window key of the series; else None (the whole live data, keyed by the run's start).
        A manual run therefore never stores a window after the data, which would make the
        alerts see every backfilled or caught-up window as older than theirs.
        """
        live = monitor.live
        if live.window is not None:
            return aligned_window(now, live.window)
        if live.start is not None or live.end is not None:
            start = live.start or now
            end = live.end or now
            return TimeWindow(start, end) if start < end else None
        if not live.timestamp_column:
            return None
        span = self._open(monitor, "live").time_span()
        if span is None or monitor.schedule is None:
            return span
        return scheduled_window(monitor, span, now)

    # --- the run -------------------------------------------------------------------------------

    def run(
        self,
        monitor_name: str,
        *,
        window: TimeWindow | None = None,
        trigger: Trigger = "manual",
        claimed_by: str | None = None,
        in_transaction: TransactionHook | None = None,
    ) -> RunOutcome:
        """Compute one window of one monitor and (with a store) save it atomically, calling
        ``in_transaction(session, run_id, outcome)`` inside the run's transaction."""
        monitor = self.config.monitor(monitor_name)
        outcome = self.compute(monitor, window=window, trigger=trigger)
        if claimed_by is not None:
            outcome = replace(outcome, claimed_by=claimed_by)
        return self.save(monitor, outcome, in_transaction=in_transaction)

    def save(
        self,
        monitor: MonitorConfig,
        outcome: RunOutcome,
        *,
        in_transaction: TransactionHook | None = None,
    ) -> RunOutcome:
        """Write ``outcome`` atomically (with a store; unchanged without one), with its run id."""
        if self.store is None:
            return outcome
        on_rerun = monitor.on_rerun or self.config.defaults.on_rerun
        saved = self.store.save_run(outcome, on_rerun=on_rerun, in_transaction=in_transaction)
        return replace(outcome, run_id=saved.run_id)

    def compute(
        self,
        monitor: MonitorConfig,
        *,
        window: TimeWindow | None = None,
        trigger: Trigger = "manual",
    ) -> RunOutcome:
        """Everything but the write: never raises for data problems, returns a failed outcome."""
        started_at = self.clock()
        started = time.perf_counter()
        run_window = window
        try:
            if run_window is None:
                run_window = self.default_window(monitor, started_at)
        except DriftwatchError as exc:
            log.debug("monitor %s failed: %s", monitor.name, error_text(monitor, exc))
            return RunOutcome.failure(
                monitor.name,
                None,
                error_text(monitor, exc),
                started_at=started_at,
                finished_at=self.clock(),
                trigger=trigger,
                duration_seconds=time.perf_counter() - started,
            )
        # A fixed live.start/end range is the source's own filter, and the data's whole time
        # span selects everything anyway; a given, aligned or scheduled window is passed on.
        passes_window = (
            window is not None or monitor.live.window is not None or monitor.schedule is not None
        )
        source_window = run_window if passes_window else None

        def finish(status: RunStatus) -> RunOutcome:
            return RunOutcome(
                monitor=monitor.name,
                window=run_window,
                status=status,
                started_at=started_at,
                finished_at=self.clock(),
                duration_seconds=time.perf_counter() - started,
                trigger=trigger,
            )

        specs = resolve_features(self.config, monitor)
        try:
            profile = self._profile(monitor, specs)
            live, n_live = self._live(monitor, specs, profile, source_window)
        except DriftwatchError as exc:
            where = run_window if run_window is not None else "(whole live data)"
            error = error_text(monitor, exc)
            log.debug("monitor %s window %s failed: %s", monitor.name, where, error)
            return replace(finish("failed"), error=error)

        used = None
        dynamic = monitor.dynamic_reference is not None
        if dynamic and self.store is not None and run_window is not None:
            profile, used = _dynamic_profile(self.store, monitor, profile, run_window.start)
        scored = score_window(self.config, monitor, specs, profile, live, n_live)
        if scored.status == "failed":
            log.debug("monitor %s window %s failed: %s", monitor.name, run_window, scored.error)
        return replace(
            finish(scored.status),
            error=scored.error,
            features=scored.features,
            n_reference=profile.n_rows,
            n_live=n_live,
            dataset_drift=scored.dataset_drift,
            profile_id=profile.profile_id,
            reference_used=used,
        )

    def _rows(self, monitor: MonitorConfig, task: str) -> RowsRead | None:
        """``on_rows`` for a source: each call becomes a ``rows`` :class:`ProgressEvent`."""
        progress = self.progress
        if progress is None:
            return None

        def on_rows(done: int, total: int | None) -> None:
            progress(ProgressEvent(task, "rows", done, total, monitor.name))

        return on_rows

    # --- reference -------------------------------------------------------------------------------

    def _open(self, monitor: MonitorConfig, role: str) -> Source:
        config = monitor.reference_source if role == "reference" else monitor.live
        return open_source(config, frames=self.frames, role=f"monitor {monitor.name!r} {role}")

    def _profile(self, monitor: MonitorConfig, specs: Sequence[FeatureSpec]) -> Profile:
        defaults = self.config.defaults
        return reference_profile(
            monitor.name,
            self._open(monitor, "reference"),
            specs,
            store=self.store,
            chunk_rows=defaults.chunk_rows,
            sample_rows=defaults.reference_sample_rows,
            clock=self.clock,
            on_rows=self._rows(monitor, "reference"),
        )

    # --- live ------------------------------------------------------------------------------------

    def _live(
        self,
        monitor: MonitorConfig,
        specs: Sequence[FeatureSpec],
        reference: Profile,
        window: TimeWindow | None,
    ) -> tuple[dict[str, Histogram | Problem], int]:
        """Live histograms on the reference's bins (or each feature's problem), and the rows.

        The source counts (``Source.count``): chunk by chunk here, in the database with SQL
        pushdown, on the partitions with Dask.
        """
        source = self._open(monitor, "live")
        where = source.describe()
        available = set(source.columns())
        results: dict[str, Histogram | Problem] = {}
        wanted = []
        for spec in specs:
            if spec.name not in reference.histograms:
                continue
            if spec.name not in available:
                results[spec.name] = Problem(
                    "error",
                    f"column {spec.name!r} is absent from the live data ({where}); "
                    "fix the feature name or the data",
                )
            else:
                wanted.append(
                    FeatureBins(spec.name, spec.kind, reference.histograms[spec.name].bins)
                )
        counts = source.count(
            wanted,
            window=window,
            chunk_rows=self.config.defaults.chunk_rows,
            on_rows=self._rows(monitor, "live"),
        )
        results.update(counts.results())
        return results, counts.n_rows
