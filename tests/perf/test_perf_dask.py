"""Dask: histograms counted per partition (locally or on a cluster) equal the in-memory ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from perf_helpers import awkward_frame, compute, histograms, runner_for

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

ROWS = 4_000
# Dask's own Parquet reader still passes pandas' deprecated ``inplace=``; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:pandas.errors.Pandas4Warning")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker processes with one thread each; its scheduler address."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as local:
        yield str(local.scheduler_address)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same reference and live rows as Parquet files, as a folder of Parquet parts, as CSV."""
    folder = tmp_path_factory.mktemp("dask")
    frames = {"reference": awkward_frame(ROWS, 1), "live": awkward_frame(ROWS, 2, drift=True)}
    out: dict[str, Any] = {"frames": frames}
    for name, frame in frames.items():
        parts = folder / f"{name}-parts"
        parts.mkdir()
        for i, start in enumerate(range(0, ROWS, 1_500)):
            piece = pa.Table.from_pandas(frame.iloc[start : start + 1_500], preserve_index=False)
            pq.write_table(piece, parts / f"part-{i}.parquet")
        out[name] = {"type": "dask", "path": str(parts)}
        csv = folder / f"{name}.csv"
        frame.to_csv(csv, index=False)
        out[f"{name}-csv"] = {"type": "dask", "path": str(csv), "format": "csv"}
    return out


@pytest.fixture(scope="module")
def expected(data: dict[str, Any]) -> dict[str, Any]:
    frames = data["frames"]
    runner = runner_for(
        {"type": "dataframe", "name": "reference"},
        {"type": "dataframe", "name": "live"},
        frames=frames,
    )
    return histograms(compute(runner))


def test_dask_local_threads_give_the_in_memory_histograms(
    data: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert histograms(compute(runner_for(data["reference"], data["live"]))) == expected


def test_dask_csv_gives_the_in_memory_histograms(
    data: dict[str, Any], expected: dict[str, Any]
) -> None:
    outcome = compute(runner_for(data["reference-csv"], data["live-csv"]))
    assert histograms(outcome) == expected


@pytest.mark.slow
def test_dask_on_a_local_cluster_gives_the_in_memory_histograms(
    data: dict[str, Any], expected: dict[str, Any], cluster: str
) -> None:
    reference = {**data["reference"], "scheduler": cluster}
    live = {**data["live"], "scheduler": cluster}
    outcome = compute(runner_for(reference, live))
    assert histograms(outcome) == expected
    assert outcome.n_live == outcome.n_reference == ROWS


@pytest.mark.slow
def test_dask_cluster_filters_the_live_window_like_in_memory(
    data: dict[str, Any], cluster: str, tmp_path: Path
) -> None:
    frames = data["frames"]
    fields = {
        "timestamp_column": "ts",
        "start": "2024-01-01T10:00:00",
        "end": "2024-01-02T20:00:00",
    }
    in_memory = compute(
        runner_for(
            {"type": "dataframe", "name": "reference"},
            {"type": "dataframe", "name": "live", **fields},
            frames=frames,
        )
    )
    on_cluster = compute(
        runner_for(data["reference"], {**data["live"], "scheduler": cluster, **fields})
    )
    assert histograms(on_cluster) == histograms(in_memory)
    assert on_cluster.n_live == in_memory.n_live < ROWS


@pytest.mark.slow
def test_unreachable_scheduler_fails_the_run_with_one_line(data: dict[str, Any]) -> None:
    started = time.monotonic()
    live = {**data["live"], "scheduler": "tcp://127.0.0.1:9"}
    outcome = compute(runner_for(data["reference"], live))
    assert outcome.status == "failed"
    assert "dask parquet" in str(outcome.error) and "scheduler" in str(outcome.error)
    assert time.monotonic() - started < 30


def test_missing_path_fails_the_run_naming_it(tmp_path: Path, data: dict[str, Any]) -> None:
    live = {"type": "dask", "path": str(tmp_path / "nothing-here")}
    outcome = compute(runner_for(data["reference"], live))
    assert outcome.status == "failed"
    assert "nothing-here" in str(outcome.error)
