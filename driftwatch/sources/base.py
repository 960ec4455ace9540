"""The source contract: the :class:`Source` protocol and :func:`open_source`, its registry.

A source turns one ``reference:`` or ``live:`` config block into chunks of pandas DataFrames holding
exactly the feature columns a monitor asks for. Backends live one per module (``csv``, ``parquet``,
``sql``, ``dataframe``, ``dask``) and are imported lazily, so reading a CSV never imports
SQLAlchemy. Every source also counts: ``count`` reads chunks and merges their histograms, and the
backends that can count where the data lives (SQL with ``pushdown``, Dask) override it.

The opener registry below is the single source of truth for the accepted ``type``s: each entry is
keyed by its config model, and its name is read from that model's ``type`` literal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, get_args, runtime_checkable

from pydantic import BaseModel

from driftwatch.config import (
    CsvSourceConfig,
    DaskSourceConfig,
    DataFrameSourceConfig,
    ParquetSourceConfig,
    SourceConfig,
    SqlSourceConfig,
)
from driftwatch.errors import SourceError
from driftwatch.sources._common import DEFAULT_CHUNK_ROWS, RowsRead
from driftwatch.sources.counting import Chunk, Counts, FeatureBins
from driftwatch.timeutil import TimeWindow

if TYPE_CHECKING:  # opening a source imports only its backend's own stack
    import pandas as pd

__all__ = ["DEFAULT_CHUNK_ROWS", "RowsRead", "Source", "open_source", "source_types"]


@runtime_checkable
class Source(Protocol):
    """Where a monitor's reference or live rows come from.

    Every error is a :class:`~driftwatch.errors.SourceError` (or its subclass
    :class:`~driftwatch.errors.ColumnError`) whose message starts with the source's *role*
    (e.g. ``monitor 'weather' live``) and never contains a password.
    """

    role: str
    """Where the source sits (``monitor 'weather' live``): the prefix of its error messages."""
    columnar: bool
    """True when reading some columns costs only those columns (Parquet), so the reference fit
    may read the data once per group of numeric features to bound its sample's memory."""

    def columns(self) -> list[str]:
        """The column names the data has, from a cheap schema or header peek (no full read).

        Raises:
            SourceError: the data cannot be opened (missing file, unreadable Parquet,
                unreachable database, bad query).
        """
        ...

    def read(
        self,
        columns: Sequence[str],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> Iterator[pd.DataFrame]:
        """Stream the rows in the source's fixed range and in ``window``, as chunks.

        Args:
            columns: the columns each chunk holds, exactly and in this order. Only these (plus
                the timestamp column when filtering by time) are read from disk or the database.
            window: keep only rows whose timestamp lies in ``[window.start, window.end)``, on top
                of the source's own ``[start, end)`` from its config (the two intersect).
            chunk_rows: the most rows a chunk holds (memory stays flat on large data).

        Returns:
            An iterator of non-empty DataFrames with a fresh RangeIndex; it may yield nothing
            when no row matches. Column validation happens before the iterator is returned.

        Raises:
            ColumnError: a requested column (or the timestamp column) is missing; the message
                lists the available columns.
            SourceError: ``window`` is given but the source has no ``timestamp_column``; the
                timestamp column holds values that are not timestamps; the data cannot be read.
        """
        ...

    def chunks(
        self,
        columns: Sequence[str],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> Iterator[Chunk]:
        """The rows of :meth:`read`, as :class:`~driftwatch.sources.counting.Chunk` objects.

        A chunk gives one column as float64 values or category counts, or counts features on
        their bins, without the caller knowing how it is held: a pandas frame, or (Parquet) the
        Arrow table as read, never converted to pandas. Same arguments, rows and errors as
        :meth:`read`.
        """
        ...

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows: RowsRead | None = None,
    ) -> Counts:
        """Each feature's histogram on its frozen bins (or its problem), and the rows counted.

        The default reads chunks with :meth:`read` and merges their histograms, columns counted
        on threads; SQL with ``pushdown: true`` counts in the database and Dask on its
        partitions. Every way gives exactly the in-process engine's counts on the same rows.

        Args:
            features: each feature's column, kind and frozen bins.
            window: as for :meth:`read`.
            chunk_rows: as for :meth:`read`, where the backend streams rows at all.
            on_rows: hears ``(rows read so far, total or None)`` once per chunk and
                ``(n, n)`` at the end (see :data:`~driftwatch.sources.base.RowsRead`).

        Returns:
            A :class:`~driftwatch.sources.counting.Counts` naming every feature once: in
            ``histograms``, or in ``problems`` when its column cannot be counted (e.g. text in
            a numeric feature); the other features are still counted.

        Raises:
            ColumnError: a feature's column (or the timestamp column) is missing.
            SourceError: as for :meth:`read`.
        """
        ...

    def row_total(self, window: TimeWindow | None = None) -> int | None:
        """How many rows ``read``/``count`` will yield, when cheap to know (Parquet metadata
        without a time filter); None otherwise. A hint, never relied on for correctness: for
        progress bars and to size the reference sample's buffer and passes."""
        ...

    def time_span(self, window: TimeWindow | None = None) -> TimeWindow | None:
        """``[earliest, latest + 1 µs)`` of the timestamps in the fixed range and ``window``.

        Reads the timestamp column only. None when the source has no ``timestamp_column`` or
        no row with a timestamp. A manual run of a monitor without a fixed window covers it.

        Raises:
            ColumnError: the timestamp column is missing.
            SourceError: as for :meth:`read`.
        """
        ...

    def fingerprint(self) -> str:
        """A hex digest that changes when the data content (or the fixed range) changes.

        Cheap by design so a stored reference profile can be reused: file sources hash the
        resolved path, size and mtime of each file; SQL sources the redacted URL, the table or
        query text and a ``COUNT(*)``; DataFrame sources the frame's own content hash.

        Raises:
            SourceError: the data cannot be opened.
        """
        ...

    def describe(self) -> str:
        """A one-line human description with secrets redacted, e.g. ``csv file /data/x.csv``."""
        ...


Frames = Mapping[str, "pd.DataFrame"] | None
C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True)
class _Opener(Generic[C]):
    """How one config model becomes a :class:`Source`; the model's ``type`` literal names it."""

    model: type[C]
    build: Callable[[C, Frames, str], Source]

    @property
    def type(self) -> str:
        (tag,) = get_args(self.model.model_fields["type"].annotation)
        return str(tag)

    def open(self, config: object, frames: Frames, role: str) -> Source:
        if not isinstance(config, self.model):
            raise TypeError(f"expected {self.model.__name__}, found {type(config).__name__}")
        return self.build(config, frames, role)


