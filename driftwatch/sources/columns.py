"""Conversion of a pandas column into what the numpy engine bins: floats or category codes.

Both functions are vectorised: pandas does the per-row work; Python only loops over the distinct
values of a categorical column, never over its rows.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)

from driftwatch.errors import ColumnError

__all__ = ["categorical_codes", "category_counts", "category_label", "numeric_values"]


def numeric_values(series: pd.Series, *, column: str, where: str) -> np.ndarray:
    """The column as a float64 array for numeric binning.

    Missing values (NaN, None, ``pd.NA``, blank text) become NaN; booleans become 0.0/1.0;
    integers (nullable ``Int64`` too) become floats; ±inf is kept; text holding numbers
    (``"1.5"``, ``"inf"``) is parsed.

    Args:
        series: one column of a chunk.
        column: its name, for the error message.
        where: what holds it (e.g. ``monitor 'weather' live``), the error message's prefix.

    Raises:
        ColumnError: the column holds text that is not a number, or timestamps.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if (
        is_datetime64_any_dtype(dtype)
        or is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise ColumnError(
            f"{where}: column {column!r} is declared numeric but holds timestamps ({dtype}); "
            "declare it under 'categorical', drop it from the features, or fix the data"
        )
    if is_bool_dtype(dtype) or is_numeric_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    failed = series.notna().to_numpy(dtype=bool) & converted.isna().to_numpy(dtype=bool)
    if failed.any():
        suspects = series[failed]
        blank = (suspects.astype(str).str.strip() == "").to_numpy(dtype=bool)
        if not blank.all():
            example = suspects[~blank].iloc[0]
            shown = example if isinstance(example, str) else str(example)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ColumnError(
                f"{where}: column {column!r} is declared numeric but holds non-numeric values "
                f"such as {shown!r}; declare it under 'categorical' or fix the data"
            )
    return pd.Series(converted).to_numpy(dtype=np.float64, na_value=np.nan)


def category_label(value: object) -> str:
    """The text a category is known by, identical in the reference and the live data.

    The rule is ``str()`` of the plain Python value, except that numbers which are whole render
    as integers: ``3``, ``3.0`` and ``Decimal("3.00")`` all read ``"3"``, because an integer
    column that has a missing value is read as float (and a NUMERIC one as Decimal). Other
    floats use Python's shortest repr (``"2.5"``, ``"inf"``); booleans read ``"True"``/``"False"``
    (numpy booleans too); text is kept as it is (``"3"`` text equals the number 3).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if math.isfinite(value) and value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize())
    return str(value)


def categorical_codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer codes of a column's categories, and the categories (as text, see below).

    Returns:
        ``(codes, categories)``: ``codes`` is int64, one per row, indexing ``categories``, with
        ``-1`` for a missing value (NaN, None, ``pd.NA``, NaT). ``categories`` are the distinct
        labels in order of first appearance, normalised by :func:`category_label` so that the
        same category reads the same in every chunk and in both datasets (``3`` and ``3.0`` are
        one category, ``"3"``).
    """
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.array(raw_codes, dtype=np.int64)  # a writable copy
    index: dict[str, int] = {}
    remap = np.empty(len(uniques), dtype=np.int64)
    for position, value in enumerate(uniques):  # distinct values only, not rows
        remap[position] = index.setdefault(category_label(value), len(index))
    present = codes >= 0
    codes[present] = remap[codes[present]]
    return codes, list(index)


def category_counts(series: pd.Series) -> tuple[dict[str, int], int]:
    """How many rows hold each category label, and how many are missing.

    The same labels and missing rule as :func:`categorical_codes` (counts of values with equal
    labels add up), from one hash-based ``value_counts``: no per-row codes are materialised, so
    counting a chunk costs one pass in pandas and Python work per distinct value only.
    """
    counted = series.value_counts(dropna=False, sort=False)
    by_label: dict[str, int] = {}
    missing = 0
    for value, n in zip(counted.index.tolist(), counted.tolist(), strict=True):
        if _missing_scalar(value):
            missing += int(n)
            continue
        label = category_label(value)
        by_label[label] = by_label.get(label, 0) + int(n)
    return by_label, missing


def _missing_scalar(value: object) -> bool:
    """None, NaN, NaT or pandas.NA (what ``pandas.factorize`` treats as missing)."""
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # list-like values are never missing scalars
        return False
