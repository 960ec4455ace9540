"""Counting Arrow record batches on frozen bins without converting them to pandas or Python objects.

- Numeric float64 columns are binned on the Arrow data buffer itself (a zero-copy numpy view).
  Where a chunk has nulls, the whole buffer is binned, the slots under a null are binned again
  and subtracted (whatever bytes they hold), and the nulls are added to ``__missing__`` from the
  validity bitmap's count. Other numeric types (integers, float32, booleans) are cast
  to float64 first; anything else goes through the pandas conversion of
  :mod:`driftwatch.sources.columns`, which also gives its error messages.
- String columns (plain or dictionary-encoded) are counted with Arrow's ``value_counts`` kernel
  (on the dictionary's codes for a dictionary array), so Python touches each distinct value once.
  A string's label is the string itself and null is missing, as
  :func:`~driftwatch.engine.category_label` and :func:`~driftwatch.engine.is_missing` say.
  Other types go through the pandas path.

Counts are identical to the pandas path's (``searchsorted`` + ``bincount`` on the same values);
tests check both. :class:`ArrowChunk` gives the reference fit the same columns without pandas: a
float64 column without nulls as a zero-copy view, others cast (nulls filled with NaN) in Arrow.

The Arrow kernels are called through ``call_function`` from pyarrow's compiled compute core, not
through :mod:`pyarrow.compute`: importing that module builds a Python wrapper with a parsed
docstring for each of its ~290 kernels (~0.1 s, as much as the rest of ``pyarrow.parquet``), a
cost every run would pay for the three kernels counting needs. Array methods such as ``cast`` or
``take`` would import it too, so they are not used here either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

try:  # the kernels without pyarrow.compute's wrappers (it re-exports these very objects)
    from pyarrow._compute import CastOptions, call_function
except ImportError:  # pragma: no cover - a pyarrow that moved them
    from pyarrow.compute import CastOptions, call_function

from driftwatch.engine import CategoricalBins, Histogram, NumericBins
from driftwatch.engine.parallel import run_all
from driftwatch.errors import ColumnError
from driftwatch.results import Problem
from driftwatch.sources.counting import Counted, FeatureBins

__all__ = [
    "ArrowChunk",
    "arrow_category_counts",
    "arrow_numeric_values",
    "count_arrow_numeric",
    "count_batch",
    "is_string_type",
]

_STRING_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)


def is_string_type(kind: pa.DataType) -> bool:
    """True for Arrow's string types, and for a dictionary of them."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return any(test(kind) for test in _STRING_TYPES)


def _is_plain_number(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
    )


