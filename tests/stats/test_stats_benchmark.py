"""benchmarks/stat_power.py keeps running against the current code (tiny repetition counts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def stat_power() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "stat_power.py"
    spec = importlib.util.spec_from_file_location("stat_power", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stat_power"] = module
    spec.loader.exec_module(module)
    return module


def test_unconditional_table_has_a_row_per_rule_and_scenario(stat_power: ModuleType) -> None:
    table = stat_power.unconditional(reps=2, seed=1)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "%" in line]
    assert len(rows) == len(stat_power.RULES) * len(stat_power.SCENARIOS)
    assert all(line.count(" % [") == len(stat_power.SIZES) for line in rows)


def test_conditional_table_runs(stat_power: ModuleType) -> None:
    table = stat_power.conditional(references=2, windows=2, seed=1)
    assert table.count("/2 references") == 3 * 3 * 3  # reference sizes × rules × live sizes


@pytest.mark.parametrize(
    ("hits", "n", "low", "high"),
    [
        pytest.param(0, 1000, 0.0, 0.0039, id="none"),
        pytest.param(10, 1000, 0.0054, 0.0183, id="one-percent"),
        pytest.param(1000, 1000, 0.9961, 1.0, id="all"),
    ],
)
def test_wilson_interval(
    stat_power: ModuleType, hits: int, n: int, low: float, high: float
) -> None:
    lo, hi = stat_power.wilson(hits, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_monitor_chunk_counts_windows_per_correction(stat_power: ModuleType) -> None:
    counts = stat_power._monitor_chunk((8, 1_000, 2, 1, 0, None))
    assert set(counts) == {"none", "bh", "holm"}
    assert all(c[1] == 2 and c[3] == 0 for c in counts.values())
    drift = next(iter(stat_power.MONITOR_DRIFTS))
    drifted = stat_power._monitor_chunk((4, 1_000, 2, 1, 0, drift))
    assert all(c[3] == 2 for c in drifted.values())


def test_holm_matches_its_step_down_definition(stat_power: ModuleType) -> None:
    import numpy as np

    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(stat_power.holm(p), [0.03, 0.06, 0.06, 0.02])
