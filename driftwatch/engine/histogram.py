"""Mergeable histograms: integer counts over frozen bins.

Counts of chunk 1 + counts of chunk 2 == counts of the whole, exactly, which is what lets chunked
reads, SQL pushdown and Dask partitions all produce the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftwatch.engine.binning import Bins, NumericBins, bins_from_dict
from driftwatch.errors import EngineError

__all__ = ["Histogram", "histogram"]

IntArray = npt.NDArray[np.int64]


def _as_counts(counts: object, n_bins: int) -> IntArray:
    """A read-only int64 copy of ``counts``: 1-D, ``n_bins`` long, whole and non-negative."""
    arr = np.asarray(counts)
    if arr.ndim != 1 or arr.size != n_bins:
        raise EngineError(f"histogram needs {n_bins} counts, one per bin, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise EngineError("histogram counts must be whole numbers")
    elif arr.dtype.kind not in "iu":
        raise EngineError(f"histogram counts must be integers, got dtype {arr.dtype}")
    out = np.array(arr, dtype=np.int64, copy=True)
    if np.any(out < 0):
        raise EngineError("histogram counts must be >= 0")
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Histogram:
    """Integer counts of one feature over frozen ``bins`` (including tails and ``__missing__``)."""

    bins: Bins
    counts: np.ndarray  # any whole-number array on the way in; a read-only int64 copy once built

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _as_counts(self.counts, self.bins.n_bins))

    @classmethod
    def empty(cls, bins: Bins) -> Histogram:
        """All-zero counts over ``bins``: the identity of ``+``."""
        return cls(bins, np.zeros(bins.n_bins, dtype=np.int64))

    @classmethod
    def of(cls, values: object, bins: Bins) -> Histogram:
        """Count the 1-D array ``values`` on ``bins``."""
        return cls(bins, bins.count(values))

    def __add__(self, other: object) -> Histogram:
        """The merge: counts add slot by slot, over bins that must agree.

        Chunks, pushdown rows and Dask partitions all merge here. Bins are compared by identity
        first (the usual case: every chunk is counted on the same frozen object), so merging
        stays cheap even for a large vocabulary.
        """
        if not isinstance(other, Histogram):
            return NotImplemented
        if other.bins is not self.bins and other.bins != self.bins:
            raise EngineError("cannot merge histograms over different bins")
        total = self.counts + other.counts  # a new array: whole, non-negative and n_bins long
        total.flags.writeable = False
        merged = object.__new__(Histogram)  # both sides were checked: skip __post_init__'s copy
        object.__setattr__(merged, "bins", self.bins)
        object.__setattr__(merged, "counts", total)
        return merged

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self.bins == other.bins and bool(np.array_equal(self.counts, other.counts))

    def __hash__(self) -> int:
        return hash((self.bins, self.counts.tobytes()))

    def __repr__(self) -> str:
        return f"Histogram(bins={self.bins!r}, counts={self.counts.tolist()!r})"

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per count."""
        return self.bins.labels

    @property
    def n(self) -> int:
        """Total number of rows counted, missing included."""
        return int(self.counts.sum())

    @property
    def n_missing(self) -> int:
        """Rows whose value was missing."""
        return int(self.counts[self.bins.missing_index])

    @property
    def n_valid(self) -> int:
        """Rows with a value (tails, ``__other__`` and ``__unseen__`` included)."""
        return self.n - self.n_missing

    @property
    def missing_share(self) -> float:
        """Share of rows that were missing; 0.0 for an empty histogram."""
        n = self.n
        return self.n_missing / n if n else 0.0

    @property
    def unseen_share(self) -> float:
        """Share of rows the reference had no place for; 0.0 for an empty histogram.

        Numeric: values in the two tail bins (outside the reference's range). Categorical: values
        in ``__unseen__`` (categories the reference never had).
        """
        n = self.n
        if not n:
            return 0.0
        if isinstance(self.bins, NumericBins):
            lower, upper = self.bins.tail_indices
            outside = int(self.counts[lower]) + int(self.counts[upper])
        else:
            outside = int(self.counts[self.bins.unseen_index])
        return outside / n

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: the bins' dict and the counts as Python ints."""
        return {"bins": self.bins.to_dict(), "counts": [int(c) for c in self.counts]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping) or "bins" not in data or "counts" not in data:
            raise EngineError("a histogram dict needs 'bins' and 'counts'")
        counts = data["counts"]
        if not isinstance(counts, list | tuple) or any(
            isinstance(c, bool) or not isinstance(c, int) for c in counts
        ):
            raise EngineError(f"histogram 'counts' must be a list of integers, got {counts!r}")
        return cls(bins_from_dict(data["bins"]), np.asarray(counts, dtype=np.int64))


def histogram(values: object, bins: Bins) -> Histogram:
    """Count the 1-D array ``values`` on ``bins``; same as :meth:`Histogram.of`."""
    return Histogram.of(values, bins)
