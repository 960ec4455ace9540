"""Machinery shared by the backends: read planning, timestamp parsing, time filtering, chunking.

Each backend subclasses :class:`BaseSource` and implements ``columns``, ``describe``,
``fingerprint`` and ``_scan``; ``read`` (validation, column selection, chunk sizing), ``chunks``
(the read's frames as :class:`~driftwatch.sources.counting.Chunk` objects; Parquet hands out Arrow
tables instead) and the default ``count`` (count the chunks, merge their histograms) live here so
every backend behaves the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import numpy as np

from driftwatch.errors import ColumnError, SourceError
from driftwatch.sources.counting import Chunk, Counts, FeatureBins, FrameChunk, count_chunks
from driftwatch.text import did_you_mean, shorten
from driftwatch.timeutil import TimeWindow, as_utc

if TYPE_CHECKING:  # pandas is imported where frames are made: opening a source needs none
    import pandas as pd

DEFAULT_CHUNK_ROWS = 250_000
"""How many rows a chunk holds unless the config says otherwise (``defaults.chunk_rows``)."""
COLUMNS_PER_PASS = 32
"""The most columns one pass over a columnar source reads. pyarrow holds a decoded page (about
1 MiB) or more per column it streams, whatever the batch size: a count of 305 columns × 200k
rows held 690 MiB of Arrow memory in one pass, 150 MiB in passes of 32 (and took 1.5 s instead of
8 s), so wider counts and reference fits read the rows once per group of columns (each column is
still decoded once)."""
_MAX_LISTED = 40
RowsRead = Callable[[int, int | None], None]
"""``on_rows(done, total)``: rows read so far and the total when cheaply known (else None).

Called once per chunk and once at the end with ``total == done``; it must be quick and not raise.
"""
T = TypeVar("T")
_DONE = object()


S = TypeVar("S", bound=Sized)


def report_rows(chunks: Iterable[S], on_rows: RowsRead | None, total: int | None) -> Iterator[S]:
    """``chunks`` unchanged, telling ``on_rows`` the rows passed on so far (and the end)."""
    if on_rows is None:
        yield from chunks
        return
    done = 0
    on_rows(done, total)
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        on_rows(done, total)
    on_rows(done, done)


_WARNING_FILTERS = threading.RLock()


@contextmanager
def ignoring(*categories: type[Warning]) -> Iterator[None]:
    """Warnings of ``categories`` dropped for the duration of one short call, nothing else.

    For a library's warning that a one-line error already words (pandas' ``ParserWarning`` on a
    header read, SQLAlchemy's ``SAWarning`` on reflecting column types the read never uses): it
    would print on stderr before that line. The process's filters are saved and restored by
    ``warnings.catch_warnings``, under a lock: two threads overlapping would each restore the
    other's copy and leave this filter in place for good. Keep the body short (it holds the lock).
    """
    with _WARNING_FILTERS, warnings.catch_warnings():
        for category in categories:
            warnings.filterwarnings("ignore", category=category)
        yield


def prefetch(items: Iterable[T]) -> Iterator[T]:
    """``items`` produced one ahead on a background thread: the next is read while this one is used.

    Readers that release the GIL (pyarrow decoding, file reads) then overlap with counting. At most
    one item waits in the hand-off, so memory stays at about three items (the one in use, the one
    waiting, the one being read). An exception in the reader is raised here, at the item where it
    happened; closing this generator early stops the reader.
    """
    hand_off: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                hand_off.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put((_DONE, exc))
            return
        put((_DONE, None))

    reader = threading.Thread(target=produce, name="driftwatch-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item, error = hand_off.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield cast(T, item)
    finally:
        stop.set()
        reader.join()


class TimeFiltered(Protocol):
    """The config fields every source shares (see ``driftwatch.config.models._SourceBase``)."""

    @property
    def timestamp_column(self) -> str | None: ...
    @property
    def start(self) -> datetime | None: ...
    @property
    def end(self) -> datetime | None: ...


@dataclass(frozen=True)
class ReadPlan:
    """What one ``read`` call fetches: validated columns, time bounds and chunk size."""

    columns: tuple[str, ...]
    """The requested columns, in order (duplicates kept: the output repeats them)."""
    fetch: tuple[str, ...]
    """The distinct columns to read: the requested ones, plus the timestamp column if filtering."""
    timestamp_column: str | None
    lower: datetime | None
    upper: datetime | None
    chunk_rows: int

    @property
    def filters_time(self) -> bool:
        return self.lower is not None or self.upper is not None

    @property
    def empty(self) -> bool:
        """True when the fixed range and the window do not overlap: nothing can match."""
        return self.lower is not None and self.upper is not None and self.lower >= self.upper


def intersect(
    start: datetime | None, end: datetime | None, window: TimeWindow | None
) -> tuple[datetime | None, datetime | None]:
    """The intersection of ``[start, end)`` (either side open) with ``window``."""
    if window is None:
        return start, end
    lower = window.start if start is None else max(start, window.start)
    upper = window.end if end is None else min(end, window.end)
    return lower, upper


def parse_timestamps(values: pd.Series, *, column: str, where: str, role: str) -> pd.Series:
    """``values`` as tz-aware UTC datetimes (naive ones are taken as UTC).

    Text is parsed as ISO 8601 first (fast), then with the format pandas infers from the first
    value, then element by element. Numbers are refused rather than guessed as epoch offsets.

    Raises:
        SourceError: a non-missing value is not a timestamp; the message (``role: column 'ts' of
            <where> holds values that are not timestamps, such as 'abc'; ...``) shows one.
    """
    import pandas as pd
    from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype
    from pandas.tseries.api import guess_datetime_format

    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return cast(pd.Series, values.dt.tz_convert("UTC"))
    if is_datetime64_any_dtype(dtype):
        return cast(pd.Series, values.dt.tz_localize("UTC"))
    present = values.dropna()
    if present.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
    elif is_numeric_dtype(dtype) or is_bool_dtype(dtype):
        raise _not_timestamps(role, column, where, present.iloc[0])
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        pass
    first = present.iloc[0]
    fmt = (guess_datetime_format(first) if isinstance(first, str) else None) or "mixed"
    try:
        return pd.to_datetime(values, utc=True, format=fmt)
    except (ValueError, TypeError, OverflowError):
        coerced = pd.to_datetime(values, utc=True, format=fmt, errors="coerce")
        bad = values[values.notna() & coerced.isna()]
        raise _not_timestamps(role, column, where, bad.iloc[0] if len(bad) else first) from None


def _not_timestamps(role: str, column: str, where: str, example: object) -> SourceError:
    return SourceError(
        f"{role}: column {column!r} of {where} holds values that are not timestamps, such as "
        f"{shorten(str(example))!r}; fix 'timestamp_column' or the data"
    )


def time_mask(stamps: pd.Series, lower: datetime | None, upper: datetime | None) -> np.ndarray:
    """A boolean array: which UTC ``stamps`` lie in ``[lower, upper)``; missing ones never do."""
    import pandas as pd

    mask = stamps.notna().to_numpy(dtype=bool)
    if lower is not None:
        mask = mask & (stamps >= pd.Timestamp(lower)).to_numpy(dtype=bool)
    if upper is not None:
        mask = mask & (stamps < pd.Timestamp(upper)).to_numpy(dtype=bool)
    return mask


def file_digest(paths: Iterable[Path], *extra: object) -> str:
    """sha256 of each file's (resolved path, size, mtime_ns) plus ``extra`` settings."""
    h = hashlib.sha256()
    for path in sorted(p.resolve() for p in paths):
        stat = path.stat()
        h.update(json.dumps([str(path), stat.st_size, stat.st_mtime_ns]).encode())
    h.update(json.dumps([_jsonable(x) for x in extra]).encode())
    return h.hexdigest()


