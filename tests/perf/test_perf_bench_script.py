"""benchmarks/bench.py keeps running against the current code (tiny data, one repeat): the
numbers are not checked here, only that every measurement still runs and says what it measured."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow  # whole driftwatch runs in subprocesses

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("driftwatch_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "driftwatch_bench", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DATA", tmp_path)  # its generated files, not benchmarks/data
    return module


def test_engine_throughput_counts_the_same_as_the_naive_way(bench: ModuleType) -> None:
    measured = bench.engine_throughput(20_000, 1)
    for kind in ("quantile", "uniform", "categorical"):
        assert measured[f"{kind}_engine"] > 0 and measured[f"{kind}_naive"] > 0


@pytest.mark.parametrize("layout", ["default", "small"])
def test_whole_runs_measure_fresh_stored_and_the_floors(bench: ModuleType, layout: str) -> None:
    runs = bench.whole_runs(20_000, layout, 20, repeat=1)
    floors = {"read_both", "read_live", "stack_both", "stack_live", "interpreter"}
    assert set(runs) == {"fresh", "stored", *floors}
    assert all(run["seconds"] > 0 and run["peak_mib"] > 0 for run in runs.values())
