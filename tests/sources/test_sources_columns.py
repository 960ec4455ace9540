"""numeric_values and category_counts: what the engine receives from a pandas column."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftwatch.errors import ColumnError
from driftwatch.sources.columns import category_counts, numeric_values

NAN = float("nan")


def numeric(series: pd.Series) -> list[float]:
    values = numeric_values(series, column="x", where="monitor 'm' live")
    assert values.dtype == np.float64 and values.ndim == 1
    return values.tolist()


def same(got: list[float], expected: list[float]) -> bool:
    return np.array_equal(np.array(got), np.array(expected), equal_nan=True)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (pd.Series([1.5, NAN, -2.0]), [1.5, NAN, -2.0]),
        (pd.Series([1, 2, 3]), [1.0, 2.0, 3.0]),
        (pd.Series([1, None, 3], dtype="Int64"), [1.0, NAN, 3.0]),
        (pd.Series([1.5, None], dtype="Float64"), [1.5, NAN]),
        (pd.Series([True, False, True]), [1.0, 0.0, 1.0]),
        (pd.Series([True, None, False], dtype="boolean"), [1.0, NAN, 0.0]),
        (pd.Series([True, None, False], dtype=object), [1.0, NAN, 0.0]),
        (pd.Series([np.inf, -np.inf, 0.0]), [np.inf, -np.inf, 0.0]),
        (pd.Series([NAN, NAN]), [NAN, NAN]),
        (pd.Series([None, None], dtype=object), [NAN, NAN]),
        (pd.Series([pd.NA, 1], dtype=object), [NAN, 1.0]),
        (pd.Series([], dtype="float64"), []),
        (pd.Series(["1.5", "2", None, "-3e2"], dtype=object), [1.5, 2.0, NAN, -300.0]),
        (pd.Series(["1.5", "inf", "-inf", None], dtype="str"), [1.5, np.inf, -np.inf, NAN]),
        (pd.Series(["4", "", "  "], dtype=object), [4.0, NAN, NAN]),  # blank text is missing
        (pd.Series([Decimal("1.25"), None, Decimal(3)], dtype=object), [1.25, NAN, 3.0]),
        (pd.Series([1, "2", 3.5], dtype=object), [1.0, 2.0, 3.5]),
        (pd.Series([1.0, 2.0, 1.0], dtype="category"), [1.0, 2.0, 1.0]),
        (pd.Series(np.array([1, 2], dtype=np.uint8)), [1.0, 2.0]),
    ],
    ids=lambda v: str(getattr(v, "dtype", "")),
)
def test_numeric_values(series: pd.Series, expected: list[float]) -> None:
    assert same(numeric(series), expected)


@pytest.mark.parametrize(
    ("series", "shown"),
    [
        (pd.Series(["1.5", "abc", "2"], dtype=object), "'abc'"),
        (pd.Series(["1.5", "abc"], dtype="str"), "'abc'"),
        (pd.Series([None, "12 kg"], dtype=object), "'12 kg'"),
        (pd.Series(["a", "b"], dtype="category"), "'a'"),
        (pd.Series([1.0, datetime(2024, 1, 1)], dtype=object), "'2024-01-01 00:00:00'"),
    ],
)
def test_non_numeric_text_is_a_column_error(series: pd.Series, shown: str) -> None:
    with pytest.raises(ColumnError) as info:
        numeric_values(series, column="weight", where="monitor 'm' live")
    assert str(info.value) == (
        f"monitor 'm' live: column 'weight' is declared numeric but holds non-numeric values "
        f"such as {shown}; declare it under 'categorical' or fix the data"
    )


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(pd.date_range("2024-01-01", periods=3)),
        pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC")),
        pd.Series(pd.to_timedelta([1, 2], unit="s")),
    ],
)
def test_datetimes_are_a_column_error(series: pd.Series) -> None:
    with pytest.raises(ColumnError, match=r"^w: column 'ts' is declared numeric but holds"):
        numeric_values(series, column="ts", where="w")


def test_numeric_values_does_not_modify_its_input() -> None:
    series = pd.Series(["1", "x2"], dtype=object)
    with pytest.raises(ColumnError):
        numeric_values(series, column="x", where="w")
    assert series.tolist() == ["1", "x2"]
    ints = pd.Series([1, None], dtype="Int64")
    values = numeric_values(ints, column="x", where="w")
    values[0] = 99.0  # the result is the caller's to modify
    assert ints.tolist()[0] == 1


# --- category_counts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(["a", None, "a", NAN], dtype=object),
        pd.Series(["a", None, "a", None], dtype="str"),
        pd.Series(["a", pd.NA, "a", None], dtype="string"),
        pd.Series(["a", None, "a", None], dtype="category"),
        pd.Series([1, None, 1, None], dtype="Int64"),
        pd.Series([1.0, NAN, 1.0, NAN]),
        pd.Series([True, None, True, None], dtype="boolean"),
        pd.Series(["a", pd.NaT, "a", None], dtype=object),
    ],
    ids=lambda s: str(s.dtype),
)
def test_missing_values_are_counted_apart(series: pd.Series) -> None:
    counts, missing = category_counts(series)
    assert list(counts.values()) == [2] and missing == 2


def test_all_missing() -> None:
    assert category_counts(pd.Series([None, NAN], dtype=object)) == ({}, 2)


def test_bools_read_true_and_false() -> None:
    for series in (
        pd.Series([True, False, True]),
        pd.Series([True, False, True], dtype="boolean"),
        pd.Series([True, False, True], dtype=object),
        pd.Series(np.array([True, False, True], dtype=np.bool_), dtype=object),
    ):
        assert category_counts(series) == ({"True": 2, "False": 1}, 0), series.dtype


def test_integral_floats_match_ints() -> None:
    """An int column read as float because of a missing value names its categories the same."""
    from_ints, _ = category_counts(pd.Series([3, 1, 2]))
    from_floats, _ = category_counts(pd.Series([3.0, 1.0, NAN, 2.0]))
    from_nullable, _ = category_counts(pd.Series([3, 1, None, 2], dtype="Int64"))
    from_text, _ = category_counts(pd.Series(["3", "1", "2"]))
    from_decimals, _ = category_counts(pd.Series([Decimal("3.00"), Decimal(1), Decimal("2.0")]))
    assert from_ints == from_floats == from_nullable == from_text == from_decimals
    assert from_ints == {"3": 1, "1": 1, "2": 1}


def test_mixed_spellings_of_one_value_share_a_label() -> None:
    series = pd.Series([3, "3", 3.0, np.int64(3), 2.5], dtype=object)
    assert category_counts(series) == ({"3": 4, "2.5": 1}, 0)


@given(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=40))
def test_ints_and_their_float_reading_agree(values: list[int | None]) -> None:
    as_float = pd.Series([NAN if v is None else float(v) for v in values], dtype="float64")
    as_nullable = pd.Series(values, dtype="Int64")
    expected = (
        {str(v): values.count(v) for v in values if v is not None},
        values.count(None),
    )
    assert category_counts(as_float) == category_counts(as_nullable) == expected
