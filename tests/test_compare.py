"""driftwatch.compare: two DataFrames in, a drift report out, nothing written unless saved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

import driftwatch
from driftwatch import api
from driftwatch.comparison import SETTINGS, DriftReport, compare, infer_kinds
from driftwatch.config import Defaults, MonitorConfig
from driftwatch.data import DATA_DIR
from driftwatch.errors import ColumnError, ConfigError


@pytest.fixture(scope="module")
def weather() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.read_csv(DATA_DIR / "seattle-weather.csv")
    return (
        frame[frame["date"].str.startswith("2012")].reset_index(drop=True),
        frame[frame["date"].str.startswith("2015")].reset_index(drop=True),
    )


@pytest.fixture(scope="module")
def car_loan() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_csv(DATA_DIR / "nannyml_synthetic_car_loan_reference_every10th.csv"),
        pd.read_csv(DATA_DIR / "nannyml_synthetic_car_loan_analysis_every10th.csv"),
    )


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_compare_is_exported_from_the_package_and_the_api() -> None:
    assert driftwatch.compare is compare is api.compare
    assert driftwatch.DriftReport is DriftReport is api.DriftReport


def test_weather_2015_against_2012_flags_weather_and_temp_max(
    weather: tuple[pd.DataFrame, pd.DataFrame], empty_cwd: Path
) -> None:
    report = compare(*weather)
    assert report.drifted[:2] == ("weather", "temp_max")
    assert report.status["weather"] == "critical"
    assert os.listdir(empty_cwd) == []


def test_car_loan_analysis_flags_car_value_and_not_the_stable_features(
    car_loan: tuple[pd.DataFrame, pd.DataFrame], empty_cwd: Path
) -> None:
    report = compare(*car_loan)
    assert report.drifted[0] == "car_value"
    assert {"debt_to_income_ratio", "driver_tenure"}.isdisjoint(report.drifted)
    assert os.listdir(empty_cwd) == []


def test_a_pyarrow_table_gives_the_same_report_as_its_dataframe(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ref, live = weather
    from_arrow = compare(pa.Table.from_pandas(ref), pa.Table.from_pandas(live))
    from_pandas = compare(ref, live)
    assert from_arrow.drifted == from_pandas.drifted
    columns = ["feature", "metric", "value", "status"]
    pd.testing.assert_frame_equal(from_arrow.to_frame()[columns], from_pandas.to_frame()[columns])


def test_an_id_like_column_is_reported_as_skipped_not_binned(
    car_loan: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    report = compare(*car_loan)
    assert "id" not in report.features
    assert "ID-like" in report.skipped["id"]
    assert "id" not in set(report.to_frame()["feature"])


def test_a_column_missing_from_the_live_data_is_reported_as_skipped(
    car_loan: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    assert compare(*car_loan).skipped["repaid"] == "absent from the live data"


N = 50
_rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        pytest.param(pd.Series(_rng.normal(size=N)), "numeric", id="float"),
        pytest.param(pd.Series(_rng.integers(0, 5, N)), "numeric", id="discrete-int"),
        pytest.param(pd.Series(_rng.integers(0, 2, N).astype(bool)), "categorical", id="bool"),
        pytest.param(pd.Series(_rng.choice(["a", "b"], N)), "categorical", id="object"),
        pytest.param(
            pd.Series(_rng.choice(["a", "b"], N)).astype("category"), "categorical", id="category"
        ),
        pytest.param(
            pd.Series(_rng.choice(["a", "b"], N)).astype("string"), "categorical", id="string"
        ),
        pytest.param(pd.Series(np.arange(N)), "skipped", id="unique-int-is-id"),
        pytest.param(
            pd.Series([f"user-{i}" for i in range(N)]), "categorical", id="unique-text-too-few-rows"
        ),
        pytest.param(
            pd.Series([f"user-{i}" for i in range(200)]), "skipped", id="unique-text-200-is-id"
        ),
        pytest.param(
            pd.Series(_rng.choice(10_000, N, replace=False)), "numeric", id="unique-sparse-int"
        ),
        pytest.param(pd.Series(_rng.permutation(N) + 0.5), "numeric", id="unique-float-is-not-id"),
        pytest.param(
            pd.Series(pd.date_range("2024-01-01", periods=N, freq="h")), "skipped", id="datetime"
        ),
        pytest.param(
            pd.Series(pd.date_range("2024-01-01", periods=N, freq="h", tz="Asia/Tokyo")),
            "skipped",
            id="tz-aware",
        ),
        pytest.param(pd.Series(["2024-01-02", "2024-01-03"] * 25), "skipped", id="iso-date-text"),
        pytest.param(pd.Series(pd.to_timedelta(np.arange(N), unit="s")), "skipped", id="timedelta"),
    ],
)
def test_kind_inference(column: pd.Series, expected: str) -> None:
    kinds, skipped = infer_kinds(pd.DataFrame({"x": column}))
    assert (kinds.get("x") or ("skipped" if "x" in skipped else None)) == expected


@pytest.mark.parametrize(
    ("offset", "status"),
    [pytest.param("0h", "ok", id="same-times"), pytest.param("30D", "critical", id="a-month-on")],
)
def test_a_datetime_column_named_is_compared_on_the_time_axis(offset: str, status: str) -> None:
    times = pd.Series(pd.date_range("2024-01-01", periods=N, freq="h"))
    reference = pd.DataFrame({"ts": times, "x": _rng.normal(size=N)})
    live = pd.DataFrame({"ts": times + pd.Timedelta(offset), "x": _rng.normal(size=N)})
    assert set(compare(reference, live).features) == {"x"}  # a timestamp is compared if named
    report = compare(reference, live, datetime=["ts"], numeric=["x"])
    assert set(report.features) == {"ts", "x"}
    assert report.skipped == {}
    assert report.status["ts"] == status


def test_listed_columns_are_the_only_ones_compared(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    report = compare(*weather, numeric=["wind"], categorical=["weather"])
    assert set(report.features) == {"wind", "weather"}
    assert report.skipped == {}


def test_a_listed_column_missing_from_the_live_data_is_a_column_error(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ref, live = weather
    with pytest.raises(ColumnError, match=r"'wind' is not in the live data"):
        compare(ref, live.drop(columns="wind"), numeric=["wind"])


def test_settings_are_the_monitor_keys_validated_like_a_config(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    report = compare(*weather, metrics=["psi"], binning={"bins": 5})
    assert set(report.to_frame()["metric"]) == {"psi"}
    assert len(report.histograms["wind"][0].bins.edges) == 6


def test_an_unknown_setting_is_one_line_naming_it_with_a_suggestion(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    with pytest.raises(
        ConfigError, match=r"^compare\(\): unknown setting 'metric'; did you mean 'metrics'\?$"
    ):
        compare(*weather, metric=["js"])


def test_an_invalid_setting_value_names_the_key(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    with pytest.raises(ConfigError, match=r"unknown metric 'jsd'"):
        compare(*weather, metrics=["jsd"])


def test_every_setting_exists_on_the_config_models() -> None:
    fields = {*MonitorConfig.model_fields, *Defaults.model_fields}
    assert set(SETTINGS) <= fields


def test_histograms_pair_the_reference_and_live_counts_on_the_same_bins(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, live = compare(*weather).histograms["temp_max"]
    assert reference.bins == live.bins
    assert (reference.n, live.n) == (366, 365)


def test_summary_and_repr_are_a_few_readable_lines(
    weather: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    report = compare(*weather)
    summary = report.summary().splitlines()
    assert summary[0] == (
        "driftwatch compare: 366 reference rows, 365 live rows; 2 of 5 features drifted"
    )
    assert summary[1].split()[:2] == ["critical", "weather"]
    assert any(line.split()[:2] == ["skipped", "date:"] for line in summary)
    shown = repr(report)
    assert shown.startswith("<DriftReport 2/5 features drifted: weather (critical)")
    assert len(shown.splitlines()) <= 4
    assert "RunOutcome" not in shown


def test_save_stores_the_report_as_a_run_and_returns_its_id(
    weather: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'results.db'}"
    report = compare(*weather)
    run_id = report.save(url, monitor="weather-check")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            monitor = conn.execute(
                sa.text("SELECT monitor FROM runs WHERE id = :id"), {"id": run_id}
            ).scalar_one()
            rows = conn.execute(
                sa.text("SELECT COUNT(*) FROM feature_results WHERE run_id = :id"), {"id": run_id}
            ).scalar_one()
    finally:
        engine.dispose()
    assert monitor == "weather-check"
    assert rows == len(report.to_frame())


def test_the_readme_compare_example_runs_as_printed(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## From Python: two DataFrames", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copytree(DATA_DIR, tmp_path / "driftwatch" / "data")
    namespace: dict[str, object] = {}
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    report = namespace["report"]
    assert isinstance(report, DriftReport)
    assert report.drifted == ("weather", "temp_max")
    assert sorted(os.listdir(tmp_path)) == ["compare.db", "driftwatch"]  # only what save wrote
