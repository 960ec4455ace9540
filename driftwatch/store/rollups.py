"""Roll-ups: the histogram of any span of stored windows is the sum of their live counts.

Every run stores its live counts on the bins frozen by the reference profile, and counts add
exactly, so the live histogram of a quarter is the sum of its three months' — to the row, without
re-reading any data. Two things make a sum meaningless, and both are refused with one line
(:class:`~driftwatch.errors.RollupError`) naming the windows:

- a **gap**: part of the span has no finished stored window (never computed, or its run failed);
- **changed bins**: the windows of the span were computed on different reference profiles (the
  reference data or the binning changed), so their counts do not sit on the same bins.

A span is covered by a chain of stored windows from its start to its end; when several chains
exist (a quarter stored beside its months) the finest one is used. Windows ``no_data`` count as
they are (their rows are real, too few to grade on their own); ``failed`` runs have no histograms.

:func:`dynamic_reference` is the other use: the reference of a monitor with a ``rolling``,
``expanding`` or ``previous`` reference is the sum of its latest succeeded windows before the run's
window that sit on the run's bins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from driftwatch.engine import Bins, Histogram, bins_from_dict
from driftwatch.errors import RollupError, StoreError
from driftwatch.results import Problem, ReferenceKind, ReferenceUsed
from driftwatch.store.database import one_line
from driftwatch.store.models import FeatureResult, HistogramRow, ReferenceProfile, Run
from driftwatch.store.repository import Store
from driftwatch.timeutil import TimeWindow

__all__ = [
    "Rollup",
    "StoredWindow",
    "dynamic_reference",
    "rollup",
    "rollup_before",
    "same_bins",
    "span_label",
    "when",
]

FINISHED = ("succeeded", "no_data")
"""Runs whose live counts a roll-up adds: every finished run (failed runs have no histograms)."""

_IDS_PER_QUERY = 5_000
"""Run ids per ``IN (...)``: well under SQLite's limit of bound parameters (32,766)."""

_SHOWN = 3
"""How many missing windows a message lists before "and N more"."""


@dataclass(frozen=True)
class StoredWindow:
    """One finished run's window, as a roll-up sees it."""

    run_id: int
    window: TimeWindow
    status: str
    n_live: int
    profile_id: int | None


@dataclass(frozen=True)
class Rollup:
    """The summed live histograms of stored windows, and the reference they were computed on."""

    monitor: str
    span: TimeWindow
    windows: tuple[StoredWindow, ...]
    live: Mapping[str, Histogram]
    """Feature → the sum of the windows' live counts, on the profile's frozen bins."""
    reference: Mapping[str, Histogram]
    """Feature → the reference histogram of the windows' profile (the same for every window)."""
    problems: Mapping[str, Problem]
    """Feature → why it has no roll-up: the profile has no bins for it, or it was an ``error``
    in one of the windows (the live column was absent, ...)."""
    n_live: int
    n_reference: int
    profile_id: int | None
    reference_changed: str | None = None
    """Why ``reference`` is not the reference of every window (the reference counts changed on
    the same bins inside the span), or None; ``reference`` is then the first window's."""

    def used(self, kind: ReferenceKind) -> ReferenceUsed:
        """These windows as the reference of another span (``compare --against ...``)."""
        return ReferenceUsed(
            kind, tuple(w.window for w in self.windows), tuple(w.n_live for w in self.windows)
        )


def when(moment: datetime) -> str:
    """``2019-02-01`` at midnight UTC, else the ISO datetime: how messages name window ends."""
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date().isoformat()
    return moment.isoformat()


def span_label(window: TimeWindow) -> str:
    return f"{when(window.start)}/{when(window.end)}"


# --- reading -----------------------------------------------------------------------------------


def _read(store: Store, query: Any) -> Sequence[Any]:
    try:
        with store.engine.connect() as connection:
            return connection.execute(query).all()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"results database {store.url!r}: {one_line(exc)}") from exc


def _windows_query(monitor: str, statuses: Sequence[str]) -> Any:
    return (
        sa.select(Run.id, Run.window_start, Run.window_end, Run.status, Run.n_live, Run.profile_id)
        .where(
            Run.monitor == monitor,
            Run.status.in_(list(statuses)),
            Run.window_start < Run.window_end,  # a windowless run is keyed [t, t): not a window
        )
        .order_by(Run.window_start, Run.window_end, Run.id)
    )


def _stored(rows: Sequence[Any]) -> list[StoredWindow]:
    return [
        StoredWindow(
            r.id, TimeWindow(r.window_start, r.window_end), r.status, r.n_live or 0, r.profile_id
        )
        for r in rows
    ]


