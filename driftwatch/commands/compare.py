"""``driftwatch compare``: score any span of stored windows against a reference, from the store.

The live histogram of the span is the sum of its stored windows' live counts
(:func:`~driftwatch.store.rollups.rollup`); the reference is one of

- ``reference``: the reference profile those windows were computed on (a dynamic monitor's
  bootstrap profile);
- ``previous``: as many stored windows as the span has, just before it (calendar months differ in
  length, so "the same length" counts windows, not seconds);
- ``rolling:N``: the N stored windows just before the span;
- ``START/END``: the sum of another span's stored windows.

Scoring is the run's own (:func:`~driftwatch.monitor.score_window`): the same metrics, rule,
correction and result frame, so a roll-up of three months equals a direct run over the quarter.
Nothing is read from the data sources and nothing is written: the database must exist.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from driftwatch.comparison import DriftReport
from driftwatch.config import resolve_features
from driftwatch.errors import RollupError
from driftwatch.monitor import score_window
from driftwatch.profile import Profile
from driftwatch.results import ReferenceKind, ReferenceUsed, RunOutcome
from driftwatch.store.connect import ConfigLike, as_config, database_of, open_readonly_store
from driftwatch.store.rollups import Rollup, rollup, rollup_before, same_bins, span_label
from driftwatch.timeutil import Clock, TimeWindow, as_utc, system_clock

__all__ = ["Against", "compare_stored", "parse_against", "parse_span"]

AgainstKind = Literal["reference", "previous", "rolling", "span"]

_KINDS: dict[AgainstKind, ReferenceKind] = {
    "previous": "previous",
    "rolling": "rolling",
    "span": "span",
    "reference": "source",
}

_ROLLING = re.compile(r"^rolling:(?P<n>[0-9]+)$")


@dataclass(frozen=True)
class Against:
    """What a span is compared with (see the module docstring)."""

    kind: AgainstKind
    span: TimeWindow | None = None
    """The other span, for ``kind == "span"``."""
    windows: int | None = None
    """How many windows before the span, for ``kind == "rolling"``."""

    def __str__(self) -> str:
        if self.kind == "rolling":
            return f"rolling:{self.windows}"
        if self.span is not None:
            return span_label(self.span)
        return self.kind


def parse_span(text: str, what: str = "window") -> TimeWindow:
    """``START/END`` (ISO dates or datetimes, UTC unless they carry an offset) as a TimeWindow.

    Raises:
        ValueError: not two ISO moments, or START is not before END.
    """
    start, sep, end = text.partition("/")
    try:
        if not sep:
            raise ValueError
        window = TimeWindow(
            as_utc(datetime.fromisoformat(start.strip())),
            as_utc(datetime.fromisoformat(end.strip())),
        )
    except ValueError:
        raise ValueError(
            f"{what} {text!r} is not START/END with START before END, as ISO dates or "
            "datetimes (e.g. 2019-01-01/2019-04-01)"
        ) from None
    return window


def parse_against(text: str | TimeWindow | Against) -> Against:
    """``reference``, ``previous``, ``rolling:N`` or ``START/END`` as an :class:`Against`.

    Raises:
        ValueError: none of those.
    """
    if isinstance(text, Against):
        return text
    if isinstance(text, TimeWindow):
        return Against("span", span=text)
    if text == "reference":
        return Against("reference")
    if text == "previous":
        return Against("previous")
    rolling = _ROLLING.match(text)
    if rolling is not None:
        windows = int(rolling["n"])
        if windows < 1:
            raise ValueError(f"against {text!r}: rolling needs at least 1 window")
        return Against("rolling", windows=windows)
    if "/" in text:
        return Against("span", span=parse_span(text, "against"))
    raise ValueError(
        f"against {text!r}: choose one of reference, previous, rolling:N (e.g. rolling:3), "
        "or a span START/END"
    )


def _as_span(window: TimeWindow | tuple[datetime, datetime] | str) -> TimeWindow:
    if isinstance(window, TimeWindow):
        return window
    if isinstance(window, str):
        return parse_span(window)
    return TimeWindow(*window)


def _reference(rolled: Rollup) -> Profile:
    """The roll-up's windows as a reference: their summed live counts on the same bins."""
    return Profile(dict(rolled.live), {}, rolled.n_live, rolled.profile_id)


def compare_stored(
    config: ConfigLike,
    monitor: str,
    window: TimeWindow | tuple[datetime, datetime] | str,
    against: str | TimeWindow | Against = "reference",
    *,
    database: str | None = None,
    clock: Clock = system_clock,
) -> DriftReport:
    """Score the stored windows of ``window`` against ``against``, from the store alone.

    Args:
        config: the config (its monitor's features, metrics and rule are used).
        monitor: the monitor whose stored windows are added up.
        window: the span, a TimeWindow, a (start, end) pair or ``"START/END"``.
        against: ``"reference"``, ``"previous"``, ``"rolling:N"``, another span (``"START/END"``
            or a TimeWindow).
        database: the results database (default: the config's); never created or migrated.

    Returns:
        A :class:`~driftwatch.comparison.DriftReport` whose outcome has the span as its window,
        ``run_id`` None (nothing is stored) and ``reference_used`` naming the windows summed
        into the reference (None for ``reference``).

    Raises:
        ValueError: ``window`` or ``against`` cannot be parsed.
        RollupError: a span has a gap or its windows sit on different bins (one line naming them).
        ConfigError: no such monitor. StoreError: no such database, or a schema behind the code.
    """
    cfg = as_config(config)
    chosen = cfg.monitor(monitor)
    span = _as_span(window)
    how = parse_against(against)
    specs = resolve_features(cfg, chosen)
    started_at, started = clock(), time.perf_counter()
    with open_readonly_store(database_of(cfg, database)) as store:
        live = rollup(store, monitor, span)
        used: ReferenceUsed | None = None
        if how.kind == "reference":
            if live.reference_changed is not None:
                raise RollupError(live.reference_changed)
            reference = Profile(
                dict(live.reference), dict(live.problems), live.n_reference, live.profile_id
            )
        else:
            if how.kind == "span":
                assert how.span is not None
                other = rollup(store, monitor, how.span)
            else:
                count = len(live.windows) if how.kind == "previous" else how.windows
                assert count is not None
                other = rollup_before(store, monitor, span.start, count)
            same_bins(monitor, live, other)
            reference = _reference(other)
            used = other.used(_KINDS[how.kind])
    scored = score_window(
        cfg, chosen, specs, reference, {**live.problems, **live.live}, live.n_live
    )
    outcome = RunOutcome(
        monitor=monitor,
        window=span,
        status=scored.status,
        started_at=started_at,
        finished_at=clock(),
        duration_seconds=time.perf_counter() - started,
        features=scored.features,
        n_reference=reference.n_rows,
        n_live=live.n_live,
        dataset_drift=scored.dataset_drift,
        error=scored.error,
        profile_id=live.profile_id,
        reference_used=used,
        extra={"against": str(how), "windows": [w.window for w in live.windows]},
    )
    return DriftReport(outcome)
