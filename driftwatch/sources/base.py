"""The source contract: a time window, the :class:`Source` protocol and :func:`open_source`.

A source turns one ``reference:`` or ``live:`` config block into chunks of pandas DataFrames holding
exactly the feature columns a monitor asks for. Backends live one per module (``csv``, ``parquet``,
``sql``, ``dataframe``, ``dask``) and are imported lazily, so reading a CSV never imports
SQLAlchemy. Sources that can count histograms where the data lives (SQL with ``pushdown``, Dask)
also implement :class:`CountingSource`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from driftwatch.config import (
    CsvSourceConfig,
    DaskSourceConfig,
    DataFrameSourceConfig,
    ParquetSourceConfig,
    SourceConfig,
    SqlSourceConfig,
)
from driftwatch.errors import SourceError
from driftwatch.timeutil import TimeWindow

if TYPE_CHECKING:
    from driftwatch.sources.counting import FeatureBins

__all__ = ["DEFAULT_CHUNK_ROWS", "CountingSource", "Source", "open_source"]

DEFAULT_CHUNK_ROWS = 250_000


@runtime_checkable
class Source(Protocol):
    """Where a monitor's reference or live rows come from.

    Every error is a :class:`~driftwatch.errors.SourceError` (or its subclass
    :class:`~driftwatch.errors.ColumnError`) whose message starts with the source's *role*
    (e.g. ``monitor 'weather' live``) and never contains a password.
    """

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


@runtime_checkable
class CountingSource(Protocol):
    """A source that can count histograms where the data lives (SQL pushdown, Dask).

    The monitor asks it for live counts instead of streaming rows to this process when
    ``counts_in_place`` is true; the counts must equal those of the in-process engine on the
    same rows exactly.
    """

    @property
    def counts_in_place(self) -> bool:
        """Whether :meth:`count` should be used instead of :meth:`Source.read` + counting."""
        ...

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> tuple[dict[str, np.ndarray | str], int]:
        """Counts per slot of each feature (or why its column could not be counted), and rows.

        Args:
            features: each feature's column, kind and frozen bins.
            window: as for :meth:`Source.read`.
            chunk_rows: as for :meth:`Source.read`, where the backend streams at all.

        Raises:
            ColumnError: a feature's column (or the timestamp column) is missing.
            SourceError: the data cannot be read.
        """
        ...


Factory = Callable[[SourceConfig, Mapping[str, pd.DataFrame] | None, str], Source]


def _csv(config: SourceConfig, frames: Mapping[str, pd.DataFrame] | None, role: str) -> Source:
    from driftwatch.sources.csv import CsvSource

    if not isinstance(config, CsvSourceConfig):
        raise TypeError(f"expected CsvSourceConfig, found {type(config).__name__}")
    return CsvSource(config, role=role)


def _parquet(config: SourceConfig, frames: Mapping[str, pd.DataFrame] | None, role: str) -> Source:
    from driftwatch.sources.parquet import ParquetSource

    if not isinstance(config, ParquetSourceConfig):
        raise TypeError(f"expected ParquetSourceConfig, found {type(config).__name__}")
    return ParquetSource(config, role=role)


def _sql(config: SourceConfig, frames: Mapping[str, pd.DataFrame] | None, role: str) -> Source:
    from driftwatch.sources.sql import SqlSource

    if not isinstance(config, SqlSourceConfig):
        raise TypeError(f"expected SqlSourceConfig, found {type(config).__name__}")
    return SqlSource(config, role=role)


def _dataframe(
    config: SourceConfig, frames: Mapping[str, pd.DataFrame] | None, role: str
) -> Source:
    from driftwatch.sources.dataframe import DataFrameSource

    if not isinstance(config, DataFrameSourceConfig):
        raise TypeError(f"expected DataFrameSourceConfig, found {type(config).__name__}")
    return DataFrameSource(config, frames=frames, role=role)


def _dask(config: SourceConfig, frames: Mapping[str, pd.DataFrame] | None, role: str) -> Source:
    try:
        from driftwatch.sources.dask import DaskSource
    except ImportError as exc:
        raise SourceError(
            f"{role}: source type 'dask' needs Dask ({exc}); install it with "
            "pip install 'driftwatch[dask]'"
        ) from None
    if not isinstance(config, DaskSourceConfig):
        raise TypeError(f"expected DaskSourceConfig, found {type(config).__name__}")
    return DaskSource(config, role=role)


_REGISTRY: dict[str, Factory] = {
    "csv": _csv,
    "dask": _dask,
    "dataframe": _dataframe,
    "parquet": _parquet,
    "sql": _sql,
}


def open_source(
    config: SourceConfig,
    *,
    frames: Mapping[str, pd.DataFrame] | None = None,
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
    factory = _REGISTRY.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise SourceError(
            f"{role}: unknown source type {kind!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        )
    return factory(config, frames, role)