def _profiles(store: Store, ids: set[int]) -> dict[int, tuple[int, Mapping[str, Any]]]:
    """Profile id → (reference rows, {feature: {"bins", "counts"} or a problem})."""
    if not ids:
        return {}
    rows = _read(
        store,
        sa.select(ReferenceProfile.id, ReferenceProfile.n_rows, ReferenceProfile.features).where(
            ReferenceProfile.id.in_(sorted(ids))
        ),
    )
    return {r.id: (r.n_rows, r.features) for r in rows}


def _live_counts(store: Store, run_ids: Sequence[int]) -> dict[int, dict[str, list[int]]]:
    """Run id → feature → its stored live counts."""
    out: dict[int, dict[str, list[int]]] = {run_id: {} for run_id in run_ids}
    ids = list(run_ids)
    for first in range(0, len(ids), _IDS_PER_QUERY):
        rows = _read(
            store,
            sa.select(HistogramRow.run_id, HistogramRow.feature, HistogramRow.live_counts).where(
                HistogramRow.run_id.in_(ids[first : first + _IDS_PER_QUERY])
            ),
        )
        for row in rows:
            out[row.run_id][row.feature] = row.live_counts
    return out


def _sum(
    bins: Mapping[str, Bins], windows: Sequence[StoredWindow], counts: Mapping[int, Any]
) -> dict[str, Histogram]:
    """Feature → the sum of the windows' live counts on ``bins`` (int64: exact)."""
    out = {}
    for name, feature_bins in bins.items():
        stored = [counts[w.run_id][name] for w in windows if name in counts[w.run_id]]
        total = (
            np.asarray(stored, dtype=np.int64).sum(axis=0)
            if stored
            else np.zeros(feature_bins.n_bins, dtype=np.int64)
        )
        out[name] = Histogram(feature_bins, total)
    return out


# --- covering a span ------------------------------------------------------------------------------


def _finest_chain(span: TimeWindow, windows: Sequence[StoredWindow]) -> list[StoredWindow] | None:
    """The chain of windows from ``span.start`` to ``span.end`` with the most windows, or None.

    ``windows`` are sorted by start: every window ending where another starts was seen before
    it, so one pass finds, for each reachable instant, the longest chain reaching it.
    """
    best: dict[datetime, tuple[int, StoredWindow | None]] = {span.start: (0, None)}
    for window in windows:
        reached = best.get(window.window.start)
        if reached is None:
            continue
        length = reached[0] + 1
        if best.get(window.window.end, (-1, None))[0] < length:
            best[window.window.end] = (length, window)
    if span.end not in best:
        return None
    chain: list[StoredWindow] = []
    point = span.end
    while point != span.start:
        step = best[point][1]
        assert step is not None
        chain.append(step)
        point = step.window.start
    return chain[::-1]


def _gaps(span: TimeWindow, windows: Sequence[StoredWindow]) -> list[TimeWindow]:
    """The parts of ``span`` no stored window covers."""
    gaps, cursor = [], span.start
    for window in sorted(windows, key=lambda w: w.window.start):
        if window.window.start > cursor:
            gaps.append(TimeWindow(cursor, window.window.start))
        cursor = max(cursor, window.window.end)
    if cursor < span.end:
        gaps.append(TimeWindow(cursor, span.end))
    return gaps


def _gap_error(monitor: str, span: TimeWindow, gaps: Sequence[TimeWindow]) -> RollupError:
    shown = ", ".join(span_label(g) for g in gaps[:_SHOWN])
    more = f" and {len(gaps) - _SHOWN} more" if len(gaps) > _SHOWN else ""
    first = gaps[0]
    return RollupError(
        f"monitor {monitor!r} has no finished stored window for {shown}{more} inside "
        f"{span_label(span)}; compute the missing windows (e.g. `driftwatch backfill -m {monitor} "
        f"--since {when(first.start)} --until {when(gaps[-1].end)}`) or choose a covered span"
    )


def _cover(monitor: str, span: TimeWindow, windows: Sequence[StoredWindow]) -> list[StoredWindow]:
    inside = [w for w in windows if w.window.start >= span.start and w.window.end <= span.end]
    chain = _finest_chain(span, inside)
    if chain is not None:
        return chain
    gaps = _gaps(span, inside)
    if gaps:
        raise _gap_error(monitor, span, gaps)
    raise RollupError(
        f"the stored windows of monitor {monitor!r} inside {span_label(span)} overlap without "
        "adding up to it end to end; choose a span whose windows meet end to start"
    )


