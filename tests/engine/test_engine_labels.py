"""The one category-label rule and the one missing-value rule (``driftwatch.engine.labels``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from driftwatch.engine import (
    UNSEEN_LABEL,
    category_label,
    fit_categorical_bins,
    is_missing,
)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        pytest.param(3, "3", id="int"),
        pytest.param(3.0, "3", id="whole-float"),
        pytest.param(-0.0, "0", id="negative-zero"),
        pytest.param(2.5, "2.5", id="float"),
        pytest.param(1e16, "10000000000000000", id="large-whole-float"),
        pytest.param(1e19, "1e+19", id="whole-float-beyond-int64"),
        pytest.param(1e-7, "1e-07", id="small-float"),
        pytest.param(float("inf"), "inf", id="inf"),
        pytest.param(float("-inf"), "-inf", id="minus-inf"),
        pytest.param(np.float32(0.5), "0.5", id="numpy-float32"),
        pytest.param(np.float64(3.0), "3", id="numpy-whole-float64"),
        pytest.param(np.int64(7), "7", id="numpy-int64"),
        pytest.param(np.uint8(7), "7", id="numpy-uint8"),
        pytest.param(Decimal("3.00"), "3", id="decimal-whole"),
        pytest.param(Decimal("-12"), "-12", id="decimal-negative"),
        pytest.param(Decimal("2.50"), "2.5", id="decimal-like-a-float"),
        pytest.param(Decimal("0.1"), "0.1", id="decimal-tenth"),
        pytest.param(Decimal("1E-7"), "1e-07", id="decimal-small"),
        pytest.param(
            Decimal("0.12345678901234567890"), "0.1234567890123456789", id="decimal-exact"
        ),
        pytest.param(Decimal("Infinity"), "inf", id="decimal-inf"),
        pytest.param(True, "True", id="bool"),
        pytest.param(np.bool_(False), "False", id="numpy-bool"),
        pytest.param("x", "x", id="text"),
        pytest.param("3.0", "3.0", id="text-is-kept"),
        pytest.param(b"oslo", "oslo", id="bytes"),
        pytest.param(b"\xff", "\\xff", id="undecodable-bytes"),
        pytest.param(pd.Timestamp("2024-01-01"), "2024-01-01 00:00:00", id="timestamp"),
        pytest.param(datetime(2024, 1, 1, 12, 30), "2024-01-01 12:30:00", id="datetime"),
        pytest.param(
            datetime(2024, 1, 1, tzinfo=UTC), "2024-01-01 00:00:00+00:00", id="aware-datetime"
        ),
        pytest.param(np.datetime64("2024-01-01", "D"), "2024-01-01 00:00:00", id="datetime64-day"),
        pytest.param(
            np.datetime64("2024-01-01T00:00:00.5", "us"),
            "2024-01-01 00:00:00.500000",
            id="datetime64-micro",
        ),
        pytest.param(
            np.datetime64("2024-01-01T00:00:00.000000001", "ns"),
            "2024-01-01 00:00:00.000000001",
            id="datetime64-nano",
        ),
        pytest.param(date(2024, 1, 1), "2024-01-01", id="date"),
    ],
)
def test_category_label(value: object, label: str) -> None:
    assert category_label(value) == label


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(np.datetime64("2024-01-01T12:30:00.000000001", "ns"), id="nano"),
        pytest.param(np.datetime64("1969-12-31T23:59:59.999999999", "ns"), id="before-epoch"),
        pytest.param(np.datetime64("2024-01-01T12:30:00", "s"), id="seconds"),
        pytest.param(np.datetime64("2024-01-01T12:30:00.123456", "us"), id="micro"),
    ],
)
def test_datetime64_reads_like_a_pandas_timestamp(value: np.datetime64) -> None:
    assert category_label(value) == str(pd.Timestamp(value))


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        pytest.param(None, True, id="none"),
        pytest.param(float("nan"), True, id="nan"),
        pytest.param(np.float32("nan"), True, id="numpy-nan"),
        pytest.param(Decimal("NaN"), True, id="decimal-nan"),
        pytest.param(Decimal("sNaN"), True, id="decimal-signalling-nan"),
        pytest.param(np.datetime64("NaT"), True, id="numpy-nat"),
        pytest.param(pd.NaT, True, id="pandas-nat"),
        pytest.param(pd.NA, True, id="pandas-na"),
        pytest.param("", False, id="empty-text"),
        pytest.param("nan", False, id="text-nan"),
        pytest.param(0, False, id="zero"),
        pytest.param(False, False, id="false"),
        pytest.param(float("inf"), False, id="inf"),
        pytest.param((float("nan"),), False, id="tuple"),
        pytest.param(np.array([np.nan, np.nan]), False, id="array"),
        pytest.param(b"", False, id="bytes"),
    ],
)
def test_is_missing(value: object, missing: bool) -> None:
    assert is_missing(value) is missing


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), Decimal("NaN"), np.datetime64("NaT"), pd.NaT, pd.NA, 1, "a", b"a"],
    ids=repr,
)
def test_is_missing_agrees_with_pandas_isna(value: object) -> None:
    assert is_missing(value) is bool(pd.isna(value))  # type: ignore[call-overload]


def test_engine_fits_datetime64_categories_and_counts_nat_as_missing() -> None:
    values = np.array(["2024-01-02", "2024-01-01", "NaT", "2024-01-02"], dtype="datetime64[ns]")
    bins = fit_categorical_bins(values)
    assert bins.vocabulary == ("2024-01-02 00:00:00", "2024-01-01 00:00:00")
    assert bins.count(values).tolist() == [2, 1, 0, 1]  # two days, unseen, missing


def test_decimal_reference_and_int_live_share_their_categories() -> None:
    """The bug this rule fixed: Decimal('3.00') was "3.00" here but "3" in the pandas pipeline."""
    bins = fit_categorical_bins(np.array([Decimal("3.00"), Decimal("1"), Decimal("2.50")]))
    assert bins.vocabulary == ("1", "2.5", "3")
    counts = bins.count(np.array([3, 1.0, 2.5, np.int64(3)], dtype=object))
    assert counts[bins.labels.index(UNSEEN_LABEL)] == 0
    assert counts.tolist() == [1, 1, 2, 0, 0]
