"""Counting numeric values into the slots of frozen edges: the lower tail, the interior bins
(the last closed), the upper tail and missing (see :class:`~driftwatch.engine.binning.NumericBins`).

Three ways, identical counts (tests check them against each other): comparisons block by block
(few edges), one ``searchsorted`` + ``bincount`` (many edges), and binary searches of the edges in
values already sorted (the reference fit, which sorts each column anyway).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["COMPARE_MAX_EDGES", "count_by_comparison", "count_by_search", "count_sorted"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

COMPARE_MAX_EDGES = 48
_BLOCK = 1 << 16  # values per block: 512 KiB of float64, which stays in a core's L2 cache


def count_by_search(x: FloatArray, edges: FloatArray) -> IntArray:
    """Counts per slot with one searchsorted and one bincount (any number of edges)."""
    m = edges.size
    idx = np.searchsorted(edges, x, side="right")
    idx[x == edges[-1]] = m - 1  # the last interior bin is closed on the right
    idx[np.isnan(x)] = m + 1
    return np.bincount(idx, minlength=m + 2).astype(np.int64, copy=False)


def count_by_comparison(x: FloatArray, edges: tuple[float, ...]) -> IntArray:
    """Counts per slot from ``below[j] = #(x < e_j)``, ``above = #(x > e_last)``, ``#(x == x)``.

    NaN compares false with everything, so it is neither below, above nor equal to itself:
    missing = n − #(x == x). ±inf land in the tails like any value beyond the edges.
    """
    m = len(edges)
    below = [0] * m
    above = valid = 0
    scratch = np.empty(min(_BLOCK, x.size), dtype=np.bool_)
    last = edges[-1]
    for start in range(0, x.size, _BLOCK):
        block = x[start : start + _BLOCK]
        flags = scratch[: block.size]
        for j, edge in enumerate(edges):
            np.less(block, edge, out=flags)
            below[j] += int(np.count_nonzero(flags))
        np.greater(block, last, out=flags)
        above += int(np.count_nonzero(flags))
        np.equal(block, block, out=flags)
        valid += int(np.count_nonzero(flags))
    counts = np.empty(m + 2, dtype=np.int64)
    counts[0] = below[0]
    counts[1 : m - 1] = np.diff(np.asarray(below[: m - 1], dtype=np.int64))
    counts[m - 1] = valid - above - below[m - 2]  # the closed last bin [e_m-2, e_m-1]
    counts[m] = above
    counts[m + 1] = x.size - valid
    return counts


def count_sorted(x: FloatArray, edges: FloatArray) -> IntArray:
    """Counts per slot of ascending ``x`` (NaN last): each edge's rank by binary search."""
    m = edges.size
    valid = int(np.searchsorted(x, np.nan, side="left"))  # NaN sorts after +inf
    below = np.searchsorted(x[:valid], edges, side="left").astype(np.int64)
    above = valid - int(np.searchsorted(x[:valid], edges[-1], side="right"))
    counts = np.empty(m + 2, dtype=np.int64)
    counts[0] = below[0]
    counts[1 : m - 1] = np.diff(below[: m - 1])
    counts[m - 1] = valid - above - below[m - 2]  # the closed last bin [e_m-2, e_m-1]
    counts[m] = above
    counts[m + 1] = x.size - valid
    return counts
