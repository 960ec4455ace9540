"""A bounded uniform sample of reference rows, for fitting numeric edges in flat memory.

Strategy (documented in README "Performance and scale"): every reference row gets a random key
from a generator with a fixed seed; the sample is the ``capacity`` rows with the smallest keys
("bottom-k" sampling), which is a uniform sample without replacement of the rows seen so far.
Keys are drawn in row order, so the sample does not depend on how the data was cut into chunks.

- A reference with at most ``capacity`` rows is held whole: quantile edges are exactly
  ``numpy.quantile`` of the reference.
- A larger one is fitted on the sample plus the exact finite minimum and maximum (tracked over
  every row), so the outer edges stay the reference's range and no reference value falls in a
  tail bin. The reference histogram is still counted exactly, on every row, in a second pass.

Error bound: for a sample of ``s`` finite values, every edge's rank in the whole reference is
within ``ε = sqrt(ln(2/δ) / (2s))`` of its target quantile, with probability at least ``1 − δ``
(Dvoretzky–Kiefer–Wolfowitz with Massart's constant; sampling without replacement concentrates at
least as well, Hoeffding 1963 §6). :func:`quantile_rank_error` computes it, plus the ``2/s``
the two added extremes can shift a rank by. For ``s = 10⁶`` and ``δ = 10⁻⁶``: ε ≈ 0.0027.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from driftwatch.errors import EngineError

__all__ = ["RowSample", "quantile_rank_error"]

FloatArray = npt.NDArray[np.float64]
SEED = 20_240_601
_FIRST_ROWS = 1 << 16
"""Rows the buffer starts with when the caller does not say how many to expect."""
_COMPACT_BLOCK = 1 << 16
"""Rows moved at a time when the sample is compacted (a 512 KiB temporary per block)."""


def quantile_rank_error(sample_size: int, *, failure_probability: float = 1e-6) -> float:
    """The bound ε on |F(edge) − i/k| for edges fitted on a uniform sample of ``sample_size``.

    ``F`` is the empirical CDF of the whole reference; the bound holds for all edges at once with
    probability at least ``1 − failure_probability``.
    """
    if sample_size < 1:
        raise EngineError(f"sample_size must be at least 1, got {sample_size}")
    if not 0 < failure_probability < 1:
        raise EngineError(f"failure_probability must lie in (0, 1), got {failure_probability}")
    dkw = math.sqrt(math.log(2 / failure_probability) / (2 * sample_size))
    return dkw + 2 / sample_size


class RowSample:
    """The ``capacity`` rows with the smallest random keys among all rows added, per column.

    Memory is bounded by ``capacity × (1 + 1/4) × (columns + 1)`` float64 values (the values and
    one key per row), whatever the number of rows added. The buffer is sized for
    ``expected_rows`` when the caller knows them (a Parquet footer's row count) and grows by
    doubling otherwise (from 64Ki rows), so a small reference costs little: never reserve the
    whole buffer up front, since numpy backs large arrays with huge pages and a column touched at
    its start would cost 2 MiB of memory however few rows it holds.
    """

    def __init__(
        self,
        capacity: int,
        columns: int,
        *,
        seed: int = SEED,
        expected_rows: int | None = None,
        reuse: RowSample | None = None,
    ) -> None:
        if capacity < 1:
            raise EngineError(f"sample capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.columns = columns
        self.rows_seen = 0
        self._rng = np.random.default_rng(seed)
        self._room = self.buffer_rows(capacity)
        first = _FIRST_ROWS if expected_rows is None else max(expected_rows, 1)
        rows = min(first, self._room)
        # Rows are copied in (not kept as the chunks' arrays), so each chunk's buffers go back
        # to the reader.
        self._keys, self._values = _buffers(rows, columns, reuse)
        self._filled = 0
        self._threshold = math.inf  # keys at or above it can never enter the sample

    @staticmethod
    def buffer_rows(capacity: int) -> int:
        """Rows the buffer holds before it compacts: ``capacity`` and a quarter more."""
        return capacity + max(capacity // 4, 1)

    @property
    def exhaustive(self) -> bool:
        """True while every row added is in the sample (so fits on it are exact)."""
        return self.rows_seen <= self.capacity

    def add(self, columns: Sequence[FloatArray]) -> None:
        """Add one chunk: ``columns[j]`` holds column j's values of the chunk's rows."""
        if len(columns) != self.columns:
            raise EngineError(f"expected {self.columns} columns, got {len(columns)}")
        rows = len(columns[0]) if columns else 0
        keys = self._rng.random(rows)
        self.rows_seen += rows
        self._insert(keys, columns)

    def seal(self) -> None:
        """Trim the sample to ``capacity`` rows now; after this, :meth:`values` only reads, so
        several threads may call it at once."""
        if self._filled > self.capacity:
            self._compact()

    def values(self, column: int) -> FloatArray:
        """The sampled values of one column (every row, in order, while :attr:`exhaustive`)."""
        self.seal()
        return self._values[column, : self._filled]

    def sorted_values(self, column: int, extra: Sequence[float] = ()) -> FloatArray:
        """One column's sampled values and ``extra`` ones, sorted in place (NaN last).

        The fit's one sort per column. Sorting the buffer itself spares a second array the size
        of the sample (fresh memory costs page faults as well as the copy), and the ``extra``
        values (the exact range of a sampled reference) go into the buffer's spare rows, which
        a compacted sample always has. The column's sampled values are given up: call it once
        per column, when nothing reads the sample after.
        """
        self.seal()
        end = self._filled + len(extra)
        if end <= self._values.shape[1]:
            values = self._values[column, :end]
            values[self._filled :] = extra
        else:  # a tiny sample without spare rows
            held = self._values[column, : self._filled]
            values = np.concatenate([held, np.asarray(extra, dtype=np.float64)])
        values.sort()
        return values

    def _insert(self, keys: FloatArray, columns: Sequence[FloatArray]) -> None:
        """Write the rows whose keys can still make the sample into the buffer."""
        if self._threshold <= 1:  # full once: only rows that beat the current k-th key
            chosen = np.flatnonzero(keys < self._threshold)
            keys = keys[chosen]
            columns = [column[chosen] for column in columns]
        begin = 0
        while begin < keys.size:
            take = min(keys.size - begin, self._room - self._filled)
            end = self._filled + take
            if end > self._keys.size:
                self._grow(end)
            self._keys[self._filled : end] = keys[begin : begin + take]
            for j, column in enumerate(columns):
                self._values[j, self._filled : end] = column[begin : begin + take]
            self._filled = end
            begin += take
            if self._filled == self._room:
                self._compact()

    def _grow(self, rows: int) -> None:
        """A buffer of at least ``rows`` rows (doubling, at most the room), the held rows kept."""
        size = min(self._room, max(rows, 2 * self._keys.size))
        keys = np.empty(size, dtype=np.float64)
        keys[: self._filled] = self._keys[: self._filled]
        values = np.empty((self.columns, size), dtype=np.float64)
        values[:, : self._filled] = self._values[:, : self._filled]
        self._keys, self._values = keys, values

    def _compact(self) -> None:
        """Keep the ``capacity`` smallest keys, in their arrival order, compacted in place."""
        keys = self._keys[: self._filled]
        cut = self.capacity - 1
        threshold = float(np.partition(keys, cut)[cut])
        keep = keys <= threshold
        if int(np.count_nonzero(keep)) != self.capacity:  # keys tied at the cut: by position
            chosen = np.argpartition(keys, cut)[: self.capacity]
            keep = np.zeros(keys.size, dtype=np.bool_)
            keep[chosen] = True
        self._threshold = threshold
        _keep_in_place(self._keys, keep)
        for j in range(self._values.shape[0]):
            _keep_in_place(self._values[j], keep)
        self._filled = self.capacity


def _buffers(
    rows: int, columns: int, reuse: RowSample | None
) -> tuple[FloatArray, npt.NDArray[np.float64]]:
    """A sample's keys (``rows``) and values (``columns × rows``), in ``reuse``'s memory when
    it holds enough.

    A reference fitted in several passes (one group of columns each) then fills the same pages
    every pass: fresh memory costs a page fault per page on first touch, which on a virtual
    machine measured 2-10× the copy itself (a 1M-row, 20-column fit's three passes).
    """
    if reuse is not None:
        keys, held = reuse._keys, reuse._values.reshape(-1)
        reuse._keys, reuse._values = np.empty(0), np.empty((0, 0))  # given up to this sample
        if keys.size >= rows and held.size >= rows * columns:
            return keys[:rows], held[: rows * columns].reshape(columns, rows)
    return np.empty(rows, dtype=np.float64), np.empty((columns, rows), dtype=np.float64)


def _keep_in_place(row: FloatArray, keep: npt.NDArray[np.bool_]) -> None:
    """Move ``row``'s values where ``keep`` is true to its front, in order, a block at a time.

    ``row[keep]`` whole would be a temporary the size of the sample per column; a block's kept
    values land at or before the block's start, so no unread value is overwritten.
    """
    written = 0
    for start in range(0, keep.size, _COMPACT_BLOCK):
        stop = min(start + _COMPACT_BLOCK, keep.size)
        kept = row[start:stop][keep[start:stop]]
        row[written : written + kept.size] = kept
        written += kept.size
