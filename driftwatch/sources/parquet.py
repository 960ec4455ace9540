"""Parquet files and directories of Parquet files, streamed as record batches with pyarrow.

Only the needed columns are decoded, in batches of at most ``chunk_rows`` rows (and at most 64Ki)
streamed from inside each row group (``pre_buffer=False``), so memory is bounded by the chunk size
whatever the file's row-group layout. When the timestamp column has an Arrow timestamp type the
time filter is pushed down: row groups outside the window are skipped using their statistics and
each batch is filtered in Arrow. The next batch is read on a thread while this one is counted,
and ``chunks`` (which ``count`` and the reference fit read) hand out the Arrow tables themselves
(:mod:`driftwatch.sources.arrow`), never building a pandas frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from driftwatch.config import ParquetSourceConfig
from driftwatch.errors import ColumnError
from driftwatch.sources._common import (
    COLUMNS_PER_PASS,
    DEFAULT_CHUNK_ROWS,
    BaseSource,
    ReadPlan,
    RowsRead,
    absolute,
    file_digest,
    intersect,
    parse_timestamps,
    prefetch,
    time_mask,
)
from driftwatch.sources.arrow import ArrowChunk, is_string_type
from driftwatch.sources.counting import Chunk, Counts, FeatureBins
from driftwatch.text import one_line
from driftwatch.timeutil import TimeWindow

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ParquetSource"]

# datetime64[ns] only spans 1677-09-21 .. 2262-04-11; bounds outside it are filtered in pandas.
_NS_MIN = datetime(1678, 1, 1, tzinfo=UTC)
_NS_MAX = datetime(2262, 1, 1, tzinfo=UTC)
_READ_BUFFER = 1 << 20
"""Bytes pyarrow reads from the file at a time per column chunk streamed (pre_buffer off), split
among the columns of a wide read (at least 64 KiB each): :func:`_read_buffer`."""
_BATCH_ROWS = 65_536
_BATCH_BYTES = 16 << 20
"""pyarrow decodes at most 64Ki rows and ~16 MiB of values at a time, below ``chunk_rows``: three
batches are alive at once (counted, waiting, being read), and smaller batches hold the reader's
buffers down (measured on 25 columns of 1Mi-row groups: a count peaks at ~110 MiB of Arrow memory
with 64Ki-row batches against ~180 MiB with 250k-row ones, in about the same time)."""


def _batch_rows(chunk_rows: int, columns: int) -> int:
    """Rows per decoded batch: ``chunk_rows`` at most, and ~16 MiB of 8-byte values."""
    by_bytes = max(4096, _BATCH_BYTES // (8 * max(columns, 1)))
    return max(1, min(chunk_rows, _BATCH_ROWS, by_bytes))


def _read_buffer(columns: int) -> int:
    """The read buffer of each column stream: 1 MiB shared out over 32 columns and more."""
    return max(64 << 10, min(_READ_BUFFER, (32 << 20) // max(columns, 1)))


def _dictionary_columns(file_schema: Any, stored: list[str], plan: ReadPlan) -> list[str]:
    """The string columns of ``stored`` to read as dictionaries (never the timestamp column,
    whose text is parsed row by row)."""
    return [
        name
        for name in stored
        if name != plan.timestamp_column and is_string_type(file_schema.field(name).type)
    ]


def _same_values(have: Any, want: Any) -> bool:
    """True when a column of type ``have`` already holds ``want``'s values. A dictionary of
    strings holds a string column's (pyarrow decodes ``large_string`` ones, which pandas
    writes, into a dictionary of ``string``): it is what :func:`_dictionary_columns` asked for,
    and casting it back would build every string again."""
    if have == want:
        return True
    return pa.types.is_dictionary(have) and is_string_type(have) and is_string_type(want)


_PUSHED = b"driftwatch.pushed_down"
_BAD_FILE = re.compile(r"Could not open Parquet input source '([^']*)': (.*)")


def pushed_down(plan: ReadPlan, table: Any) -> bool:
    """True when ``table`` is already filtered to the plan's bounds (or there are none)."""
    if not plan.filters_time:
        return True
    metadata = table.schema.metadata or {}
    return _PUSHED in metadata


