"""The README's run command, end to end, on the bundled real data."""

from __future__ import annotations

import math
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import scipy.spatial.distance
import scipy.stats

from driftwatch.config import load_config
from driftwatch.data import DATA_DIR
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def example_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`driftwatch run --config config/example.yaml` from a copy of the repository root."""
    root = Path(__file__).resolve().parents[1]
    workdir = tmp_path_factory.mktemp("example")
    shutil.copytree(root / "config", workdir / "config")
    shutil.copytree(DATA_DIR, workdir / "driftwatch" / "data")
    result = run_cli("run", "--config", "config/example.yaml", cwd=workdir)
    return result, workdir / "config" / "driftwatch.db"


def _js_by_feature(db: Path, monitor: str) -> dict[str, float]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT feature, value FROM feature_results WHERE monitor = ? AND metric = 'js'",
            (monitor,),
        ).fetchall()
    return {feature: value for feature, value in rows}


@pytest.mark.slow
def test_example_run_exits_zero_and_prints_a_table_per_monitor(
    example_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = example_run
    assert result.returncode == 0, result.stderr
    assert "monitor seattle-weather" in result.stdout
    assert "monitor car-loan" in result.stdout
    assert result.stderr == ""


@pytest.mark.slow
def test_example_run_creates_the_sqlite_database_by_migration(
    example_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, db = example_run
    with sqlite3.connect(db) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        statuses = connection.execute(
            "SELECT monitor, status FROM runs ORDER BY monitor"
        ).fetchall()
    assert revision
    assert statuses == [("car-loan", "succeeded"), ("seattle-weather", "succeeded")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("monitor", "drifted", "stable"),
    [
        pytest.param("seattle-weather", ["weather", "temp_max"], ["wind"], id="seattle"),
        pytest.param(
            "car-loan",
            ["car_value"],
            ["debt_to_income_ratio", "driver_tenure"],
            id="car-loan",
        ),
    ],
)
def test_known_drifted_features_rank_above_known_stable_ones(
    example_run: tuple[subprocess.CompletedProcess[str], Path],
    monitor: str,
    drifted: list[str],
    stable: list[str],
) -> None:
    _, db = example_run
    js = _js_by_feature(db, monitor)
    assert min(js[f] for f in drifted) > max(js[f] for f in stable)


@pytest.mark.slow
def test_stored_histograms_recompute_every_stored_value(
    example_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    import json

    _, db = example_run
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            """
            SELECT f.metric, f.value, f.smoothing, h.reference_counts, h.live_counts
            FROM feature_results f
            JOIN histograms h ON h.run_id = f.run_id AND h.feature = f.feature
            WHERE f.value IS NOT NULL
            """
        ).fetchall()
    assert rows
    checked = 0
    for metric, value, smoothing, ref_json, live_json in rows:
        ref, live = json.loads(ref_json), json.loads(live_json)
        if metric == "js":
            expected = scipy.spatial.distance.jensenshannon(live, ref, base=2) ** 2
        elif metric == "kl":
            keep = [i for i in range(len(ref)) if ref[i] + live[i] > 0]
            k, a = len(keep), smoothing
            p = [(live[i] + a) / (sum(live) + a * k) for i in keep]
            q = [(ref[i] + a) / (sum(ref) + a * k) for i in keep]
            expected = scipy.stats.entropy(p, q)
        else:
            continue
        assert math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12), metric
        checked += 1
    assert checked >= 16


def test_example_config_sources_point_at_bundled_data(repo_root: Path) -> None:
    config = load_config(repo_root / "config" / "example.yaml")
    for monitor in config.monitors:
        for source in (monitor.reference, monitor.live):
            assert Path(source.path).resolve().is_file()  # type: ignore[union-attr]
