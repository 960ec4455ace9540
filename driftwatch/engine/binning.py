"""Bins fitted once on the reference and frozen, so every live window is counted on the same bins.

Numeric bins are edges e0 ≤ … ≤ e_{m−1} spanning the reference's finite [min, max]. Counting slots:

    0          lower tail (−inf, e0)           empty in the reference; catches −inf too
    1 … m−1    [e_{i−1}, e_i), the last closed [e_{m−2}, e_{m−1}] (numpy's histogram convention)
    m          upper tail (e_{m−1}, +inf)      empty in the reference; catches +inf too
    m + 1      ``__missing__`` (NaN, None)

Categorical bins are the reference's top-K categories, then ``__other__`` (reference categories
pooled beyond the top K, only when there are any), ``__unseen__`` (live categories the reference
never had) and ``__missing__``.

Counting is vectorized: one ``searchsorted`` + one ``bincount`` for numbers; for categories a
factorization whose Python work is per *distinct* value, never per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import pairwise
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from driftwatch.engine.edges import reference_edges, sorted_reference_edges
from driftwatch.engine.labels import category_label, is_missing
from driftwatch.engine.slots import (
    COMPARE_MAX_EDGES,
    count_by_comparison,
    count_by_search,
    count_sorted,
)
from driftwatch.errors import EngineError

__all__ = [
    "MISSING_LABEL",
    "NUMERIC_STRATEGIES",
    "OTHER_LABEL",
    "RESERVED_LABELS",
    "UNSEEN_LABEL",
    "Bins",
    "CategoricalBins",
    "NumericBins",
    "bins_from_dict",
    "fit_categorical_bins",
    "fit_categorical_bins_from_counts",
    "fit_numeric_bins",
]

MISSING_LABEL = "__missing__"
UNSEEN_LABEL = "__unseen__"
OTHER_LABEL = "__other__"
RESERVED_LABELS = frozenset({MISSING_LABEL, UNSEEN_LABEL, OTHER_LABEL})

NUMERIC_STRATEGIES = ("auto", "fixed", "quantile", "uniform")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.intp]


# --------------------------------------------------------------------------------------- values


def _as_1d(values: object, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise EngineError(f"{what} must be a 1-D array, got one with {arr.ndim} dimensions")
    return arr


def _positions(keys: list[Any]) -> tuple[list[Any], CodeArray]:
    """Distinct keys in first-seen order and each key's position among them (C-level loops)."""
    try:
        position = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        codes = np.fromiter(map(position.__getitem__, keys), dtype=np.intp, count=len(keys))
    except TypeError as exc:
        raise EngineError(f"values must be hashable scalars: {exc}") from None
    return list(position), codes


def _may_alias_bool(value: object) -> bool:
    """True if ``value`` is a bool or a number equal to one (Python has True == 1 == 1.0)."""
    if isinstance(value, bool | np.bool_):
        return True
    try:
        return isinstance(value, int | float | np.number) and bool(value == 0 or value == 1)
    except (TypeError, ValueError):
        return False


def _factorize_objects(arr: np.ndarray, *, by_type: bool) -> tuple[list[object], CodeArray]:
    """Distinct objects (by hash and equality) and each row's position among them.

    The per-row work is C-level iteration (``dict.fromkeys``, ``map`` of a dict lookup); only the
    distinct values are touched from Python. With ``by_type``, a bool and the number equal to it
    (True and 1) stay apart, so which one comes first cannot change a label; that slower pass
    (a tuple per row) only runs when such a pair is possible.
    """
    items = arr.tolist()
    uniques, codes = _positions(items)
    if by_type and any(_may_alias_bool(u) for u in uniques):
        typed, codes = _positions(list(zip(map(type, items), items, strict=True)))
        uniques = [value for _, value in typed]
    return uniques, codes


def _factorize_raw(arr: np.ndarray, what: str) -> tuple[list[object], CodeArray]:
    """Distinct raw values of a 1-D array and each row's position among them."""
    kind = arr.dtype.kind
    if kind == "O":
        return _factorize_objects(arr, by_type=True)
    if kind in "biufcUS":
        # np.unique collapses all NaNs into one trailing unique, which labels as missing.
        uniques, inverse = np.unique(arr, return_inverse=True)
        return uniques.tolist(), inverse.reshape(-1).astype(np.intp, copy=False)
    if kind == "M":  # datetime64: NaTs collapse like NaNs; keep numpy scalars (tolist gives ints)
        uniques, inverse = np.unique(arr, return_inverse=True)
        return list(uniques), inverse.reshape(-1).astype(np.intp, copy=False)
    raise EngineError(f"{what} of dtype {arr.dtype} cannot be used as categories")