def _one_profile(
    monitor: str, span: TimeWindow, chain: Sequence[StoredWindow], store: Store
) -> tuple[int, Mapping[str, Any], int, str | None]:
    """The profile the windows of ``chain`` were computed on: (id, features, reference rows, why
    its reference counts are not one histogram, or None).

    Every window must sit on the same bins; profiles that differ only in their reference counts
    (the reference data changed, its bins did not) still add up, but have no single reference.
    """
    missing = next((w for w in chain if w.profile_id is None), None)
    if missing is not None:
        raise RollupError(
            f"window {span_label(missing.window)} of monitor {monitor!r} has no stored reference "
            f"profile, so its bins are unknown; recompute it (`driftwatch backfill -m {monitor} "
            f"--since {when(missing.window.start)} --until {when(missing.window.end)} --rerun`)"
        )
    profiles = _profiles(store, {w.profile_id for w in chain if w.profile_id is not None})
    first = chain[0]
    assert first.profile_id is not None
    n_rows, features = profiles[first.profile_id]
    first_bins = _histograms(features)[0]
    counts_changed = None
    for window in chain[1:]:
        assert window.profile_id is not None
        other = profiles[window.profile_id][1]
        if window.profile_id == first.profile_id or other == features:
            continue
        other_bins = _histograms(other)[0]
        changed = sorted(
            name
            for name in {*first_bins, *other_bins}
            if first_bins.get(name) != other_bins.get(name)
        )
        if changed:
            raise RollupError(
                f"the reference profile of monitor {monitor!r} changed inside "
                f"{span_label(span)}: window {span_label(window.window)} has other bins than "
                f"{span_label(first.window)} (feature {changed[0]!r}); windows on different bins "
                "do not add up: choose a span on one side of the change"
            )
        counts_changed = counts_changed or (
            f"the reference data of monitor {monitor!r} changed inside {span_label(span)} "
            f"(window {span_label(window.window)} was computed on other reference counts than "
            f"{span_label(first.window)}, on the same bins), so the span has no single reference; "
            "compare it against other windows (previous, rolling:N, START/END) or choose a span "
            "on one side of the change"
        )
    return first.profile_id, features, n_rows, counts_changed


def _histograms(
    features: Mapping[str, Any],
) -> tuple[dict[str, Bins], dict[str, Histogram], dict[str, Problem]]:
    """A stored profile's features: their bins, reference histograms, and problems."""
    bins: dict[str, Bins] = {}
    reference: dict[str, Histogram] = {}
    problems: dict[str, Problem] = {}
    for name, entry in features.items():
        if "bins" in entry:
            bins[name] = bins_from_dict(entry["bins"])
            reference[name] = Histogram(bins[name], np.asarray(entry["counts"], dtype=np.int64))
        else:
            problems[name] = Problem(entry["status"], entry["reason"])
    return bins, reference, problems


def _errored(store: Store, chain: Sequence[StoredWindow]) -> dict[str, Problem]:
    """Feature → why it has no live counts in one of the windows (it was an ``error`` there:
    its stored live counts are zeros, not a count of the window's rows)."""
    labels = {w.run_id: span_label(w.window) for w in chain}
    ids = list(labels)
    rows = [
        row
        for first in range(0, len(ids), _IDS_PER_QUERY)
        for row in _read(
            store,
            sa.select(FeatureResult.run_id, FeatureResult.feature, FeatureResult.reason).where(
                FeatureResult.run_id.in_(ids[first : first + _IDS_PER_QUERY]),
                FeatureResult.status == "error",
            ),
        )
    ]
    problems: dict[str, Problem] = {}
    order = {run_id: i for i, run_id in enumerate(ids)}  # the chain's order: oldest window first
    for row in sorted(rows, key=lambda r: order[r.run_id]):
        problems.setdefault(
            row.feature,
            Problem("error", f"no live histogram in window {labels[row.run_id]}: {row.reason}"),
        )
    return problems


def _rollup(store: Store, monitor: str, span: TimeWindow, chain: Sequence[StoredWindow]) -> Rollup:
    profile_id, features, n_rows, reference_changed = _one_profile(monitor, span, chain, store)
    bins, reference, problems = _histograms(features)
    errored = _errored(store, chain)
    problems = {**problems, **errored}
    bins = {name: b for name, b in bins.items() if name not in errored}
    live = _sum(bins, chain, _live_counts(store, [w.run_id for w in chain]))
    n_live = sum(w.n_live for w in chain)
    return Rollup(
        monitor,
        span,
        tuple(chain),
        live,
        reference,
        problems,
        n_live,
        n_rows,
        profile_id,
        reference_changed,
    )


def rollup(store: Store, monitor: str, span: TimeWindow) -> Rollup:
    """The live histograms of ``span``: the sum of the finished stored windows covering it.

    Raises:
        RollupError: part of the span has no finished window (the message lists the gaps), or
            its windows were computed on different reference profiles.
        StoreError: the database cannot be read.
    """
    query = _windows_query(monitor, FINISHED).where(
        Run.window_start >= span.start, Run.window_end <= span.end
    )
    windows = _stored(_read(store, query))
    return _rollup(store, monitor, span, _cover(monitor, span, windows))


