"""The quantile-edge strategy for large references: exact up to the sample size, bounded beyond."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from perf_helpers import compute, histograms, runner_for

from driftwatch.engine import sampling
from driftwatch.engine.sampling import RowSample, quantile_rank_error

ROWS = 200_000
SAMPLE = 10_000


@pytest.fixture(scope="module")
def skewed() -> np.ndarray:
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.lognormal(0, 1.5, ROWS // 2), rng.normal(-3, 0.2, ROWS // 2)])
    rng.shuffle(x)
    x[rng.random(ROWS) < 0.02] = np.nan
    return x


def test_a_sample_of_every_row_is_every_row_in_order() -> None:
    sample = RowSample(100, 1)
    values = np.arange(90, dtype=np.float64)
    sample.add([values[:40]])
    sample.add([values[40:]])
    assert sample.exhaustive
    assert sample.values(0).tolist() == values.tolist()


def test_sample_does_not_depend_on_chunking(skewed: np.ndarray) -> None:
    whole, pieces = RowSample(SAMPLE, 1), RowSample(SAMPLE, 1)
    whole.add([skewed])
    for start in range(0, ROWS, 7_777):
        pieces.add([skewed[start : start + 7_777]])
    assert not whole.exhaustive
    assert whole.values(0).size == SAMPLE
    np.testing.assert_array_equal(whole.values(0), pieces.values(0))


def test_sorted_values_sorts_the_sample_in_its_own_buffer(skewed: np.ndarray) -> None:
    sample = RowSample(SAMPLE, 2)
    sample.add([skewed, -skewed])
    expected = np.sort(sample.values(1))
    ordered = sample.sorted_values(1)
    np.testing.assert_array_equal(ordered, expected)  # NaN last, as numpy.sort leaves them
    assert np.shares_memory(ordered, sample.values(1))  # no second array the sample's size


@pytest.mark.parametrize(
    ("capacity", "extra"),
    [
        (SAMPLE, [-1e300, 1e300]),
        (SAMPLE, [-np.inf, np.inf]),
        (SAMPLE, []),
        (3, [-1e300, 1e300]),
    ],
    ids=["range-beyond-both-ends", "infinite", "none", "no-spare-rows"],
)
def test_extra_values_join_the_sorted_sample_where_a_sort_puts_them(
    skewed: np.ndarray, capacity: int, extra: list[float]
) -> None:
    sample = RowSample(capacity, 1)
    sample.add([skewed])
    expected = np.sort(np.concatenate([sample.values(0), extra]))
    np.testing.assert_array_equal(sample.sorted_values(0, extra), expected)


@pytest.mark.parametrize("capacity", [1, 7, SAMPLE], ids=["one", "seven", "ten-thousand"])
def test_compaction_keeps_the_smallest_keys_in_arrival_order(
    skewed: np.ndarray, capacity: int
) -> None:
    """The sample is the rows of the ``capacity`` smallest keys, in row order (keys redrawn)."""
    sample = RowSample(capacity, 2)
    for start in range(0, ROWS, 9_999):
        part = skewed[start : start + 9_999]
        sample.add([part, -part])
    keys = np.random.default_rng(sampling.SEED).random(ROWS)
    chosen = np.sort(np.argsort(keys, kind="stable")[:capacity])
    np.testing.assert_array_equal(sample.values(0), skewed[chosen])
    np.testing.assert_array_equal(sample.values(1), -skewed[chosen])


@pytest.mark.parametrize(
    "expected_rows", [None, 1, 5_000, ROWS], ids=["unknown", "one", "too-few", "all"]
)
def test_the_buffer_size_hint_changes_no_sampled_row(
    skewed: np.ndarray, expected_rows: int | None
) -> None:
    """The buffer grows from its hint (or 64Ki rows) as rows arrive: the sample is the same."""
    plain, hinted = RowSample(SAMPLE, 2), RowSample(SAMPLE, 2, expected_rows=expected_rows)
    for start in range(0, ROWS, 3_333):
        part = skewed[start : start + 3_333]
        plain.add([part, -part])
        hinted.add([part, -part])
    for column in (0, 1):
        np.testing.assert_array_equal(plain.values(column), hinted.values(column))


@pytest.mark.parametrize(
    ("first_columns", "columns"),
    [(3, 3), (3, 1), (1, 3)],
    ids=["same-width", "narrower-reuses-memory", "wider-takes-new-memory"],
)
def test_a_sample_in_a_finished_samples_buffer_holds_the_same_rows(
    skewed: np.ndarray, first_columns: int, columns: int
) -> None:
    """A later pass's sample (``reuse``) is the one a new buffer would hold, in the same pages
    when they are large enough."""
    finished = RowSample(SAMPLE, first_columns, expected_rows=ROWS)
    finished.add([skewed] * first_columns)
    finished.sorted_values(0)  # the fit's last read scrambles the buffer
    pages = finished.values(0).base
    parts = [skewed * (j + 1) for j in range(columns)]
    fresh = RowSample(SAMPLE, columns, expected_rows=ROWS)
    reused = RowSample(SAMPLE, columns, expected_rows=ROWS, reuse=finished)
    fresh.add(parts)
    reused.add(parts)
    for j in range(columns):
        np.testing.assert_array_equal(reused.values(j), fresh.values(j))
    assert np.shares_memory(reused.values(0), pages) == (columns <= first_columns)


def test_monitor_edges_on_a_sampled_reference_are_within_the_stated_rank_bound(
    skewed: np.ndarray,
) -> None:
    frames = {"reference": pd.DataFrame({"x": skewed}), "live": pd.DataFrame({"x": skewed[:500]})}
    runner = runner_for(
        {"type": "dataframe", "name": "reference"},
        {"type": "dataframe", "name": "live"},
        frames=frames,
        defaults={"reference_sample_rows": SAMPLE, "chunk_rows": 50_000},
        features={"numeric": ["x"]},
    )
    reference, _ = histograms(compute(runner))["x"]
    assert reference is not None
    finite = np.sort(skewed[np.isfinite(skewed)])
    edges = np.asarray(reference.bins.edges)
    # the outer edges are the exact range; the reference histogram counts every row
    assert edges[0] == finite[0] and edges[-1] == finite[-1]
    assert reference.n == ROWS
    finite_in_sample = int(SAMPLE * finite.size / ROWS * 0.98)  # a safe lower bound on s
    bound = quantile_rank_error(finite_in_sample)
    ranks = np.searchsorted(finite, edges, side="left") / finite.size
    targets = np.arange(edges.size) / (edges.size - 1)
    worst = float(np.max(np.abs(ranks - targets)))
    assert worst <= bound
    assert worst > 0  # sampled, so (almost surely) not exact: the test is about the bound


def test_stated_bound_for_a_million_rows_is_a_quarter_percent() -> None:
    assert quantile_rank_error(1_000_000) == pytest.approx(0.0027, abs=0.0001)