def _relabel(raw: Sequence[object], codes: CodeArray) -> tuple[list[str], CodeArray]:
    """Map raw categories to their labels, merging those with equal labels; −1 (missing) stays."""
    index: dict[str, int] = {}
    lut = np.empty(len(raw) + 1, dtype=np.intp)
    for i, value in enumerate(raw):
        lut[i] = -1 if is_missing(value) else index.setdefault(category_label(value), len(index))
    lut[-1] = -1  # codes of −1 index the last slot
    return list(index), lut[codes]


def _factorize(values: object, what: str) -> tuple[list[str], CodeArray]:
    """Distinct category labels of ``values`` and each row's code among them (−1 = missing)."""
    arr = _as_1d(values, what)
    return _relabel(*_factorize_raw(arr, what))


def _as_float(values: object, what: str) -> FloatArray:
    """``values`` as a 1-D float64 array; None / pandas.NA become NaN."""
    arr = _as_1d(values, what)
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr.astype(np.float64, copy=False)
    if kind != "O":
        raise EngineError(f"{what} of dtype {arr.dtype} cannot be binned as numbers")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        pass
    # Mixed objects (e.g. pandas.NA among numbers): convert once per distinct value.
    raw, codes = _factorize_objects(arr, by_type=False)
    lut = np.empty(len(raw) + 1, dtype=np.float64)
    for i, value in enumerate(raw):
        if is_missing(value):
            lut[i] = math.nan
            continue
        try:
            lut[i] = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise EngineError(f"{what} holds a non-numeric value {value!r}") from None
    lut[-1] = math.nan
    return lut[codes]


def _check_edges(edges: Sequence[float], *, allow_constant: bool) -> tuple[float, ...]:
    """Edges as Python floats: at least two, finite, strictly increasing (or [v, v] if allowed)."""
    try:
        values = tuple(float(e) for e in edges)
    except (TypeError, ValueError):
        raise EngineError(f"bin edges must be numbers, got {list(edges)!r}") from None
    if len(values) < 2:
        raise EngineError(f"bin edges need at least 2 values, got {len(values)}")
    if not all(math.isfinite(e) for e in values):
        raise EngineError(f"bin edges must be finite, got {list(values)!r}")
    constant = allow_constant and len(values) == 2 and values[0] == values[1]
    if not constant and any(b <= a for a, b in pairwise(values)):
        raise EngineError(f"bin edges must be strictly increasing, got {list(values)!r}")
    return values


def _format_edges(edges: tuple[float, ...], axis: str = "value") -> list[str]:
    """Edges as short text (6 significant digits), or exact repr if that would merge two edges;
    on a time axis (epoch seconds), ISO 8601 UTC timestamps."""
    if axis == "time":
        return [_iso(e) for e in edges]
    short = [format(e, ".6g") for e in edges]
    if len(set(short)) == len(set(edges)):
        return short
    return [repr(e) for e in edges]


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


# -------------------------------------------------------------------------------------- numeric


