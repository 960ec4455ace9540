"""Counting on Arrow buffers gives the counts of searchsorted + bincount on the same values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftwatch.config import ParquetSourceConfig
from driftwatch.engine import fit_categorical_bins, fit_numeric_bins
from driftwatch.engine.slots import count_by_search
from driftwatch.sources import open_source, parquet
from driftwatch.sources.arrow import (
    ArrowChunk,
    arrow_category_counts,
    count_arrow_numeric,
    count_batch,
)
from driftwatch.sources.columns import category_counts, numeric_values
from driftwatch.sources.counting import FeatureBins, count_frame

RNG = np.random.default_rng(7)
VALUES = RNG.normal(size=3000)
WITH_NULLS = [None if i % 7 == 0 else float(v) for i, v in enumerate(VALUES)]
BINS = fit_numeric_bins(RNG.normal(size=5000), bins=10)
EDGES = np.asarray(BINS.edges)
WORDS = [["a", "b", "b", None, "c", "", "dd"][i % 7] for i in range(3000)]
CATEGORIES = fit_categorical_bins(np.array(["a", "b", "zz"], dtype=object))


def expected_numeric(values: list[float | None]) -> np.ndarray:
    x = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return count_by_search(x, EDGES)


@pytest.mark.parametrize(
    ("column", "values"),
    [
        pytest.param(pa.array(VALUES), VALUES.tolist(), id="float64-without-nulls"),
        pytest.param(pa.array(WITH_NULLS), WITH_NULLS, id="float64-with-nulls"),
        pytest.param(pa.array(WITH_NULLS).slice(5, 2000), WITH_NULLS[5:2005], id="sliced-nulls"),
        pytest.param(
            pa.chunked_array([pa.array(WITH_NULLS[:1000]), pa.array(VALUES[1000:])]),
            WITH_NULLS[:1000] + VALUES[1000:].tolist(),
            id="chunked-array",
        ),
        pytest.param(
            pa.array([1, None, 3, -2], pa.int64()), [1.0, None, 3.0, -2.0], id="int64-with-nulls"
        ),
        pytest.param(
            pa.array([float("nan"), None, 0.5]), [float("nan"), None, 0.5], id="nan-and-null"
        ),
        pytest.param(pa.array([], pa.float64()), [], id="empty"),
    ],
)
def test_numeric_counts_equal_searchsorted_and_bincount(
    column: pa.Array | pa.ChunkedArray, values: list[float | None]
) -> None:
    counted = count_arrow_numeric(BINS, column)
    assert counted is not None
    assert counted.tolist() == expected_numeric(values).tolist()


def test_float64_without_nulls_is_counted_on_the_arrow_buffer_itself() -> None:
    from driftwatch.sources.arrow import _float_view

    column = pa.array(VALUES)
    view = _float_view(column)
    assert np.shares_memory(view, np.frombuffer(column.buffers()[1], dtype=np.float64))
    assert not view.flags.writeable


def test_text_columns_are_left_to_the_pandas_path() -> None:
    assert count_arrow_numeric(BINS, pa.array(["1.5", "2"])) is None
    assert arrow_category_counts(pa.array([1, 2, 2])) is None


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(pa.array(WORDS), id="plain-strings"),
        pytest.param(pa.array(WORDS).dictionary_encode(), id="dictionary-strings"),
        pytest.param(pa.array(WORDS, pa.large_string()), id="large-strings"),
        pytest.param(
            pa.chunked_array([pa.array(WORDS[:1234]), pa.array(WORDS[1234:])]),
            id="chunked-strings",
        ),
        pytest.param(
            pa.chunked_array(
                [pa.array(WORDS[:10]).dictionary_encode(), pa.array(WORDS[10:]).dictionary_encode()]
            ),
            id="chunked-dictionaries",
        ),
    ],
)
def test_string_counts_equal_the_pandas_path(column: pa.Array | pa.ChunkedArray) -> None:
    got = arrow_category_counts(column)
    assert got == category_counts(pd.Series(WORDS, dtype=object))
    assert got is not None
    assert (
        CATEGORIES.count_labels(*got).tolist()
        == CATEGORIES.count(np.array(WORDS, dtype=object)).tolist()
    )


def test_a_batch_counts_like_its_pandas_frame() -> None:
    table = pa.table({"x": pa.array(WITH_NULLS), "c": pa.array(WORDS).dictionary_encode()})
    features = [FeatureBins("x", "numeric", BINS), FeatureBins("c", "categorical", CATEGORIES)]
    arrow = count_batch(table, features, "live")
    frame = count_frame(table.to_pandas(), features, "live")
    assert {k: v.counts.tolist() for k, v in arrow.items()} == {  # type: ignore[union-attr]
        k: v.counts.tolist()  # type: ignore[union-attr]
        for k, v in frame.items()
    }


def test_a_numeric_feature_holding_text_is_a_problem_with_the_pandas_message() -> None:
    table = pa.table({"x": pa.array(["1.5", "oops"])})
    counted = count_batch(table, [FeatureBins("x", "numeric", BINS)], "monitor 'm' live")
    assert "non-numeric values such as 'oops'" in counted["x"].reason  # type: ignore[union-attr]


@pytest.mark.parametrize("chunk_rows", [1000, 100_000], ids=["chunks-inside-a-row-group", "one"])
def test_a_default_row_group_file_is_read_in_chunks_of_chunk_rows(
    tmp_path: Path, chunk_rows: int
) -> None:
    path = tmp_path / "one-group.parquet"
    pq.write_table(pa.table({"x": pa.array(WITH_NULLS * 4), "c": pa.array(WORDS * 4)}), path)
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    sizes = [len(chunk) for chunk in source.read(["x"], chunk_rows=chunk_rows)]
    assert max(sizes) <= chunk_rows and sum(sizes) == 12_000
    counts = source.count(
        [FeatureBins("x", "numeric", BINS), FeatureBins("c", "categorical", CATEGORIES)],
        chunk_rows=chunk_rows,
    )
    assert counts.n_rows == 12_000
    assert counts.histograms["x"].counts.tolist() == (expected_numeric(WITH_NULLS) * 4).tolist()
    words = np.array(WORDS * 4, dtype=object)
    assert counts.histograms["c"].counts.tolist() == CATEGORIES.count(words).tolist()


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(pa.array(VALUES), id="float64"),
        pytest.param(pa.array(WITH_NULLS), id="float64-with-nulls"),
        pytest.param(pa.array(WITH_NULLS).slice(5, 2000), id="sliced-nulls"),
        pytest.param(
            pa.chunked_array([pa.array(WITH_NULLS[:1000]), pa.array(VALUES[1000:])]),
            id="chunked-array",
        ),
        pytest.param(pa.array([1, None, 3, 2**53 + 1], pa.int64()), id="int64-with-nulls"),
        pytest.param(pa.array([1.5, None, -2.25], pa.float32()), id="float32"),
        pytest.param(pa.array([True, None, False]), id="booleans"),
        pytest.param(pa.array(["1.5", None, " ", "inf"]), id="text-of-numbers"),
        pytest.param(pa.array([], pa.float64()), id="empty"),
    ],
)
def test_a_numeric_column_reads_as_the_pandas_path_reads_it(
    column: pa.Array | pa.ChunkedArray,
) -> None:
    table = pa.table({"x": column})
    expected = numeric_values(table.column("x").to_pandas(), column="x", where="w")
    chunk = ArrowChunk(table)
    np.testing.assert_array_equal(chunk.numeric("x", "w"), expected)


def test_a_chunk_counts_categories_as_the_pandas_path() -> None:
    table = pa.table({"c": pa.array(WORDS), "d": pa.array([1, 2, None] * 1000)})
    chunk = ArrowChunk(table)
    assert chunk.categories("c") == category_counts(table.column("c").to_pandas())
    assert chunk.categories("d") == category_counts(table.column("d").to_pandas())


def test_a_wide_count_read_in_passes_of_one_column_equals_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"x": pa.array(WITH_NULLS), "y": VALUES, "c": pa.array(WORDS)}), path)
    source = open_source(ParquetSourceConfig(type="parquet", path=path))
    features = [
        FeatureBins("x", "numeric", BINS),
        FeatureBins("y", "numeric", BINS),
        FeatureBins("c", "categorical", CATEGORIES),
    ]
    one_pass = source.count(features, chunk_rows=1000)
    monkeypatch.setattr(parquet, "COLUMNS_PER_PASS", 1)
    assert source.count(features, chunk_rows=1000) == one_pass
    assert one_pass.n_rows == len(VALUES)
