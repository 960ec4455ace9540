"""One run of one monitor over one live window: orchestration only.

source → histogram → divergence → evaluate → store. The reference profile (fitted bins + reference
counts) is reused from the store when the reference data and the binning config are unchanged.
One bad feature becomes an ``error``/``no_data`` row with its reason; the others are still computed.
A problem with a whole source fails the run (a ``failed`` run row with the error), never the
other monitors.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftwatch.config import Config, FeatureSpec, MonitorConfig, resolve_features
from driftwatch.engine import (
    Histogram,
    bin_contributions,
    bins_from_dict,
    get_metric,
)
from driftwatch.errors import DriftwatchError
from driftwatch.evaluate import EvaluationContext, dataset_drift, evaluate
from driftwatch.reference import fit_reference
from driftwatch.results import FeatureOutcome, MetricOutcome, Problem, RunOutcome, Trigger, worst
from driftwatch.sources import Source, open_source
from driftwatch.sources.counting import FeatureBins
from driftwatch.store.repository import Store, TransactionHook, dumps
from driftwatch.thresholds import adjust_verdicts
from driftwatch.timeutil import Clock, TimeWindow, as_utc, system_clock

__all__ = ["MonitorRunner", "aligned_window"]

log = logging.getLogger("driftwatch.monitor")


def aligned_window(now: datetime, length: timedelta) -> TimeWindow:
    """The window of ``length`` ending at ``now`` floored to a multiple of ``length`` (UTC epoch).

    Flooring makes a manual ``driftwatch run`` land on the same window key as a scheduled one.
    """
    seconds = length.total_seconds()
    epoch = as_utc(now).timestamp()
    end = datetime.fromtimestamp(math.floor(epoch / seconds) * seconds, tz=as_utc(now).tzinfo)
    return TimeWindow(end - length, end)


@dataclass
class _ReferenceProfile:
    """Per feature: fitted bins + reference histogram, or the reason there are none."""

    histograms: dict[str, Histogram]
    problems: dict[str, Problem]
    n_rows: int
    profile_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: {"bins": h.bins.to_dict(), "counts": h.counts.tolist()}
            for name, h in self.histograms.items()
        }
        for name, problem in self.problems.items():
            out[name] = {"status": problem.status, "reason": problem.reason}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], n_rows: int, profile_id: int) -> _ReferenceProfile:
        histograms, problems = {}, {}
        for name, entry in data.items():
            if "bins" in entry:
                bins = bins_from_dict(entry["bins"])
                histograms[name] = Histogram(bins, np.asarray(entry["counts"], dtype=np.int64))
            else:
                problems[name] = Problem(entry["status"], entry["reason"])
        return cls(histograms, problems, n_rows, profile_id)


def _binning_key(specs: Sequence[FeatureSpec], sample_rows: int) -> str:
    payload: list[Any] = [
        {"name": s.name, "kind": s.kind, "binning": s.binning.model_dump(mode="json")}
        for s in specs
    ]
    payload.append({"reference_sample_rows": sample_rows})
    return hashlib.sha256(dumps(payload).encode()).hexdigest()


class MonitorRunner:
    """Runs monitors of one config against one store (or none, for the pure Python API)."""

    def __init__(
        self,
        config: Config,
        *,
        store: Store | None = None,
        clock: Clock = system_clock,
        frames: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.frames = frames

    # --- windows -------------------------------------------------------------------------------

    def default_window(self, monitor: MonitorConfig, now: datetime) -> tuple[datetime, datetime]:
        """The run key when none is given: the window ending now, the fixed range, or 'now'."""
        live = monitor.live
        if live.window is not None:
            window = aligned_window(now, live.window)
            return window.start, window.end
        if live.start is not None or live.end is not None:
            start = live.start or now
            end = live.end or now
            return (start, end) if start < end else (now, now)
        return now, now

    # --- the run -------------------------------------------------------------------------------

    def run(
        self,
        monitor_name: str,
        *,
        window: TimeWindow | None = None,
        trigger: Trigger = "manual",
        claimed_by: str | None = None,
        in_transaction: Callable[[RunOutcome], TransactionHook | None] | None = None,
    ) -> RunOutcome:
        """Compute one window of one monitor and (with a store) save it atomically."""
        monitor = self.config.monitor(monitor_name)
        outcome = self.compute(monitor, window=window, trigger=trigger)
        if claimed_by is not None:
            outcome = replace(outcome, claimed_by=claimed_by)
        if self.store is None:
            return outcome
        on_rerun = monitor.on_rerun or self.config.defaults.on_rerun
        hook = in_transaction(outcome) if in_transaction is not None else None
        saved = self.store.save_run(outcome, on_rerun=on_rerun, in_transaction=hook)
        return replace(outcome, run_id=saved.run_id, save_action=saved.action)

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
        source_window = window
        if window is not None:
            key = (window.start, window.end)
        else:
            key = self.default_window(monitor, started_at)
            if monitor.live.window is not None:
                source_window = TimeWindow(*key)

        def finish(**kwargs: Any) -> RunOutcome:
            return RunOutcome(
                monitor=monitor.name,
                window_start=key[0],
                window_end=key[1],
                started_at=started_at,
                finished_at=self.clock(),
                duration_seconds=time.perf_counter() - started,
                trigger=trigger,
                **kwargs,
            )

        specs = resolve_features(self.config, monitor)
        try:
            reference = self._reference(monitor, specs)
            live, n_live = self._live(monitor, specs, reference, source_window)
        except DriftwatchError as exc:
            log.warning("monitor %s window %s failed: %s", monitor.name, key, exc)
            return finish(status="failed", error=str(exc))

        min_rows = monitor.min_rows or self.config.defaults.min_rows
        too_few = (
            f"live window has {n_live} row{'s' if n_live != 1 else ''}, fewer than "
            f"min_rows={min_rows}"
            if n_live < min_rows
            else None
        )
        features = tuple(self._feature(spec, reference, live, too_few) for spec in specs)
        if (monitor.correction or self.config.defaults.correction) == "bh":
            features = _correct(features, specs)
        statuses = {f.name: f.status for f in features}
        drift_config = monitor.dataset_drift
        status: Literal["succeeded", "no_data"] = "no_data" if too_few else "succeeded"
        return finish(
            status=status,
            features=features,
            n_reference=reference.n_rows,
            n_live=n_live,
            dataset_drift=dataset_drift(statuses, drift_config.share),
            profile_id=reference.profile_id,
        )

    # --- reference -------------------------------------------------------------------------------

    def _open(self, monitor: MonitorConfig, role: str) -> Source:
        config = monitor.reference if role == "reference" else monitor.live
        return open_source(config, frames=self.frames, role=f"monitor {monitor.name!r} {role}")

    def _reference(self, monitor: MonitorConfig, specs: Sequence[FeatureSpec]) -> _ReferenceProfile:
        source = self._open(monitor, "reference")
        fingerprint = source.fingerprint()
        config_hash = _binning_key(specs, self.config.defaults.reference_sample_rows)
        if self.store is not None:
            stored = self.store.find_profile(monitor.name, fingerprint, config_hash)
            if stored is not None:
                return _ReferenceProfile.from_json(stored.features, stored.n_rows, stored.id)
        profile = self._fit_reference(source, specs)
        if self.store is not None:
            profile.profile_id = self.store.save_profile(
                monitor=monitor.name,
                fingerprint=fingerprint,
                config_hash=config_hash,
                source=source.describe(),
                n_rows=profile.n_rows,
                features=profile.to_json(),
                created_at=self.clock(),
            )
        return profile

    def _fit_reference(self, source: Source, specs: Sequence[FeatureSpec]) -> _ReferenceProfile:
        defaults = self.config.defaults
        fitted = fit_reference(
            source,
            specs,
            chunk_rows=defaults.chunk_rows,
            sample_rows=defaults.reference_sample_rows,
        )
        return _ReferenceProfile(fitted.histograms, fitted.problems, fitted.n_rows)

    # --- live ------------------------------------------------------------------------------------

    def _live(
        self,
        monitor: MonitorConfig,
        specs: Sequence[FeatureSpec],
        reference: _ReferenceProfile,
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
        counts = source.count(wanted, window=window, chunk_rows=self.config.defaults.chunk_rows)
        results.update(counts.results())
        return results, counts.n_rows

    # --- metrics and verdicts --------------------------------------------------------------------

    def _feature(
        self,
        spec: FeatureSpec,
        reference: _ReferenceProfile,
        live: Mapping[str, Histogram | Problem],
        too_few: str | None,
    ) -> FeatureOutcome:
        ref_hist = reference.histograms.get(spec.name)
        problem = reference.problems.get(spec.name)
        live_entry = live.get(spec.name)
        if isinstance(live_entry, Problem):
            problem = live_entry
        live_hist = live_entry if isinstance(live_entry, Histogram) else None
        if problem is None and too_few is not None:
            problem = Problem("no_data", too_few)
        if problem is None and live_hist is not None and live_hist.n_valid == 0:
            problem = Problem(
                "no_data",
                f"no live values: all {live_hist.n} rows are missing"
                if live_hist.n
                else "the live window has no rows",
            )
        if problem is not None or ref_hist is None or live_hist is None:
            problem = problem or Problem("error", "no histogram could be computed")
            status, reason = problem.status, problem.reason
            return FeatureOutcome(
                name=spec.name,
                kind=spec.kind,
                status=status,
                metrics=tuple(
                    MetricOutcome(m, None, get_metric(m).unit, status, reason=reason)
                    for m in spec.metrics
                ),
                reference=ref_hist,
                live=live_hist,
                reason=reason,
            )
        context_base = {"reference": ref_hist, "live": live_hist}
        metrics = []
        for name in spec.metrics:
            metric = get_metric(name)
            value = float(metric.compute(live_hist.counts, ref_hist.counts, spec.smoothing))
            smoothing = spec.smoothing if metric.smoothed else None
            base = metric.log_base
            if not math.isfinite(value):
                metrics.append(
                    MetricOutcome(
                        name, None, metric.unit, "error",
                        reason=f"{name} is not finite for these bins",
                        smoothing=smoothing, log_base=base,
                    )
                )  # fmt: skip
                continue
            context = EvaluationContext(
                feature=spec.name, metric=name, smoothing=spec.smoothing, **context_base
            )
            verdict = evaluate(value, spec.thresholds[name], context)
            metrics.append(
                MetricOutcome(
                    name, value, metric.unit, verdict.status, verdict, reason=verdict.note,
                    smoothing=smoothing, log_base=base,
                )
            )  # fmt: skip
        explanation = tuple(
            bin_contributions(live_hist.counts, ref_hist.counts, ref_hist.labels, top=5)
        )
        return FeatureOutcome(
            name=spec.name,
            kind=spec.kind,
            status=worst(m.status for m in metrics),
            metrics=tuple(metrics),
            reference=ref_hist,
            live=live_hist,
            explanation=explanation,
        )


def _correct(
    features: tuple[FeatureOutcome, ...], specs: Sequence[FeatureSpec]
) -> tuple[FeatureOutcome, ...]:
    """Benjamini-Hochberg across the run's features, one family per metric.

    Each ``significance`` verdict is re-decided on its adjusted p-value
    (:func:`driftwatch.thresholds.adjust_verdicts`); other verdicts are kept.
    """
    thresholds = {spec.name: spec.thresholds for spec in specs}
    metrics = {f.name: list(f.metrics) for f in features}
    changed: set[str] = set()
    for name in sorted({m.metric for f in features for m in f.metrics}):
        slots = [
            (feature, i, m.value, m.verdict)
            for feature, outcomes in metrics.items()
            for i, m in enumerate(outcomes)
            if m.metric == name and m.verdict is not None and m.value is not None
        ]
        entries = [(value, verdict, thresholds[f][name]) for f, _, value, verdict in slots]
        for (feature, i, _, _), adjusted in zip(slots, adjust_verdicts(entries), strict=True):
            if adjusted is not None:
                metrics[feature][i] = replace(
                    metrics[feature][i],
                    status=adjusted.verdict.status,
                    verdict=adjusted.verdict,
                    reason=adjusted.verdict.note,
                    p_value_adjusted=adjusted.p_value_adjusted,
                )
                changed.add(feature)
    return tuple(
        replace(f, metrics=tuple(metrics[f.name]), status=worst(m.status for m in metrics[f.name]))
        if f.name in changed
        else f
        for f in features
    )