def _csv(config: CsvSourceConfig, frames: Frames, role: str) -> Source:
    from driftwatch.sources.csv import CsvSource

    return CsvSource(config, role=role)


def _parquet(config: ParquetSourceConfig, frames: Frames, role: str) -> Source:
    from driftwatch.sources.parquet import ParquetSource

    return ParquetSource(config, role=role)


def _sql(config: SqlSourceConfig, frames: Frames, role: str) -> Source:
    from driftwatch.sources.sql import SqlSource

    return SqlSource(config, role=role)


def _dataframe(config: DataFrameSourceConfig, frames: Frames, role: str) -> Source:
    from driftwatch.sources.dataframe import DataFrameSource

    return DataFrameSource(config, frames=frames, role=role)


def _dask(config: DaskSourceConfig, frames: Frames, role: str) -> Source:
    try:
        import dask.dataframe  # noqa: F401  (an optional dependency: say how to install it)
    except ImportError as exc:
        raise SourceError(
            f"{role}: source type 'dask' needs Dask ({exc}); install it with "
            "pip install 'driftwatch-monitor[dask]'"
        ) from None
    from driftwatch.sources.dask import DaskSource

    return DaskSource(config, role=role)


_OPENERS: dict[str, _Opener[Any]] = {
    opener.type: opener
    for opener in (
        _Opener(CsvSourceConfig, _csv),
        _Opener(DaskSourceConfig, _dask),
        _Opener(DataFrameSourceConfig, _dataframe),
        _Opener(ParquetSourceConfig, _parquet),
        _Opener(SqlSourceConfig, _sql),
    )
}


def source_types() -> dict[str, type[BaseModel]]:
    """Each accepted source ``type`` and its config model, sorted by type: what
    :func:`open_source` accepts (the config's discriminated union must list the same models)."""
    return {name: _OPENERS[name].model for name in sorted(_OPENERS)}


def open_source(
    config: SourceConfig,
    *,
    frames: Frames = None,
    role: str = "source",
) -> Source:
    """Build the :class:`Source` for a config block; nothing is opened until it is used.

    Args:
        config: a validated source config; its ``type`` selects the backend.
        frames: in-memory DataFrames by name, for ``type: dataframe`` sources.
        role: where the source sits (``"monitor 'weather' live"``); prefixes every error message.

    Raises:
        SourceError: ``config.type`` names no known backend (the message lists accepted types).
    """
    kind = getattr(config, "type", None)
    opener = _OPENERS.get(kind) if isinstance(kind, str) else None
    if opener is None:
        raise SourceError(
            f"{role}: unknown source type {kind!r}; choose one of: {', '.join(source_types())}"
        )
    return opener.open(config, frames, role)
