"""Parquet files and directories of Parquet files, streamed as record batches with pyarrow.

Only the needed columns are decoded, and when the timestamp column has an Arrow timestamp type the
time filter is pushed down as a dataset expression, so row groups outside the window are skipped
using their statistics.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from driftwatch.config import ParquetSourceConfig
from driftwatch.sources._common import BaseSource, ReadPlan, absolute, file_digest

__all__ = ["ParquetSource"]

# datetime64[ns] only spans 1677-09-21 .. 2262-04-11; bounds outside it are filtered in pandas.
_NS_MIN = datetime(1678, 1, 1, tzinfo=UTC)
_NS_MAX = datetime(2262, 1, 1, tzinfo=UTC)
_BAD_FILE = re.compile(r"Could not open Parquet input source '([^']*)': (.*)")


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
        """The schema's names (for a directory, as pyarrow unifies them from its first file)."""
        return [str(name) for name in self._dataset().schema.names]

    def fingerprint(self) -> str:
        dataset = self._dataset()
        c = self.config
        return file_digest(
            [Path(f) for f in dataset.files], "parquet", c.timestamp_column, *self.fixed_range
        )

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        dataset = self._dataset()
        expression = self._pushdown(dataset.schema, plan) if plan.filters_time else None
        columns = list(dict.fromkeys(plan.columns)) if expression is not None else list(plan.fetch)
        with self._errors():
            # One row group at a time (its columns decoded in parallel by Arrow), sliced into
            # chunks: memory stays near one row group, and row groups outside the time filter
            # are skipped on their statistics. Arrow's streaming scanner reads ahead 16 batches,
            # which costs more memory and, on two cores, more time.
            for fragment in dataset.get_fragments(filter=expression):
                for piece in fragment.split_by_row_group(filter=expression, schema=dataset.schema):
                    table = piece.to_table(
                        schema=dataset.schema, columns=columns, filter=expression
                    )
                    for batch in table.to_batches(max_chunksize=plan.chunk_rows):
                        if batch.num_rows == 0:
                            continue
                        frame = batch.to_pandas(split_blocks=True)
                        yield frame if expression is not None else self._filter(frame, plan)
                    del table

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
            dataset = ds.dataset(str(self.path), format="parquet", partitioning="hive")
        if not dataset.files:
            raise self._fail(
                f"directory '{self.path}' holds no Parquet files; fix the 'path' key or add files"
            )
        return dataset

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn Arrow/OS failures (corrupt or truncated files) into one-line SourceErrors."""
        try:
            yield
        except (pa.ArrowException, OSError) as exc:
            reason = " ".join(str(exc).split())
            culprit = _BAD_FILE.search(reason)
            what = self.describe()
            if culprit:  # name the damaged file and keep only Arrow's own diagnosis
                what, reason = f"parquet file {culprit.group(1)}", culprit.group(2)
            raise self._fail(
                f"{what} cannot be read as Parquet: {reason.rstrip('.')}; check that the file "
                "is a complete Parquet file"
            ) from None
