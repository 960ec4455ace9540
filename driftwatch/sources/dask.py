"""Parquet or CSV files as a Dask DataFrame, for data that outgrows one machine (``type: dask``).

Histograms are counted where the partitions live: ``map_partitions`` runs the same
:func:`~driftwatch.sources.counting.count_frame` the in-process path uses on every partition (on
the workers of a ``distributed`` cluster when ``scheduler`` is set, else on Dask's local threads),
and only the partial histograms come back to be merged. Counts add, so the result is identical to
counting the whole data in one process.

Reading for the reference fit (``read``) brings one partition at a time into this process, so
memory stays flat there too.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd

from driftwatch.config import DaskSourceConfig
from driftwatch.sources._common import (
    DEFAULT_CHUNK_ROWS,
    BaseSource,
    ReadPlan,
    RowsRead,
    file_digest,
    parse_timestamps,
    time_mask,
)
from driftwatch.sources.counting import Counts, FeatureBins, count_frame
from driftwatch.text import one_line
from driftwatch.timeutil import TimeWindow

__all__ = ["DaskSource"]


def _count_partition(
    frame: pd.DataFrame,
    features: Sequence[FeatureBins],
    timestamp_column: str | None,
    lower: datetime | None,
    upper: datetime | None,
    where: str,
    role: str,
) -> pd.Series:
    """One partition's histograms (or problems) and rows, as a one-element object Series.

    Runs on the workers; the time filter is the in-process one (``parse_timestamps``).
    """
    if timestamp_column is not None and (lower is not None or upper is not None) and len(frame):
        stamps = parse_timestamps(
            frame[timestamp_column], column=timestamp_column, where=where, role=role
        )
        frame = frame.loc[time_mask(stamps, lower, upper)]
    counted = count_frame(frame, features, role) if len(frame) else {}
    return pd.Series([(counted, len(frame))], dtype=object)


class DaskSource(BaseSource):
    """``dask.dataframe.read_parquet`` / ``read_csv`` over ``path``, on ``scheduler`` if set."""

    config: DaskSourceConfig

    def __init__(self, config: DaskSourceConfig, *, role: str = "source") -> None:
        super().__init__(config, role=role)

    def describe(self) -> str:
        on = f" on {self.config.scheduler}" if self.config.scheduler else ""
        return f"dask {self.config.format} {self.config.path}{on}"

    def columns(self) -> list[str]:
        return [str(c) for c in self._frame(None).columns]

    def fingerprint(self) -> str:
        """Local files: path, size and mtime of each; remote: Dask's own token of the data."""
        c = self.config
        files = [Path(p) for p in sorted(glob.glob(c.path, recursive=True))]
        if files and all(f.is_file() for f in files):
            return file_digest(files, "dask", c.format, c.timestamp_column, *self.fixed_range)
        if files:  # a folder of files
            inner = [p for f in files for p in f.rglob("*") if p.is_file()]
            return file_digest(inner, "dask", c.format, c.timestamp_column, *self.fixed_range)
        token = dask.base.tokenize(self._frame(None))
        start, end = self.fixed_range
        parts = [token, c.timestamp_column, str(start), str(end)]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows: RowsRead | None = None,
    ) -> Counts:
        """Histograms from ``map_partitions`` over the Dask DataFrame, merged here."""
        plan = self._plan([f.name for f in features], window, chunk_rows)
        counts = Counts.zero(features)
        if plan.empty:
            return counts
        frame = self._frame(list(plan.fetch))
        timestamp = plan.timestamp_column if plan.filters_time else None
        partials = frame.map_partitions(
            _count_partition,
            list(features),
            timestamp,
            plan.lower,
            plan.upper,
            self.describe(),
            self.role,
            meta=pd.Series(dtype=object),
        )
        with self._session() as compute, self._errors():
            results = compute(partials)
        for counted, rows in results:
            counts = counts.add(counted, rows)
        if on_rows is not None:  # Dask counts all partitions at once: one event, at the end
            on_rows(counts.n_rows, counts.n_rows)
        return counts

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        frame = self._frame(list(plan.fetch))
        with self._session() as compute:
            for index in range(frame.npartitions):
                with self._errors():
                    part = compute(frame.partitions[index])
                yield self._filter(part.reset_index(drop=True), plan)

    # --- internals ------------------------------------------------------------------------------

    def _frame(self, columns: list[str] | None) -> Any:
        c = self.config
        with self._errors():
            if c.format == "csv":
                frame = dd.read_csv(c.path, usecols=columns)
            else:
                frame = dd.read_parquet(c.path, columns=columns)
        return frame

    @contextmanager
    def _session(self) -> Iterator[Callable[[Any], Any]]:
        """A compute function: on the configured ``distributed`` scheduler, or local threads."""
        address = self.config.scheduler
        if address is None:
            yield lambda collection: collection.compute(scheduler="threads")
            return
        from distributed import Client

        with self._errors(), Client(address, set_as_default=False, timeout="5s") as client:  # type: ignore[no-untyped-call]
            yield lambda collection: client.compute(collection).result()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn file and cluster failures into one-line SourceErrors naming the source."""
        try:
            yield
        except (OSError, ValueError, TimeoutError) as exc:
            reason = one_line(exc) or type(exc).__name__
            raise self._fail(
                f"{self.describe()} cannot be read: {reason}; check the 'path', 'format' and "
                "'scheduler' keys"
            ) from None
