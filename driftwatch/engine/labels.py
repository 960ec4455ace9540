"""The one rule for naming a category and the one rule for calling a value missing.

Every path that turns raw values into category labels uses these two functions: the engine's own
factorization (``fit_categorical_bins``, ``CategoricalBins.count``), the pandas pipeline of the
sources (``driftwatch.sources.columns``), the rows a database groups by under SQL pushdown, and
Dask partitions. A category fitted on one path and counted on another therefore lands in its own
slot, never in ``__unseen__``. Both run once per *distinct* value, never per row.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import numpy as np

__all__ = ["category_label", "is_missing"]

# Whole floats read as integers up to the int64 range: an integer column that picked up a missing
# value is read as float, and every int64 value (exactly representable or not) stays below this.
_INTEGRAL_FLOAT_LIMIT = 2.0**63
# Whole Decimals with more digits than this keep their exponent form instead of a huge integer.
_INTEGRAL_DECIMAL_DIGITS = 64


def is_missing(value: object) -> bool:
    """True for None, NaN (float, numpy or Decimal), NaT and ``pandas.NA``.

    That is what ``pandas.isna`` calls missing for a scalar, decided without pandas: only NaN-like
    values are unequal to themselves, and ``pandas.NA``'s comparisons have no truth value.
    Array-likes are never missing scalars.
    """
    if value is None:
        return True
    if isinstance(value, str | bytes | int):  # bool is an int
        return False
    try:
        unequal = value != value
    except ArithmeticError:  # a signalling Decimal NaN refuses to be compared
        return True
    except TypeError:
        return False
    if isinstance(unequal, np.ndarray):
        return False
    try:
        return bool(unequal)
    except (TypeError, ValueError):  # pandas.NA != pandas.NA is NA, whose truth is ambiguous
        return True


def category_label(value: object) -> str:
    """The text a (non-missing) category is known by, identical on every path.

    - Whole numbers read as integers: ``3``, ``3.0``, ``numpy.int64(3)`` and ``Decimal("3.00")``
      are all ``"3"`` (an integer column with a missing value is read as float, a SQL
      ``NUMERIC`` one as Decimal). Floats beyond ±2**63 keep their repr (``"1e+19"``).
    - Other floats read as Python's shortest repr (``"2.5"``, ``"inf"``, ``"1e-07"``); a Decimal
      reads like the float that denotes the same number (``Decimal("2.50")`` is ``"2.5"``),
      else as its normalised text.
    - Booleans read ``"True"``/``"False"`` (numpy booleans too).
    - Datetimes read like ``pandas.Timestamp`` (``"2024-01-01 00:00:00"``), numpy
      ``datetime64`` values too, whatever their unit.
    - Bytes are decoded as UTF-8 (undecodable bytes as ``\\x`` escapes).
    - Anything else reads as ``str(value)``: text is kept as it is, so the text ``"3"`` and the
      number 3 are one category.
    """
    if isinstance(value, np.datetime64):
        return _datetime64_label(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return _float_label(value)
    if isinstance(value, Decimal):
        return _decimal_label(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return str(value)


def _float_label(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < _INTEGRAL_FLOAT_LIMIT:
        return str(int(value))
    return repr(value)


def _decimal_label(value: Decimal) -> str:
    if not value.is_finite():
        return repr(float(value))  # "inf" / "-inf", as the float
    if value == value.to_integral_value() and value.adjusted() < _INTEGRAL_DECIMAL_DIGITS:
        return str(int(value))
    shortest = repr(float(value))
    return shortest if Decimal(shortest) == value else str(value.normalize())


def _datetime64_label(value: np.datetime64) -> str:
    """``str(pandas.Timestamp(value))``: seconds, then ``.ffffff`` or ``.fffffffff`` if needed."""
    micro = value.astype("datetime64[us]")  # floors, so the remainder below is never negative
    moment = micro.item()
    if not isinstance(moment, datetime):  # beyond datetime's years 1..9999
        return str(value)
    rest = int((value - micro.astype(value.dtype)) / np.timedelta64(1, "ns"))
    if rest == 0:
        return str(moment)
    return f"{moment.isoformat(sep=' ', timespec='microseconds')}{rest:03d}"
