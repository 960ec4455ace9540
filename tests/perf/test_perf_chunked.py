"""Reading in chunks changes nothing: every source type and chunk size gives the whole's counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from perf_helpers import (
    NUMERIC,
    SOURCE_KINDS,
    awkward_frame,
    compute,
    histograms,
    runner_for,
    write_source,
)

from driftwatch import reference as fitting
from driftwatch.engine import NumericBins, fit_numeric_bins

ROWS = 5_000


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {"reference": awkward_frame(ROWS, 1), "live": awkward_frame(ROWS, 2, drift=True)}


@pytest.fixture(scope="module")
def whole(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[object, object]]:
    """Histograms of the in-memory frames read in one chunk each."""
    runner = runner_for(
        {"type": "dataframe", "name": "reference"},
        {"type": "dataframe", "name": "live"},
        frames=frames,
        defaults={"chunk_rows": 1_000_000},
    )
    return histograms(compute(runner))


def _db_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if kind == "postgresql":
        return str(request.getfixturevalue("pg_database"))
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'data.db'}"
    return None


@pytest.mark.parametrize("chunk_rows", [1_000, 1_777, 250_000], ids=lambda n: f"chunk{n}")
@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_chunked_counts_equal_whole_counts(
    kind: str,
    chunk_rows: int,
    frames: dict[str, pd.DataFrame],
    whole: dict[str, tuple[object, object]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    url = _db_url(kind, request, tmp_path)
    reference = write_source(kind, frames["reference"], tmp_path, "reference", url)
    live = write_source(kind, frames["live"], tmp_path, "live", url)
    runner = runner_for(reference, live, frames=frames, defaults={"chunk_rows": chunk_rows})
    assert histograms(compute(runner)) == whole


@pytest.mark.parametrize("chunk_rows", [1_000, 1_777, 4_999], ids=lambda n: f"chunk{n}")
def test_sampled_reference_is_the_same_whatever_the_chunk_size(
    chunk_rows: int, frames: dict[str, pd.DataFrame]
) -> None:
    """Past reference_sample_rows, edges come from a sample drawn in row order, not chunk order."""

    def run(chunk: int) -> object:
        runner = runner_for(
            {"type": "dataframe", "name": "reference"},
            {"type": "dataframe", "name": "live"},
            frames=frames,
            defaults={"chunk_rows": chunk, "reference_sample_rows": 1_000},
        )
        return histograms(compute(runner))

    assert run(chunk_rows) == run(1_000_000)


def test_sampled_reference_counts_every_row(frames: dict[str, pd.DataFrame]) -> None:
    runner = runner_for(
        {"type": "dataframe", "name": "reference"},
        {"type": "dataframe", "name": "live"},
        frames=frames,
        defaults={"reference_sample_rows": 1_000},
    )
    for name, (reference, _) in histograms(compute(runner)).items():
        assert reference is not None
        assert reference.n == ROWS
        if isinstance(reference.bins, NumericBins):  # edges span the range: tails hold ±inf only
            values = frames["reference"][name].to_numpy()
            low, high = reference.bins.tail_indices
            assert reference.counts[low] == np.count_nonzero(values == -np.inf)
            assert reference.counts[high] == np.count_nonzero(values == np.inf)


def test_reference_within_sample_rows_has_exact_numpy_quantile_edges(
    frames: dict[str, pd.DataFrame],
) -> None:
    runner = runner_for(
        {"type": "dataframe", "name": "reference"},
        {"type": "dataframe", "name": "live"},
        frames=frames,
        defaults={"chunk_rows": 1_000, "reference_sample_rows": ROWS},
    )
    for name in ("x", "wide"):
        reference, _ = histograms(compute(runner))[name]
        values = frames["reference"][name].to_numpy()
        finite = values[np.isfinite(values)]
        assert reference is not None
        assert reference.bins == fit_numeric_bins(values, strategy="quantile", bins=10)
        assert list(reference.bins.edges) == list(
            np.unique(np.quantile(finite, np.arange(11) / 10))
        )


@pytest.mark.parametrize("sample_rows", [1_000, ROWS], ids=["sampled", "whole-reference"])
@pytest.mark.parametrize("kind", ["parquet-file", "parquet-dir"])
def test_a_columnar_reference_read_one_feature_per_pass_fits_the_same_profile(
    kind: str,
    sample_rows: int,
    frames: dict[str, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sample budget of one column per pass: every group draws the same row keys."""
    ref = write_source(kind, frames["reference"], tmp_path, "reference", None)
    live = write_source(kind, frames["live"], tmp_path, "live", None)
    defaults = {"chunk_rows": 1_777, "reference_sample_rows": sample_rows}
    one_pass = histograms(compute(runner_for(ref, live, defaults=defaults)))
    passes: list[list[str]] = []
    read = fitting._read

    def spy(source: Any, sampled: list[Any], *args: Any, **kwargs: Any) -> Any:
        passes.append([s.name for s in sampled])
        return read(source, sampled, *args, **kwargs)

    monkeypatch.setattr(fitting, "SAMPLE_BUDGET", 1)
    monkeypatch.setattr(fitting, "_read", spy)
    assert histograms(compute(runner_for(ref, live, defaults=defaults))) == one_pass
    assert passes == [[name] for name in NUMERIC]
