"""Where numeric bin edges go, fitted on the finite reference values (pure numpy).

The rule for ``quantile`` (the default) and ``auto``, so that no two distinct reference values
that matter share a bin:

1. **Few distinct values** (at most ``bins``): one bin per distinct value — edges at the minimum,
   the maximum and the midpoints between consecutive distinct values. A 0/1 flag gets 2 bins,
   {0, 1, 2} gets 3, codes 1..9 get 9. Live values between two reference values go to the bin of
   the nearer one.
2. **Otherwise** the i/k quantiles (numpy's default linear method), duplicates dropped; and every
   **atom** — a value holding at least 1/``bins`` of the reference, which is what makes quantile
   edges coincide — gets a bin of its own, bounded by the midpoints to its neighbouring distinct
   values (quantile edges inside that span are dropped). 60 % zeros then give a ``[min, mid)``
   bin holding the zeros alone instead of zeros and the smallest positive values together.
   Edges that would leave an interior bin without any reference value are dropped (a quantile
   edge interpolated into the gap next to an atom's own edge).

Continuous data (no atom) get exactly the numpy quantiles, as before. ``uniform`` and ``fixed``
edges are the user's choice and are not changed. :func:`is_boolean` tells a boolean column, which
belongs to the categorical kind whatever it was declared (see DESIGN §4).
"""

from __future__ import annotations

import contextlib

import numpy as np
import numpy.typing as npt

__all__ = [
    "distinct_value_edges",
    "is_boolean",
    "reference_edges",
    "sorted_quantiles",
    "sorted_reference_edges",
]

FloatArray = npt.NDArray[np.float64]


def sorted_quantiles(ordered: FloatArray, quantiles: FloatArray) -> FloatArray:
    """``numpy.quantile(ordered, quantiles)`` (its default linear method) of a sorted array.

    numpy partitions the array first, which costs as much as the sort again; on sorted values
    the order statistics are read off directly and interpolated with numpy's own formula
    (virtual index ``(n − 1)·q``, ``a + (b − a)·t``, or ``b − (b − a)·(1 − t)`` from ``t = ½``), so
    the numbers are the same bit for bit (a property test holds it).
    """
    n = ordered.size
    virtual = (n - 1) * quantiles
    previous = np.floor(virtual)
    upper = virtual >= n - 1
    below = np.where(upper, n - 1, previous).astype(np.intp)
    above = np.where(upper, n - 1, previous + 1).astype(np.intp)
    gamma = virtual - np.where(upper, -1, previous)  # numpy's gamma uses -1 past the end
    a, b = ordered[below], ordered[above]
    diff = b - a
    out = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), out)


def _sorted_quantile_edges(ordered: FloatArray, bins: int) -> FloatArray:
    """The i/k quantiles of an already sorted array (numpy's linear method), duplicates
    dropped, without numpy's partition."""
    return np.unique(sorted_quantiles(ordered, np.arange(bins + 1) / bins))


def distinct_value_edges(distinct: FloatArray) -> FloatArray:
    """Edges at the min, the max and the midpoints between consecutive distinct values.

    Each distinct reference value then gets a bin of its own, including the two largest (edges at
    the values themselves would put those two in the shared closed last bin, so a 0/1 column would
    get a single bin).
    """
    mids = distinct[:-1] / 2 + distinct[1:] / 2  # halves first: no overflow near the float max
    return np.unique(np.concatenate([distinct[:1], mids, distinct[-1:]]))