def rollup_before(store: Store, monitor: str, before: datetime, count: int) -> Rollup:
    """The ``count`` finished stored windows that end, one after another, at ``before``.

    Raises:
        RollupError: fewer than ``count`` windows lead up to ``before`` without a gap.
    """
    windows = _stored(
        _read(store, _windows_query(monitor, FINISHED).where(Run.window_end <= before))
    )
    by_end: dict[datetime, StoredWindow] = {}
    for window in windows:  # the shortest window ending at each instant: the finest chain
        kept = by_end.get(window.window.end)
        if kept is None or window.window.start > kept.window.start:
            by_end[window.window.end] = window
    chain: list[StoredWindow] = []
    point = before
    while len(chain) < count and point in by_end:
        chain.append(by_end[point])
        point = by_end[point].window.start
    if len(chain) < count:
        have = f"only {len(chain)}" if chain else "none"
        where = f" (none ends at {when(point)})"
        raise RollupError(
            f"monitor {monitor!r} needs {count} finished stored window(s) ending one after "
            f"another at {when(before)}, and has {have}{where}; backfill the earlier windows "
            "or ask for fewer"
        )
    chain.reverse()
    return _rollup(store, monitor, TimeWindow(chain[0].window.start, before), chain)


def same_bins(monitor: str, live: Rollup, reference: Rollup) -> None:
    """Refuse two roll-ups whose bins differ for any feature (their counts do not compare).

    Raises:
        RollupError: naming the first feature whose bins differ.
    """
    for name, histogram in live.live.items():
        other = reference.live.get(name)
        if other is not None and other.bins != histogram.bins:
            raise RollupError(
                f"feature {name!r} of monitor {monitor!r} has other bins in "
                f"{span_label(reference.span)} than in {span_label(live.span)} (the reference "
                "profile changed between them); compare spans on the same side of the change"
            )


# --- dynamic references ------------------------------------------------------------------------


def dynamic_reference(
    store: Store,
    monitor: str,
    before: datetime,
    count: int | None,
    bins: Mapping[str, Bins],
    kind: ReferenceKind,
) -> tuple[dict[str, Histogram], ReferenceUsed] | None:
    """The reference of a ``rolling``/``expanding``/``previous`` monitor for a window at ``before``.

    The sum of the latest ``count`` (all, when None) *succeeded* stored windows of ``monitor``
    ending at or before ``before`` whose profile has exactly these ``bins`` — windows computed on
    other bins (before the profile changed) are skipped, and so are gaps: a missing window makes
    the reference a little older, not the run fail. None when no such window exists yet (the
    caller then compares against its bootstrap profile).
    """
    profile_ids = _read(
        store,
        sa.select(Run.profile_id)
        .where(Run.monitor == monitor, Run.profile_id.is_not(None))
        .distinct(),
    )
    profiles = _profiles(store, {row.profile_id for row in profile_ids})
    compatible = sorted(
        pid for pid, (_, features) in profiles.items() if _histograms(features)[0] == dict(bins)
    )
    if not compatible:
        return None
    query = (
        _windows_query(monitor, ("succeeded",))
        .where(Run.window_end <= before, Run.profile_id.in_(compatible))
        .order_by(None)
        .order_by(Run.window_end.desc(), Run.window_start.desc(), Run.id.desc())
    )
    fetched = _stored(_read(store, query if count is None else query.limit(count)))
    chosen = _latest_apart(fetched, count)
    if count is not None and len(chosen) < count == len(fetched):  # overlaps were dropped
        chosen = _latest_apart(_stored(_read(store, query)), count)
    if not chosen:
        return None
    summed = _sum(bins, chosen, _live_counts(store, [w.run_id for w in chosen]))
    used = ReferenceUsed(kind, tuple(w.window for w in chosen), tuple(w.n_live for w in chosen))
    return summed, used


def _latest_apart(newest_first: Sequence[StoredWindow], count: int | None) -> list[StoredWindow]:
    """The latest ``count`` (all, when None) windows that do not overlap, oldest first.

    ``newest_first`` is sorted by end, latest first, so the windows kept so far end at or after
    the next one: it overlaps one of them exactly when it ends after the start of the last one
    kept (a window stored under two keys — a manual run over a month beside its days — is
    counted once).
    """
    chosen: list[StoredWindow] = []
    for window in newest_first:
        if chosen and window.window.end > chosen[-1].window.start:
            continue
        chosen.append(window)
        if count is not None and len(chosen) == count:
            break
    chosen.reverse()
    return chosen
