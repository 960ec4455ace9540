"""Reference profiles are stored once per (reference fingerprint, binning config) and reused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from store_helpers import count_rows, month, weather_config

from driftwatch import load_config, run_monitor
from driftwatch.data import DATA_DIR
from driftwatch.store import Store, queries


@pytest.fixture
def reference_csv(tmp_path: Path) -> Path:
    """A private copy of the reference file, so a test may change it."""
    return Path(shutil.copy(DATA_DIR / "seattle-weather.csv", tmp_path / "reference.csv"))


def run_month(config: Path, database_url: str, number: int) -> None:
    run_monitor(load_config(config), "weather", window=month(2015, number), database=database_url)


def profile_of_each_run(store: Store) -> list[int]:
    """The profile each run points at, oldest window first."""
    frame = queries.runs(store).iloc[::-1]
    assert frame["status"].eq("succeeded").all(), frame["error"].tolist()
    return [int(p) for p in frame["profile_id"]]


def test_later_runs_reuse_the_stored_profile(
    store: Store, database_url: str, reference_csv: Path, tmp_path: Path
) -> None:
    config = weather_config(tmp_path / "c.yaml", reference_csv)
    for number in (1, 2, 3):
        run_month(config, database_url, number)

    profiles = profile_of_each_run(store)
    assert count_rows(store, "reference_profiles") == 1
    assert len(set(profiles)) == 1 and profiles[0] is not None


def test_a_changed_binning_config_makes_a_new_profile(
    store: Store, database_url: str, reference_csv: Path, tmp_path: Path
) -> None:
    run_month(weather_config(tmp_path / "c.yaml", reference_csv, bins=10), database_url, 1)
    run_month(weather_config(tmp_path / "c.yaml", reference_csv, bins=5), database_url, 2)
    run_month(weather_config(tmp_path / "c.yaml", reference_csv, bins=5), database_url, 3)

    first, second, third = profile_of_each_run(store)
    assert first != second == third
    assert count_rows(store, "reference_profiles") == 2


def test_a_changed_reference_file_makes_a_new_profile(
    store: Store, database_url: str, reference_csv: Path, tmp_path: Path
) -> None:
    config = weather_config(tmp_path / "c.yaml", reference_csv)
    run_month(config, database_url, 1)
    with reference_csv.open("a", encoding="utf-8") as extra:
        extra.write("2012-12-31,0.0,10.0,5.0,3.0,sun\n")
    stat = reference_csv.stat()
    os.utime(reference_csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    run_month(config, database_url, 2)

    first, second = profile_of_each_run(store)
    assert first != second
    assert count_rows(store, "reference_profiles") == 2


def test_a_profile_holds_the_fitted_bins_and_reference_counts(
    store: Store, database_url: str, reference_csv: Path, tmp_path: Path
) -> None:
    run_month(weather_config(tmp_path / "c.yaml", reference_csv), database_url, 1)
    run_id = int(queries.runs(store)["run_id"].iloc[0])
    with store.engine.connect() as connection:
        (n_rows,) = connection.exec_driver_sql("SELECT n_rows FROM reference_profiles").one()
    histograms = queries.histograms(store, run_id)

    assert n_rows == 366  # 2012 was a leap year
    per_feature = histograms.groupby("feature")["reference_count"].sum().to_dict()
    assert per_feature == {"temp_max": 366, "weather": 366, "wind": 366}