def _chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def _validity(chunk: pa.Array) -> np.ndarray:
    """Which slots of ``chunk`` hold a value, unpacked from its validity bitmap."""
    bitmap = chunk.buffers()[0]
    assert bitmap is not None
    first, length = chunk.offset, len(chunk)
    raw = np.frombuffer(bitmap, dtype=np.uint8, count=(first + length + 7) // 8)
    return np.unpackbits(raw, bitorder="little")[first : first + length].astype(bool)


def _float_view(chunk: pa.Array) -> np.ndarray:
    """The float64 values buffer of ``chunk`` as a read-only numpy view (null slots included)."""
    data = chunk.buffers()[1]
    assert data is not None
    view = np.frombuffer(data, dtype=np.float64, count=chunk.offset + len(chunk))[chunk.offset :]
    view.flags.writeable = False  # Arrow's memory: never written through
    return view


def count_arrow_numeric(bins: NumericBins, column: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Counts per slot of a numeric Arrow column, or None when its type needs the pandas path."""
    kind = column.type
    if not _is_plain_number(kind):
        return None
    total = np.zeros(bins.n_bins, dtype=np.int64)
    for chunk in _chunks(column):
        if len(chunk) == 0:
            continue
        if not pa.types.is_float64(chunk.type):
            chunk = _as_float64(chunk)  # as pandas' to_numpy(float64)
        values = _float_view(chunk)
        total += bins.count(values)
        nulls = chunk.null_count
        if nulls:
            total -= bins.count(values[~_validity(chunk)])
            total[bins.missing_index] += nulls
    return total


def arrow_numeric_values(
    column: pa.Array | pa.ChunkedArray, *, name: str, where: str
) -> np.ndarray:
    """A numeric Arrow column as float64 values, NaN where null (the values of ``numeric_values``).

    A float64 column without nulls is a read-only view of its buffer; integers, float32 and
    booleans are cast in Arrow, nulls filled with NaN. Other types go through the pandas path.

    Raises:
        ColumnError: as ``numeric_values`` (text that is not a number, timestamps).
    """
    if not _is_plain_number(column.type):
        from driftwatch.sources.columns import numeric_values  # pandas, for what Arrow cannot

        return numeric_values(column.to_pandas(), column=name, where=where)
    parts = []
    for chunk in _chunks(column):
        if len(chunk) == 0:
            continue
        if not pa.types.is_float64(chunk.type):
            chunk = _as_float64(chunk)
        if chunk.null_count:
            chunk = call_function("coalesce", [chunk, pa.scalar(math.nan, pa.float64())])
        parts.append(_float_view(chunk))
    if not parts:
        return np.empty(0, dtype=np.float64)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def arrow_category_counts(
    column: pa.Array | pa.ChunkedArray,
) -> tuple[dict[str, int], int] | None:
    """Each label's count and the missing count of a string column; None for other types."""
    if not is_string_type(column.type):
        return None
    by_label: dict[str, int] = {}
    missing = 0
    for chunk in _chunks(column):
        if len(chunk) == 0:
            continue
        if pa.types.is_dictionary(chunk.type):
            missing += chunk.null_count
            codes = chunk.indices
            present = call_function("drop_null", [codes]) if chunk.null_count else codes
            counted = call_function("value_counts", [present])
            labels = call_function("take", [chunk.dictionary, counted.field("values")]).to_pylist()
        else:
            counted = call_function("value_counts", [chunk])
            labels = counted.field("values").to_pylist()
        for label, n in zip(labels, counted.field("counts").to_pylist(), strict=True):
            if label is None:
                missing += n
            else:
                by_label[label] = by_label.get(label, 0) + n
    return by_label, missing


def _as_float64(chunk: pa.Array) -> pa.Array:
    """``chunk.cast(pa.float64(), safe=False)``, without importing pyarrow.compute."""
    return call_function("cast", [chunk], CastOptions.unsafe(pa.float64()))


def _count_column(column: pa.ChunkedArray, feature: FeatureBins, where: str) -> Histogram:
    """One feature's histogram over one column: on the Arrow buffers, or (timestamps, mixed
    types) through the pandas rules of :mod:`driftwatch.sources.columns`, imported only then."""
    bins = feature.bins
    if feature.kind != "categorical":
        assert isinstance(bins, NumericBins)
        counted = count_arrow_numeric(bins, column) if feature.kind == "numeric" else None
        if counted is not None:
            return Histogram(bins, counted)
        from driftwatch.sources.columns import feature_values

        series = column.to_pandas()
        values = feature_values(series, kind=feature.kind, column=feature.name, where=where)
        return Histogram(bins, bins.count(values))
    assert isinstance(bins, CategoricalBins)
    labels = arrow_category_counts(column)
    if labels is None:
        from driftwatch.sources.columns import category_counts

        labels = category_counts(column.to_pandas())
    return Histogram(bins, bins.count_labels(*labels))


def count_batch(table: Any, features: Sequence[FeatureBins], where: str) -> dict[str, Counted]:
    """Each feature's histogram over one Arrow table or record batch, columns on threads."""
    futures = run_all(partial(_count_column, _column(table, f.name), f, where) for f in features)
    out: dict[str, Counted] = {}
    for feature, future in zip(features, futures, strict=True):
        try:
            out[feature.name] = future.result()
        except ColumnError as exc:
            out[feature.name] = Problem("error", str(exc))
    return out


def _column(table: Any, name: str) -> pa.ChunkedArray:
    column = table.column(name)
    return column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])


@dataclass(frozen=True)
class ArrowChunk:
    """An Arrow table (one streamed batch) as a :class:`~driftwatch.sources.counting.Chunk`."""

    table: Any

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def numeric(self, name: str, where: str, kind: str = "numeric") -> np.ndarray:
        if kind == "datetime":  # timestamps and their text forms: the pandas rule, one place
            from driftwatch.sources.columns import feature_values

            series = _column(self.table, name).to_pandas()
            return feature_values(series, kind=kind, column=name, where=where)
        return arrow_numeric_values(_column(self.table, name), name=name, where=where)

    def categories(self, name: str) -> tuple[dict[str, int], int]:
        column = _column(self.table, name)
        counted = arrow_category_counts(column)
        if counted is not None:
            return counted
        from driftwatch.sources.columns import category_counts

        return category_counts(column.to_pandas())

    def count(self, features: Sequence[FeatureBins], where: str) -> dict[str, Counted]:
        return count_batch(self.table, features, where)