def _occupied(edges: FloatArray, ordered: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each interior bin ``[e_i, e_i+1)`` (the last closed) holds a reference value.

    ``ordered`` is the sorted finite reference, lying within ``[e_0, e_last]``: each bin's count
    is a difference of two binary searches.
    """
    starts = np.searchsorted(ordered, edges, side="left")
    starts[-1] = np.searchsorted(ordered, edges[-1], side="right")  # the last bin is closed
    return np.diff(starts) > 0


def _drop_empty_bins(edges: FloatArray, ordered: FloatArray, keep: FloatArray) -> FloatArray:
    """Drop edges until every interior bin holds a reference value, never one of ``keep``.

    The first and the last bin always hold the min and the max, so an empty bin lies between two
    interior edges; its right edge goes unless it is an atom's own edge, then its left one.
    """
    while True:
        empty = np.flatnonzero(~_occupied(edges, ordered))
        if empty.size == 0:
            return edges
        i = int(empty[0])
        drop = i if np.isin(edges[i + 1], keep) and not np.isin(edges[i], keep) else i + 1
        edges = np.delete(edges, drop)


def _atom_edges(ordered: FloatArray, bins: int) -> FloatArray:
    """Quantile edges with every value holding ≥ 1/``bins`` of the reference in a bin of its own.

    ``ordered`` is the sorted finite reference. An atom's run of ≥ n/k equal order statistics
    is longer than the gaps between the order statistics the quantiles read (⌊(n − 1)·i/k⌋ and
    the next), so every atom is one of those values: only they are counted (binary searches),
    and an atom's neighbouring distinct values are the order statistics around its run.
    """
    n = ordered.size
    edges = _sorted_quantile_edges(ordered, bins)
    virtual = (n - 1) * (np.arange(bins + 1) / bins)
    read = np.floor(virtual).astype(np.intp)
    candidates = np.unique(ordered[np.unique(np.minimum(np.concatenate([read, read + 1]), n - 1))])
    first = np.searchsorted(ordered, candidates, side="left")
    end = np.searchsorted(ordered, candidates, side="right")
    is_atom = (end - first) * bins >= n
    if not is_atom.any():
        return edges
    atoms, first, end = candidates[is_atom], first[is_atom], end[is_atom]
    # Halves first (no overflow near the float max), as distinct_value_edges' midpoints.
    low = np.where(first > 0, ordered[np.maximum(first - 1, 0)] / 2 + atoms / 2, atoms)
    high = np.where(end < n, atoms / 2 + ordered[np.minimum(end, n - 1)] / 2, atoms)
    inside = np.any((edges[:, None] > low) & (edges[:, None] < high), axis=1)
    own = np.concatenate([low, high])
    fitted = np.unique(np.concatenate([edges[~inside], own]))
    return _drop_empty_bins(fitted, ordered, own)


def _few_distinct(ordered: FloatArray, bins: int) -> FloatArray | None:
    """The distinct values of the sorted ``ordered`` when there are at most ``bins``, else None
    (told from one comparison pass, without gathering the distinct values of a continuous one)."""
    if ordered.size == 0:
        return ordered
    changes = ordered[1:] != ordered[:-1]
    if int(np.count_nonzero(changes)) + 1 > bins:
        return None
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1])
    distinct: FloatArray = ordered[starts]
    return distinct


def reference_edges(finite: FloatArray, strategy: str, bins: int) -> FloatArray:
    """Edges for ``strategy`` (``quantile``, ``auto`` or ``uniform``) on finite reference values.

    ``quantile`` and ``auto`` follow the module's rule (they are the same since the discrete rule
    came in); ``uniform`` is k equal widths over [min, max].
    """
    if strategy == "uniform":
        low, high = finite.min(), finite.max()
        with np.errstate(over="ignore"):
            width = high - low
        if np.isfinite(width):
            return np.unique(np.linspace(low, high, bins + 1))
        # The range overflows float64 (values near ±1.8e308): the same equal widths, as weighted
        # means of the two ends, so no intermediate overflows (t = 0 and 1 give the ends exactly).
        t = np.linspace(0.0, 1.0, bins + 1)
        return np.unique(low * (1.0 - t) + high * t)
    return sorted_reference_edges(np.sort(finite), strategy, bins)


def sorted_reference_edges(ordered: FloatArray, strategy: str, bins: int) -> FloatArray:
    """:func:`reference_edges` of finite reference values already sorted (the reference fit
    sorts each column once and counts it on the edges from the same sorted array)."""
    if strategy == "uniform":
        return reference_edges(ordered, strategy, bins)
    # The distinct values, the quantiles and the atoms are all read off the one sort.
    distinct = _few_distinct(ordered, bins)
    if distinct is not None:
        return distinct_value_edges(distinct)
    return _atom_edges(ordered, bins)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # pandas.NA: its truth value is ambiguous
        return True


def is_boolean(values: object) -> bool:
    """True for a bool array, or an object array whose non-missing values are all booleans.

    Such a column is categorical whatever it was declared as: ``True``/``False`` are labels, not
    numbers on a line. The check is per distinct value for object arrays.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return True
    if arr.dtype.kind != "O" or arr.size == 0:
        return False
    items = arr.tolist()
    # Distinct values keyed by type too (True == 1, so a set of values alone would merge them);
    # unhashable values are looked at one by one.
    with contextlib.suppress(TypeError):
        items = [v for _, v in {(type(v), v) for v in items}]
    present = [v for v in items if not _missing(v)]
    return bool(present) and all(isinstance(v, bool | np.bool_) for v in present)
