"""Every counting path names a category alike, so nothing lands in ``__unseen__`` by accident.

The paths: the engine's own factorization (``fit_categorical_bins``, ``CategoricalBins.count``),
the pandas pipeline of the sources (``category_counts``), and the rows a
database groups by under SQL pushdown (``counts_from_rows``). All use ``engine.labels``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from driftwatch.engine import (
    CategoricalBins,
    category_label,
    fit_categorical_bins,
    fit_categorical_bins_from_counts,
)
from driftwatch.sources.columns import category_counts
from driftwatch.sources.counting import FeatureBins
from driftwatch.sources.pushdown import counts_from_rows

VALUES = [
    pytest.param(Decimal("3.00"), id="decimal-whole"),
    pytest.param(Decimal("2.50"), id="decimal-fraction"),
    pytest.param(3, id="int"),
    pytest.param(3.0, id="whole-float"),
    pytest.param(2.5, id="float"),
    pytest.param(True, id="bool"),
    pytest.param(np.True_, id="numpy-bool"),
    pytest.param(np.int64(3), id="numpy-int64"),
    pytest.param(np.int32(-4), id="numpy-int32"),
    pytest.param(np.float64(3.0), id="numpy-whole-float"),
    pytest.param(np.float32(0.25), id="numpy-float32"),
    pytest.param(datetime(2024, 1, 1, 12, 30), id="datetime"),
    pytest.param(datetime(2024, 1, 1, tzinfo=UTC), id="aware-datetime"),
    pytest.param(pd.Timestamp("2024-01-01 00:00:00.5"), id="timestamp"),
    pytest.param(np.datetime64("2024-01-01T12:30", "ns"), id="datetime64"),
    pytest.param(b"oslo", id="bytes"),
    pytest.param("oslo", id="text"),
]


def engine_label(value: object) -> str:
    (label,) = fit_categorical_bins(np.array([value, value], dtype=object)).vocabulary
    return label


def pipeline_labels(value: object) -> list[str]:
    """The labels of the pandas pipeline, on an object column and on pandas' own dtype."""
    out = []
    for series in (pd.Series([value, None], dtype=object), pd.Series([value, value])):
        counts, _ = category_counts(series)
        out.extend(counts)
    return out


def pushdown_label(value: object) -> str:
    bins = CategoricalBins((category_label(value),))
    counts = counts_from_rows(
        [FeatureBins("c", "categorical", bins)], [(0, value, 2), (0, None, 1)]
    )
    assert counts.histograms["c"].counts.tolist() == [2, 0, 1]  # its slot, unseen, missing
    return bins.vocabulary[0]


@pytest.mark.parametrize("value", VALUES)
def test_engine_pipeline_and_pushdown_name_a_value_alike(value: object) -> None:
    label = engine_label(value)
    assert pipeline_labels(value) == [label, label]
    assert pushdown_label(value) == label == category_label(value)


Fit = Callable[[Sequence[object]], CategoricalBins]
Count = Callable[[CategoricalBins, Sequence[object]], np.ndarray]


def fit_engine(values: Sequence[object]) -> CategoricalBins:
    return fit_categorical_bins(np.array(values, dtype=object))


def fit_pipeline(values: Sequence[object]) -> CategoricalBins:
    counts, _ = category_counts(pd.Series(values, dtype=object))
    return fit_categorical_bins_from_counts(counts)


def count_engine(bins: CategoricalBins, values: Sequence[object]) -> np.ndarray:
    return bins.count(np.array(values, dtype=object))


def count_pipeline(bins: CategoricalBins, values: Sequence[object]) -> np.ndarray:
    return bins.count_labels(*category_counts(pd.Series(values, dtype=object)))


def count_pushdown(bins: CategoricalBins, values: Sequence[object]) -> np.ndarray:
    rows = [(0, value, 1) for value in values]
    counts = counts_from_rows([FeatureBins("c", "categorical", bins)], rows)
    return counts.histograms["c"].counts


SPELLINGS = [
    pytest.param(
        [Decimal("3.00"), Decimal("1"), Decimal("2.50")], [3, 1.0, 2.5], id="decimals-then-numbers"
    ),
    pytest.param(
        [3, 1.0, 2.5],
        [Decimal("3.0"), Decimal("1.000"), Decimal("2.5")],
        id="numbers-then-decimals",
    ),
    pytest.param([3.0, 1.0, 7.0], [np.int64(3), 1, np.uint16(7)], id="floats-then-numpy-ints"),
    pytest.param([np.float32(0.5), np.float64(2.0)], [0.5, 2], id="numpy-floats-then-python"),
    pytest.param([True, False], [np.True_, np.False_], id="bools-then-numpy-bools"),
    pytest.param(
        [datetime(2024, 1, 1), datetime(2024, 1, 2)],
        [np.datetime64("2024-01-01", "ns"), pd.Timestamp("2024-01-02")],
        id="datetimes-then-datetime64",
    ),
    pytest.param([b"oslo", b"lima"], ["oslo", "lima"], id="bytes-then-text"),
    pytest.param([True, 1, 1, "x"], [1, True, "x", 1], id="bool-and-one-stay-apart"),
]
FITS = [pytest.param(fit_engine, id="fit-engine"), pytest.param(fit_pipeline, id="fit-pipeline")]
COUNTS = [
    pytest.param(count_engine, id="count-engine"),
    pytest.param(count_pipeline, id="count-pipeline"),
    pytest.param(count_pushdown, id="count-pushdown"),
]


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize(("reference", "live"), SPELLINGS)
def test_a_category_fitted_on_one_path_is_counted_in_its_slot_on_another(
    reference: list[object], live: list[object], fit: Fit, count: Count
) -> None:
    bins = fit(reference)
    counts = count(bins, live)
    assert counts[bins.unseen_index] == 0
    assert counts.sum() == len(live)
    assert counts.tolist() == count_engine(bins, reference).tolist()  # same rows, same slots


def test_pipeline_keeps_a_bool_and_the_equal_number_apart_like_the_engine() -> None:
    series = pd.Series([1, True, 1, "x", None, False, 0], dtype=object)
    assert category_counts(series) == ({"1": 2, "True": 1, "x": 1, "False": 1, "0": 1}, 1)
    assert fit_engine(list(series)) == fit_pipeline(list(series))