def _jsonable(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def absolute(path: Path) -> Path:
    """``path`` made absolute (``~`` expanded) without resolving symlinks, for messages."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def listing(names: Sequence[str]) -> str:
    """``a, b, c`` (shortened when long), or ``(none)``."""
    if not names:
        return "(none)"
    shown = ", ".join(names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return f"{shown}, ... ({more} more)" if more > 0 else shown


class BaseSource(ABC):
    """Common behaviour of every backend: plan a read, validate it, select and size chunks."""

    config: TimeFiltered
    columnar = False
    """See :attr:`driftwatch.sources.Source.columnar`: True where a read of some columns costs
    only those columns (Parquet)."""

    def __init__(self, config: TimeFiltered, *, role: str) -> None:
        self.config = config
        self.role = role

    @property
    def fixed_range(self) -> tuple[datetime | None, datetime | None]:
        """The config's own ``[start, end)`` as aware UTC (a YAML date arrives naive)."""
        start, end = self.config.start, self.config.end
        return (
            as_utc(start) if start is not None else None,
            as_utc(end) if end is not None else None,
        )

    @abstractmethod
    def columns(self) -> list[str]: ...

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def fingerprint(self) -> str: ...

    @abstractmethod
    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        """Frames holding at least ``plan.columns``, already filtered to the plan's time bounds.

        Backends read only ``plan.fetch`` and call :meth:`_filter` unless they pushed the time
        filter down to the storage engine exactly.
        """

    def read(
        self,
        columns: Sequence[str],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> Iterator[pd.DataFrame]:
        """See :meth:`driftwatch.sources.Source.read`."""
        plan = self._plan(columns, window, chunk_rows)
        return self._chunks(plan)

    def chunks(
        self,
        columns: Sequence[str],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> Iterator[Chunk]:
        """See :meth:`driftwatch.sources.Source.chunks`: the frames of :meth:`read`, wrapped."""
        plan = self._plan(columns, window, chunk_rows)
        return (FrameChunk(frame) for frame in self._chunks(plan))

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows: RowsRead | None = None,
    ) -> Counts:
        """See :meth:`driftwatch.sources.Source.count`: :meth:`chunks`, counted here."""
        chunks = self.chunks([f.name for f in features], window=window, chunk_rows=chunk_rows)
        return count_chunks(
            report_rows(chunks, on_rows, self.row_total(window)), features, self.role
        )

    def row_total(self, window: TimeWindow | None = None) -> int | None:
        """See :meth:`driftwatch.sources.Source.row_total`: unknown unless a backend knows."""
        return None

    def time_span(self, window: TimeWindow | None = None) -> TimeWindow | None:
        """See :meth:`driftwatch.sources.Source.time_span`: a scan of the timestamp column."""
        column = self.config.timestamp_column
        if not column:
            return None
        plan = self._plan([column], window, DEFAULT_CHUNK_ROWS)
        earliest: pd.Timestamp | None = None
        latest: pd.Timestamp | None = None
        for chunk in self._chunks(plan):
            stamps = parse_timestamps(
                chunk[column], column=column, where=self.describe(), role=self.role
            ).dropna()
            if stamps.empty:
                continue
            low, high = stamps.min(), stamps.max()
            earliest = low if earliest is None else min(earliest, low)
            latest = high if latest is None else max(latest, high)
        if earliest is None or latest is None:
            return None
        return TimeWindow(
            earliest.to_pydatetime(), latest.to_pydatetime() + timedelta(microseconds=1)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    # --- helpers for subclasses -----------------------------------------------------------------

    def _fail(self, message: str) -> SourceError:
        return SourceError(f"{self.role}: {message}")

    def _filter(self, frame: pd.DataFrame, plan: ReadPlan) -> pd.DataFrame:
        """The rows of ``frame`` whose timestamp lies in the plan's bounds (all if unbounded)."""
        if not plan.filters_time or plan.timestamp_column is None or len(frame) == 0:
            return frame
        column = plan.timestamp_column
        stamps = parse_timestamps(
            frame[column], column=column, where=self.describe(), role=self.role
        )
        keep = time_mask(stamps, plan.lower, plan.upper)
        return frame if keep.all() else frame.loc[keep]

    # --- internals ------------------------------------------------------------------------------

    def _plan(self, columns: Sequence[str], window: TimeWindow | None, chunk_rows: int) -> ReadPlan:
        if isinstance(columns, str):
            raise TypeError("columns must be a sequence of column names, not a single string")
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, found {chunk_rows}")
        config = self.config
        timestamp = config.timestamp_column or None
        if window is not None and timestamp is None:
            raise self._fail(
                f"a time window {window} was requested but {self.describe()} has no "
                "'timestamp_column'; set it to the column holding each row's time"
            )
        lower, upper = intersect(*self.fixed_range, window)
        filters = lower is not None or upper is not None
        if filters and timestamp is None:
            raise self._fail(
                f"'start'/'end' need 'timestamp_column' to be set for {self.describe()}"
            )
        wanted = list(dict.fromkeys(columns))
        available = self.columns()
        known = set(available)
        missing = [c for c in wanted if c not in known]
        if missing:
            raise ColumnError(f"{self.role}: {self._missing_message(missing, available)}")
        if filters and timestamp not in known:
            hint = did_you_mean(str(timestamp), available)
            raise ColumnError(
                f"{self.role}: timestamp column {timestamp!r} not found in {self.describe()}"
                f"{hint}; fix 'timestamp_column'; available columns: {listing(available)}"
            )
        fetch = [*wanted, timestamp] if filters and timestamp not in wanted else wanted
        return ReadPlan(
            columns=tuple(columns),
            fetch=tuple(str(c) for c in fetch),
            timestamp_column=timestamp,
            lower=lower,
            upper=upper,
            chunk_rows=chunk_rows,
        )

    def _missing_message(self, missing: list[str], available: list[str]) -> str:
        names = ", ".join(repr(c) for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        hint = did_you_mean(missing[0], available) if len(missing) == 1 else ""
        return (
            f"{noun} {names} not found in {self.describe()}{hint}; "
            f"available columns: {listing(available)}"
        )

    def _chunks(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        if plan.empty:
            return
        selection = list(plan.columns)
        for frame in self._scan(plan):
            if len(frame) == 0:  # not .empty: a frame of no columns still has rows
                continue
            chunk = frame[selection].reset_index(drop=True)
            yield from split_rows(chunk, plan.chunk_rows)


def split_rows(frame: pd.DataFrame, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """``frame`` cut into pieces of at most ``chunk_rows`` rows (itself if it already fits)."""
    rows = len(frame)
    if rows <= chunk_rows:
        if rows:
            yield frame
        return
    for begin in range(0, rows, chunk_rows):
        yield frame.iloc[begin : begin + chunk_rows].reset_index(drop=True)