@dataclass(frozen=True)
class NumericBins:
    """Frozen edges of a numeric feature; see the module docstring for the counting slots.

    ``axis="time"``: a datetime feature, its values and edges in seconds since the Unix epoch
    (UTC); only the labels differ (ISO 8601 timestamps).
    """

    edges: tuple[float, ...]
    strategy: str = "fixed"
    axis: Literal["value", "time"] = "value"

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", _check_edges(self.edges, allow_constant=True))
        if self.axis not in ("value", "time"):
            raise EngineError(f"unknown numeric axis {self.axis!r}; choose one of: value, time")
        if self.strategy not in NUMERIC_STRATEGIES:
            raise EngineError(
                f"unknown binning strategy {self.strategy!r}; "
                f"choose one of: {', '.join(NUMERIC_STRATEGIES)}"
            )

    @cached_property
    def _edge_array(self) -> FloatArray:
        return np.asarray(self.edges, dtype=np.float64)

    @property
    def n_bins(self) -> int:
        """Number of counting slots: interior bins + two tails + missing."""
        return len(self.edges) + 2

    @property
    def tail_indices(self) -> tuple[int, int]:
        """Slots of the lower and upper tail (values outside the reference's range)."""
        return 0, len(self.edges)

    @property
    def missing_index(self) -> int:
        """Slot of ``__missing__``."""
        return len(self.edges) + 1

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """One label per slot, e.g. ``(-inf, 1.5)``, ``[1.5, 3)``, ``[3, 4]``, ``(4, +inf)``."""
        text = _format_edges(self.edges, self.axis)
        last = len(text) - 1
        interior = [f"[{text[i - 1]}, {text[i]})" for i in range(1, last)]
        interior.append(f"[{text[last - 1]}, {text[last]}]")
        return (f"(-inf, {text[0]})", *interior, f"({text[last]}, +inf)", MISSING_LABEL)

    def count(self, values: object) -> IntArray:
        """Counts per slot of a 1-D numeric (or bool) array.

        Up to ``_COMPARE_MAX_EDGES`` edges, counts come from cumulative comparisons (how many
        values lie below each edge), block by block in cache-sized pieces: a few SIMD passes that
        run about ten times faster than a binary search per value and release the GIL, so columns
        can be counted on several threads. More edges use one searchsorted and one bincount.
        Both give identical counts (tests check them against each other).
        """
        x = _as_float(values, "numeric values")
        if self._edge_array.size <= COMPARE_MAX_EDGES:
            return count_by_comparison(x, self.edges)
        return count_by_search(x, self._edge_array)

    def count_sorted(self, ordered: object) -> IntArray:
        """:meth:`count` of values already in ascending order, NaN last (as ``numpy.sort``
        leaves them): binary searches for the edges instead of a pass over the values."""
        return count_sorted(_as_float(ordered, "numeric values"), self._edge_array)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form; edges are Python floats, which round-trip exactly through JSON."""
        data = {"kind": "numeric", "strategy": self.strategy, "edges": list(self.edges)}
        return data if self.axis == "value" else {**data, "axis": self.axis}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericBins:
        """Inverse of :meth:`to_dict`."""
        _expect_kind(data, "numeric")
        edges = data.get("edges")
        if not isinstance(edges, list | tuple) or any(
            isinstance(e, bool) or not isinstance(e, int | float) for e in edges
        ):
            raise EngineError(f"numeric bins need 'edges' as a list of numbers, got {edges!r}")
        strategy = data.get("strategy", "fixed")
        if not isinstance(strategy, str):
            raise EngineError(f"numeric bins need 'strategy' as a string, got {strategy!r}")
        axis = data.get("axis", "value")
        if axis not in ("value", "time"):
            raise EngineError(f"numeric bins need 'axis' value or time, got {axis!r}")
        return cls(edges=tuple(float(e) for e in edges), strategy=strategy, axis=axis)


def fit_numeric_bins(
    values: np.ndarray,
    *,
    strategy: str = "quantile",
    bins: int = 10,
    edges: Sequence[float] | None = None,
    presorted: bool = False,
) -> NumericBins:
    """Fit numeric bin edges on reference ``values``; only finite values take part.

    ``presorted`` says ``values`` are in ascending order, NaN last (``numpy.sort``'s order): the
    edges are then read off them without sorting again (the reference fit sorts each column once,
    then counts it with :meth:`NumericBins.count_sorted`).

    - ``quantile`` (and ``auto``, the same): one bin per distinct value when there are at most
      ``bins`` of them (edges at the midpoints between them); otherwise the i/k quantiles,
      duplicates dropped, with every value holding ≥ 1/``bins`` of the reference in a bin of its
      own (see :mod:`driftwatch.engine.edges`);
    - ``uniform``: k equal-width bins over [min, max];
    - ``fixed``: the given ``edges`` (at least 2, finite, strictly increasing).

    A constant column gets edges ``[v, v]``: one closed bin [v, v] between the two tails.
    """
    if strategy not in NUMERIC_STRATEGIES:
        raise EngineError(
            f"unknown binning strategy {strategy!r}; choose one of: {', '.join(NUMERIC_STRATEGIES)}"
        )
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise EngineError(f"bins must be a positive integer, got {bins!r}")
    bins = int(bins)
    if strategy == "fixed" and edges is None:
        raise EngineError("strategy 'fixed' needs explicit edges")
    if strategy != "fixed" and edges is not None:
        raise EngineError(f"edges are only used with strategy 'fixed', not {strategy!r}")

    x = _as_float(values, "reference values")
    if presorted:  # -inf first, then the finite values, +inf, NaN: a slice, no copy
        lowest = int(np.searchsorted(x, -np.inf, side="right"))
        finite = x[lowest : int(np.searchsorted(x, np.inf, side="left"))]
    else:
        finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise EngineError("no finite reference values to fit bins on")

    fitted: FloatArray | tuple[float, ...]
    if edges is not None:
        fitted = _check_edges(edges, allow_constant=False)
    elif presorted:
        fitted = sorted_reference_edges(finite, strategy, bins)
    else:
        fitted = reference_edges(finite, strategy, bins)

    out = tuple(float(e) for e in fitted)
    if len(out) == 1:
        out = (out[0], out[0])
    return NumericBins(edges=out, strategy=strategy)


# ---------------------------------------------------------------------------------- categorical


@dataclass(frozen=True)
class CategoricalBins:
    """Frozen vocabulary of a categorical feature.

    Slots: the ``vocabulary`` in order, then ``__other__`` if any reference category was ``pooled``,
    then ``__unseen__`` and ``__missing__``. ``singletons`` and ``doubletons`` are the numbers of
    reference categories seen exactly once and twice (pooled ones included): the Good–Turing
    estimate of how much live mass falls in ``__unseen__`` with no drift (see
    :mod:`driftwatch.engine.drift_test`). They describe the reference, not the slots, so they take
    no part in equality.
    """

    vocabulary: tuple[str, ...]
    pooled: frozenset[str] = frozenset()
    singletons: int = field(default=0, compare=False)
    doubletons: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        vocabulary = tuple(self.vocabulary)
        pooled = frozenset(self.pooled)
        if not vocabulary:
            raise EngineError("categorical bins need at least one category in the vocabulary")
        if not all(isinstance(v, str) for v in vocabulary) or not all(
            isinstance(v, str) for v in pooled
        ):
            raise EngineError("categorical bin labels must be strings")
        if len(set(vocabulary)) != len(vocabulary):
            raise EngineError("categorical vocabulary holds duplicate labels")
        if overlap := pooled.intersection(vocabulary):
            raise EngineError(f"categories both in the vocabulary and pooled: {sorted(overlap)!r}")
        if reserved := RESERVED_LABELS.intersection(vocabulary) | RESERVED_LABELS.intersection(
            pooled
        ):
            raise EngineError(
                f"category {sorted(reserved)[0]!r} collides with a reserved bin label; "
                "rename it in the data"
            )
        for name in ("singletons", "doubletons"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise EngineError(f"categorical bins need {name!r} as an integer >= 0")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "vocabulary", vocabulary)
        object.__setattr__(self, "pooled", pooled)

    @property
    def other_index(self) -> int | None:
        """Slot of ``__other__``, or None when nothing was pooled."""
        return len(self.vocabulary) if self.pooled else None

    @property
    def unseen_index(self) -> int:
        """Slot of ``__unseen__`` (live categories the reference never had)."""
        return len(self.vocabulary) + (1 if self.pooled else 0)

    @property
    def missing_index(self) -> int:
        """Slot of ``__missing__``."""
        return self.unseen_index + 1

    @property
    def n_bins(self) -> int:
        """Number of counting slots."""
        return self.missing_index + 1

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """One label per slot."""
        other = (OTHER_LABEL,) if self.pooled else ()
        return (*self.vocabulary, *other, UNSEEN_LABEL, MISSING_LABEL)

    @cached_property
    def _slot_of(self) -> dict[str, int]:
        slots = {label: i for i, label in enumerate(self.vocabulary)}
        other = self.other_index
        if other is not None:
            slots.update(dict.fromkeys(self.pooled, other))
        return slots

    def _count_labelled(self, labels: Sequence[str | None], codes: CodeArray) -> IntArray:
        """Counts per slot, given each category's label (None = missing) and rows' codes."""
        unseen, missing = self.unseen_index, self.missing_index
        lut = np.empty(len(labels) + 1, dtype=np.intp)
        for i, label in enumerate(labels):
            lut[i] = missing if label is None else self._slot_of.get(label, unseen)
        lut[-1] = missing  # code −1
        return np.bincount(lut[codes], minlength=self.n_bins).astype(np.int64, copy=False)

    def count(self, values: object) -> IntArray:
        """Counts per slot of a 1-D array of categories (object, str, bool, int or float).

        Python work is per distinct value.
        """
        labels, codes = _factorize(values, "categorical values")
        return self._count_labelled(labels, codes)

    def count_labels(self, counts: Mapping[str, int], missing: int = 0) -> IntArray:
        """Counts per slot from each category label's count and the number of missing values."""
        unseen = self.unseen_index
        out = np.zeros(self.n_bins, dtype=np.int64)
        for label, n in counts.items():
            out[self._slot_of.get(label, unseen)] += int(n)
        out[self.missing_index] += int(missing)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (pooled labels sorted, so equal bins give equal dicts)."""
        rare = {"singletons": self.singletons, "doubletons": self.doubletons}
        return {
            "kind": "categorical",
            "vocabulary": list(self.vocabulary),
            "pooled": sorted(self.pooled),
            **{key: n for key, n in rare.items() if n},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoricalBins:
        """Inverse of :meth:`to_dict`."""
        _expect_kind(data, "categorical")
        vocabulary, pooled = data.get("vocabulary"), data.get("pooled", [])
        for key, value in (("vocabulary", vocabulary), ("pooled", pooled)):
            if not isinstance(value, list | tuple):
                raise EngineError(f"categorical bins need {key!r} as a list, got {value!r}")
        rare = {key: data.get(key, 0) for key in ("singletons", "doubletons")}
        return cls(vocabulary=tuple(vocabulary), pooled=frozenset(pooled), **rare)  # type: ignore[arg-type]


def fit_categorical_bins(values: np.ndarray, *, top_k: int = 50) -> CategoricalBins:
    """Fit the vocabulary on reference ``values``: the ``top_k`` most frequent categories.

    Ties are broken by label ascending; the remaining categories are pooled into ``__other__``.
    Missing values (:func:`~driftwatch.engine.labels.is_missing`) are not categories; categories
    are known by :func:`~driftwatch.engine.labels.category_label` (``3``, ``3.0`` and
    ``Decimal("3.00")`` are all "3").
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise EngineError(f"top_k must be a positive integer, got {top_k!r}")
    labels, codes = _factorize(values, "reference values")
    present = codes[codes >= 0]
    counts = np.bincount(present, minlength=len(labels))
    return fit_categorical_bins_from_counts(
        dict(zip(labels, counts.tolist(), strict=True)), top_k=top_k
    )


def fit_categorical_bins_from_counts(
    counts: Mapping[str, int], *, top_k: int = 50
) -> CategoricalBins:
    """:func:`fit_categorical_bins` from each category label's reference count (missing excluded).

    Counts add across chunks, so a reference read chunk by chunk is fitted exactly as if whole.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise EngineError(f"top_k must be a positive integer, got {top_k!r}")
    labels = [label for label, n in counts.items() if n > 0]
    if not labels:
        raise EngineError("no non-missing reference values to build a vocabulary from")
    frequency = np.asarray([counts[label] for label in labels], dtype=np.int64)
    order = np.lexsort((np.asarray(labels, dtype=np.str_), -frequency))
    ranked = [labels[i] for i in order]
    return CategoricalBins(
        vocabulary=tuple(ranked[:top_k]),
        pooled=frozenset(ranked[top_k:]),
        singletons=int(np.count_nonzero(frequency == 1)),
        doubletons=int(np.count_nonzero(frequency == 2)),
    )


# --------------------------------------------------------------------------------------- either

Bins: TypeAlias = NumericBins | CategoricalBins


def _expect_kind(data: Mapping[str, Any], kind: str) -> None:
    if not isinstance(data, Mapping):
        raise EngineError(f"bins must be given as a mapping, got {type(data).__name__}")
    if data.get("kind") != kind:
        raise EngineError(f"expected bins of kind {kind!r}, got {data.get('kind')!r}")


def bins_from_dict(data: Mapping[str, Any]) -> Bins:
    """Rebuild numeric or categorical bins from their :meth:`to_dict` form."""
    if not isinstance(data, Mapping):
        raise EngineError(f"bins must be given as a mapping, got {type(data).__name__}")
    kind = data.get("kind")
    if kind == "numeric":
        return NumericBins.from_dict(data)
    if kind == "categorical":
        return CategoricalBins.from_dict(data)
    raise EngineError(f"unknown bins kind {kind!r}; expected 'categorical' or 'numeric'")
