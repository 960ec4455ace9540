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

__all__ = ["distinct_value_edges", "is_boolean", "quantile_edges", "reference_edges"]

FloatArray = npt.NDArray[np.float64]


def quantile_edges(finite: FloatArray, bins: int) -> FloatArray:
    """e_i = the i/k quantile (numpy's default linear method), duplicates dropped."""
    return np.unique(np.quantile(finite, np.arange(bins + 1) / bins))


def distinct_value_edges(distinct: FloatArray) -> FloatArray:
    """Edges at the min, the max and the midpoints between consecutive distinct values.

    Each distinct reference value then gets a bin of its own, including the two largest (edges at
    the values themselves would put those two in the shared closed last bin, so a 0/1 column would
    get a single bin).
    """
    mids = distinct[:-1] / 2 + distinct[1:] / 2  # halves first: no overflow near the float max
    return np.unique(np.concatenate([distinct[:1], mids, distinct[-1:]]))


def _occupied(edges: FloatArray, distinct: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each interior bin ``[e_i, e_i+1)`` (the last closed) holds a reference value."""
    slot = np.searchsorted(edges, distinct, side="right") - 1
    slot[distinct == edges[-1]] = edges.size - 2
    return np.bincount(slot, minlength=edges.size - 1) > 0


def _drop_empty_bins(edges: FloatArray, distinct: FloatArray, keep: FloatArray) -> FloatArray:
    """Drop edges until every interior bin holds a reference value, never one of ``keep``.

    The first and the last bin always hold the min and the max, so an empty bin lies between two
    interior edges; its right edge goes unless it is an atom's own edge, then its left one.
    """
    while True:
        empty = np.flatnonzero(~_occupied(edges, distinct))
        if empty.size == 0:
            return edges
        i = int(empty[0])
        drop = i if np.isin(edges[i + 1], keep) and not np.isin(edges[i], keep) else i + 1
        edges = np.delete(edges, drop)


def _atom_edges(
    finite: FloatArray, distinct: FloatArray, counts: npt.NDArray[np.int64], bins: int
) -> FloatArray:
    """Quantile edges with every value holding ≥ 1/``bins`` of the reference in a bin of its own."""
    edges = quantile_edges(finite, bins)
    atoms = np.flatnonzero(counts * bins >= finite.size)
    if atoms.size == 0:
        return edges
    mids = distinct[:-1] / 2 + distinct[1:] / 2
    last = distinct.size - 1
    low = np.where(atoms > 0, mids[np.maximum(atoms - 1, 0)], distinct[atoms])
    high = np.where(atoms < last, mids[np.minimum(atoms, last - 1)], distinct[atoms])
    inside = np.any((edges[:, None] > low) & (edges[:, None] < high), axis=1)
    own = np.concatenate([low, high])
    fitted = np.unique(np.concatenate([edges[~inside], own]))
    return _drop_empty_bins(fitted, distinct, own)


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
    # One sort serves both: the distinct values are read off it, and numpy's quantiles of a
    # sorted array are the same numbers (they depend only on the order statistics) found ten
    # times faster than by partitioning the unsorted one.
    ordered = np.sort(finite)
    distinct, counts = _distinct_sorted(ordered)
    if distinct.size <= bins:
        return distinct_value_edges(distinct)
    return _atom_edges(ordered, distinct, counts, bins)


def _distinct_sorted(ordered: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """``numpy.unique(ordered, return_counts=True)`` of an already sorted array, without a sort."""
    if ordered.size == 0:
        return ordered, np.zeros(0, dtype=np.int64)
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return ordered[starts], np.diff(np.append(starts, ordered.size)).astype(np.int64)


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
