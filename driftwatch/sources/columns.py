"""Conversion of a pandas column into what the numpy engine bins: floats or category counts.

All are vectorised: pandas does the per-row work; Python only loops over the distinct values of a
categorical column, never over its rows. Categories are named and missing values recognised by the
engine's one rule (:mod:`driftwatch.engine.labels`), exactly as the engine, SQL pushdown and Dask
name them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)

from driftwatch.engine.labels import category_label, is_missing
from driftwatch.errors import ColumnError
from driftwatch.text import shorten

__all__ = [
    "category_counts",
    "datetime_values",
    "feature_values",
    "numeric_values",
    "refuse_timestamps",
]


def _holds_timestamps(dtype: Any) -> bool:
    return bool(
        is_datetime64_any_dtype(dtype)
        or is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def refuse_timestamps(series: pd.Series, *, column: str, where: str, declared: str) -> None:
    """A :class:`ColumnError` for a column of timestamps (datetime, timedelta or period dtype).

    Declared numeric, the numbers would be nanoseconds in one source and days in another; the
    message points to ``datetime`` features, which bin on the time value. (Declared
    categorical, each distinct timestamp is a category: fine for dates, useless for times.)
    """
    if _holds_timestamps(series.dtype):
        raise ColumnError(
            f"{where}: column {column!r} is declared {declared} but holds timestamps "
            f"({series.dtype}); list it under 'datetime' in the features"
        )


def datetime_values(series: pd.Series, *, column: str, where: str) -> np.ndarray:
    """A timestamp column as float64 seconds since the Unix epoch (UTC), NaN where missing.

    datetime64 columns (naive ones are taken as UTC, tz-aware ones converted) and text holding
    ISO-like timestamps (a CSV column, SQLite's text dates) are accepted; numbers, timedeltas
    and periods are refused (their unit or origin is not the data's to guess).
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if is_datetime64_any_dtype(dtype):
        stamps = pd.to_datetime(series, utc=True)
    elif is_bool_dtype(dtype) or is_numeric_dtype(dtype) or _holds_timestamps(dtype):
        raise ColumnError(
            f"{where}: column {column!r} is declared datetime but holds {dtype} values; "
            "give timestamps (datetime or ISO 8601 text), or declare it numeric"
        )
    else:
        stamps = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
        failed = series.notna().to_numpy(dtype=bool) & stamps.isna().to_numpy(dtype=bool)
        suspects = series[failed]
        suspects = suspects[suspects.astype(str).str.strip() != ""]
        if len(suspects):
            shown = shorten(str(suspects.iloc[0]))
            raise ColumnError(
                f"{where}: column {column!r} is declared datetime but holds values that are "
                f"not timestamps, such as {shown!r}"
            )
    nanoseconds = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    seconds = nanoseconds.astype(np.float64) / 1e9
    seconds[stamps.isna().to_numpy(dtype=bool)] = np.nan
    return seconds


def feature_values(series: pd.Series, *, kind: str, column: str, where: str) -> np.ndarray:
    """:func:`datetime_values` for a ``datetime`` feature, :func:`numeric_values` otherwise."""
    if kind == "datetime":
        return datetime_values(series, column=column, where=where)
    return numeric_values(series, column=column, where=where)


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
    refuse_timestamps(series, column=column, where=where, declared="numeric")
    if is_bool_dtype(dtype) or is_numeric_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    failed = series.notna().to_numpy(dtype=bool) & converted.isna().to_numpy(dtype=bool)
    if failed.any():
        suspects = series[failed]
        blank = (suspects.astype(str).str.strip() == "").to_numpy(dtype=bool)
        if not blank.all():
            example = suspects[~blank].iloc[0]
            shown = shorten(str(example))
            raise ColumnError(
                f"{where}: column {column!r} is declared numeric but holds non-numeric values "
                f"such as {shown!r}; declare it under 'categorical' or fix the data"
            )
    return pd.Series(converted).to_numpy(dtype=np.float64, na_value=np.nan)


def category_counts(series: pd.Series) -> tuple[dict[str, int], int]:
    """How many rows hold each category label, and how many are missing.

    Labels by :func:`~driftwatch.engine.category_label` (counts of values with equal labels add
    up), missing by :func:`~driftwatch.engine.is_missing`, from one hash-based ``value_counts``:
    no per-row codes are materialised, so counting a chunk costs one pass in pandas and Python
    work per distinct value only.
    """
    split = _bool_rows(series)
    parts = [series] if split is None else [series[split], series[~split]]
    by_label: dict[str, int] = {}
    missing = 0
    for part in parts:
        counted = part.value_counts(dropna=False, sort=False)
        for value, n in zip(counted.index.tolist(), counted.tolist(), strict=True):
            if is_missing(value):
                missing += int(n)
                continue
            label = category_label(value)
            by_label[label] = by_label.get(label, 0) + int(n)
    return by_label, missing


def _bool_rows(series: pd.Series) -> np.ndarray | None:
    """Which rows hold booleans, when an object column mixes them with other values; else None.

    pandas hashes ``True`` and ``1`` as one value (they are equal in Python), so which came first
    would name both. The engine keeps them apart, and so does the pipeline: such a column is
    counted as its booleans and its other values. Only mixed object columns pay for the check.
    """
    if series.dtype != object or infer_dtype(series, skipna=True) not in _MIXED:
        return None
    rows = series.map(type).isin(_BOOL_TYPES).to_numpy(dtype=bool)
    return rows if rows.any() else None


_MIXED = frozenset({"mixed", "mixed-integer"})
_BOOL_TYPES = (bool, np.bool_)