class ParquetSource(BaseSource):
    """A Parquet file, or a directory of them (hive-style ``key=value`` folders become columns)."""

    config: ParquetSourceConfig

    def __init__(self, config: ParquetSourceConfig, *, role: str = "source") -> None:
        super().__init__(config, role=role)
        self.path = absolute(config.path)

    def describe(self) -> str:
        kind = "directory" if self.path.is_dir() else "file"
        return f"parquet {kind} {self.path}"

    def columns(self) -> list[str]:
        """The schema's names (for a directory, as pyarrow unifies them from its first file).

        A single file's come from its footer alone: ``pyarrow.dataset`` (which imports pandas)
        is only loaded to read data or to list a directory, so ``validate`` stays light.
        """
        if self.path.is_file():
            with self._errors():
                return [str(name) for name in pq.read_schema(self.path).names]
        return [str(name) for name in self._dataset().schema.names]

    def fingerprint(self) -> str:
        c = self.config
        return file_digest(self._files(), "parquet", c.timestamp_column, *self.fixed_range)

    def _files(self) -> list[Path]:
        """The Parquet files read: the file itself, or the directory's (through its dataset)."""
        if self.path.is_file():
            return [self.path]
        return [Path(f) for f in self._dataset().files]

    columnar = True

    def chunks(
        self,
        columns: Sequence[str],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> Iterator[Chunk]:
        """Arrow batches as they are read (the next one is read while this one is used).

        Columns are read and counted on the Arrow buffers (:mod:`driftwatch.sources.arrow`),
        never as a pandas frame; a time filter that could not be pushed down is applied per
        batch, in pandas, on the timestamp column only.
        """
        plan = self._plan(columns, window, chunk_rows)
        return self._arrow_chunks(plan)

    def count(
        self,
        features: Sequence[FeatureBins],
        *,
        window: TimeWindow | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows: RowsRead | None = None,
    ) -> Counts:
        """Counted as :meth:`chunks` reads them, in passes of at most ``COLUMNS_PER_PASS`` columns
        (``on_rows`` hears the first pass)."""
        if len(features) <= COLUMNS_PER_PASS:
            return super().count(features, window=window, chunk_rows=chunk_rows, on_rows=on_rows)
        passes = [
            super(ParquetSource, self).count(
                features[i : i + COLUMNS_PER_PASS],
                window=window,
                chunk_rows=chunk_rows,
                on_rows=on_rows if i == 0 else None,
            )
            for i in range(0, len(features), COLUMNS_PER_PASS)
        ]
        return Counts(
            {name: h for part in passes for name, h in part.histograms.items()},
            {name: p for part in passes for name, p in part.problems.items()},
            passes[0].n_rows,
        )

    def _arrow_chunks(self, plan: ReadPlan) -> Iterator[Chunk]:
        if plan.empty:
            return
        for table in prefetch(self._tables(plan, dictionaries=True)):
            if not pushed_down(plan, table):
                keep = self._keep(table, plan)
                if keep is not None:
                    table = table.filter(pa.array(keep))
            if table.num_rows:
                yield ArrowChunk(table)

    def row_total(self, window: TimeWindow | None = None) -> int | None:
        """The files' row count from their footers, when no time filter applies (else None)."""
        lower, upper = intersect(*self.fixed_range, window)
        if lower is not None or upper is not None:
            return None
        try:
            return sum(int(pq.ParquetFile(f).metadata.num_rows) for f in self._files())
        except Exception:  # a progress total is never worth a failure: the read will say
            return None

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        for table in prefetch(self._tables(plan)):
            frame = table.to_pandas(split_blocks=True)
            yield frame if pushed_down(plan, table) else self._filter(frame, plan)

    def _keep(self, table: Any, plan: ReadPlan) -> np.ndarray | None:
        """Which rows of ``table`` lie in the plan's time bounds (None: all of them)."""
        column = plan.timestamp_column
        assert column is not None
        stamps = parse_timestamps(
            table.column(column).to_pandas(), column=column, where=self.describe(), role=self.role
        )
        keep = time_mask(stamps, plan.lower, plan.upper)
        return None if keep.all() else keep

    def _tables(self, plan: ReadPlan, *, dictionaries: bool = False) -> Iterator[Any]:
        """Arrow tables of at most ``plan.chunk_rows`` rows, streamed inside row groups.

        Each file is opened with ``pre_buffer=False`` and a bounded read buffer and read with
        ``iter_batches(batch_size=chunk_rows)``, so memory stays near one chunk however large the
        file's row groups are (pyarrow's default is 1Mi rows). Row groups outside an Arrow
        time filter are skipped on their statistics, and the filter is applied to each batch
        exactly; the ``pushed_down`` mark on the table says so. Hive partition columns are added
        as constant columns. With ``dictionaries`` string columns (the timestamp column aside)
        come as Arrow dictionary arrays, decoded from the file's dictionary pages without building
        a string per row: the counting path (:mod:`driftwatch.sources.arrow`) counts their codes.
        """
        if self.path.is_file() and not plan.filters_time:
            # One file, no time filter: no dataset (pyarrow.dataset imports pandas).
            with self._errors(str(self.path)):
                schema = pq.read_schema(self.path)
                yield from self._file_tables(
                    str(self.path),
                    None,
                    {},
                    schema,
                    None,
                    list(plan.fetch),
                    None,
                    plan,
                    dictionaries,
                )
            return
        dataset = self._dataset()
        schema = dataset.schema
        self._refuse_repeated(schema, plan.fetch, self.describe())
        expression = self._pushdown(schema, plan) if plan.filters_time else None
        columns = list(dict.fromkeys(plan.columns)) if expression is not None else list(plan.fetch)
        with self._errors():
            import pyarrow.dataset as ds

            for fragment in dataset.get_fragments(filter=expression):
                groups = None
                if expression is not None:
                    pieces = fragment.split_by_row_group(filter=expression, schema=schema)
                    groups = [g.id for piece in pieces for g in piece.row_groups]
                    if not groups:
                        continue
                keys = ds.get_partition_keys(fragment.partition_expression) or {}
                with self._errors(fragment.path):
                    yield from self._file_tables(
                        fragment.path,
                        fragment.filesystem,
                        keys,
                        schema,
                        expression,
                        columns,
                        groups,
                        plan,
                        dictionaries,
                    )

    def _file_tables(
        self,
        path: str,
        filesystem: Any,
        keys: dict[str, Any],
        schema: Any,
        expression: Any,
        columns: list[str],
        groups: list[int] | None,
        plan: ReadPlan,
        dictionaries: bool,
    ) -> Iterator[Any]:
        """One file's batches of ``columns`` (only row ``groups`` if given), with its hive
        partition ``keys`` as columns, typed as the dataset's ``schema``, filtered on
        ``expression`` (the timestamp column is read for it, then dropped)."""
        read = columns
        if expression is not None and plan.timestamp_column not in columns:
            read = [*columns, str(plan.timestamp_column)]
        chunk_rows = plan.chunk_rows
        open_file = partial(
            pq.ParquetFile,
            path,
            pre_buffer=False,
            buffer_size=_read_buffer(len(read)),
            filesystem=filesystem,
        )
        handle = open_file()
        try:
            file_schema = handle.schema_arrow
            self._refuse_repeated(file_schema, read, f"parquet file {path}")
            names = set(file_schema.names)
            stored = [c for c in read if c in names]
            self._refuse_absent([c for c in read if c not in names], path, keys)
            coded = _dictionary_columns(file_schema, stored, plan) if dictionaries else []
            if coded:  # reopened to read them as dictionaries; the footer is not parsed again
                footer = handle.metadata
                handle.close()
                handle = open_file(metadata=footer, read_dictionary=coded)
            for batch in handle.iter_batches(
                batch_size=_batch_rows(chunk_rows, len(stored)),
                row_groups=groups,
                columns=stored,
            ):
                if batch.num_rows == 0:
                    continue
                table = self._complete(pa.Table.from_batches([batch]), read, keys, schema)
                if expression is not None:
                    table = table.filter(expression).select(columns)
                    table = table.replace_schema_metadata({_PUSHED: b"1"})
                    if table.num_rows == 0:
                        continue
                yield table
        finally:
            handle.close()

    def _refuse_absent(self, absent: list[str], path: str, keys: dict[str, Any]) -> None:
        """ColumnError when a file of the directory lacks a column to read that is not one of its
        hive partition keys (``key=value`` folders): read as nulls, it would pass for a moved
        ``__missing__`` bin without naming the file."""
        folders = {part.partition("=")[0] for part in Path(path).parts if "=" in part}
        lacking = [c for c in absent if c not in keys and c not in folders]
        if lacking:
            names = ", ".join(repr(c) for c in lacking)
            noun = "column" if len(lacking) == 1 else "columns"
            raise ColumnError(
                f"{self.role}: parquet file {path} has no {noun} {names}, which the "
                f"{self.describe()} has; add the {noun} to that file (nulls where unknown) or "
                "move the file out of the directory"
            )

    def _name_a_repeated_column(self) -> None:
        """ColumnError naming a file of the directory whose schema repeats a column name (pyarrow
        cannot make one dataset of it), if there is one."""
        for path in sorted(p for p in self.path.rglob("*") if p.is_file()):
            try:
                schema = pq.read_schema(path)
            except (pa.ArrowException, OSError):
                continue
            self._refuse_repeated(schema, schema.names, f"parquet file {path}")

    def _refuse_repeated(self, schema: Any, names: Sequence[str], where: str) -> None:
        """ColumnError when one of ``names`` names more than one column of ``schema``: which of
        them a feature means is not the reader's to guess."""
        for name in dict.fromkeys(names):
            count = len(schema.get_all_field_indices(name))
            if count > 1:
                raise ColumnError(
                    f"{self.role}: {where} has {count} columns named {name!r}; a feature reads "
                    "one column: rename or drop the repeated one in the data"
                )

    @staticmethod
    def _complete(table: Any, names: list[str], keys: dict[str, Any], schema: Any) -> Any:
        """``table`` with the partition columns added, ``names`` in order, typed as ``schema``."""
        if not names:
            return table.select([])  # no columns, but still the batch's rows
        arrays = []
        for name in names:
            kind = schema.field(name).type
            if name in table.column_names:
                column = table.column(name)
                arrays.append(column if _same_values(column.type, kind) else column.cast(kind))
            else:
                value = keys.get(name)
                arrays.append(
                    pa.nulls(table.num_rows, kind)
                    if value is None
                    else pa.array([value] * table.num_rows, type=kind)
                )
        return pa.table(arrays, names=names)

    def _pushdown(self, schema: Any, plan: ReadPlan) -> Any:
        """An Arrow expression for the time bounds, or None to filter in pandas instead.

        Only columns of Arrow timestamp type qualify: text or integer columns need pandas'
        parsing rules. A naive column holds UTC wall times, so it is compared with naive UTC.
        """
        name = plan.timestamp_column
        if name is None:
            return None
        kind = schema.field(name).type
        if not pa.types.is_timestamp(kind):
            return None
        bounds = [b for b in (plan.lower, plan.upper) if b is not None]
        if kind.unit == "ns" and any(not _NS_MIN <= b < _NS_MAX for b in bounds):
            return None

        def scalar(moment: datetime) -> Any:
            value = moment if kind.tz is not None else moment.astimezone(UTC).replace(tzinfo=None)
            return pa.scalar(value, type=pa.timestamp("us", tz=kind.tz))

        import pyarrow.dataset as ds

        field = ds.field(name)
        expression = None
        if plan.lower is not None:
            expression = field >= scalar(plan.lower)
        if plan.upper is not None:
            upper = field < scalar(plan.upper)
            expression = upper if expression is None else expression & upper
        return expression

    def _dataset(self) -> Any:
        """The pyarrow dataset over the file or directory; SourceError if it cannot be opened."""
        if not self.path.exists():
            raise self._fail(
                f"file or directory '{self.path}' not found; fix the 'path' key or create it"
            )
        with self._errors():
            import pyarrow.dataset as ds

            try:
                dataset = ds.dataset(str(self.path), format="parquet", partitioning="hive")
            except pa.ArrowInvalid as exc:
                if "duplicate field names" in str(exc):
                    self._name_a_repeated_column()
                raise
        if not dataset.files:
            raise self._fail(
                f"directory '{self.path}' holds no Parquet files; fix the 'path' key or add files"
            )
        return dataset

    @contextmanager
    def _errors(self, path: str | None = None) -> Iterator[None]:
        """Turn Arrow/OS failures (corrupt or truncated files) into one-line SourceErrors."""
        try:
            yield
        except (pa.ArrowException, OSError) as exc:
            reason = one_line(exc)
            culprit = _BAD_FILE.search(reason)
            what = self.describe()
            if culprit:  # name the damaged file and keep only Arrow's own diagnosis
                what, reason = f"parquet file {culprit.group(1)}", culprit.group(2)
            elif path is not None:
                what = f"parquet file {path}"
            raise self._fail(
                f"{what} cannot be read as Parquet: {reason.rstrip('.')}; check that the file "
                "is a complete Parquet file"
            ) from None
