"""The default rule on the bundled real data: known drifted features flagged, stable ones not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from driftwatch import load_config, run_monitor


@pytest.fixture(scope="module")
def example_results() -> pd.DataFrame:
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "example.yaml")
    return run_monitor(config, store=False)


def _status(results: pd.DataFrame, monitor: str, feature: str) -> str:
    rows = results[(results.monitor == monitor) & (results.feature == feature)]
    order = {"critical": 2, "warn": 1}
    return max(rows.status, key=lambda s: order.get(s, 0))


@pytest.mark.parametrize(
    ("monitor", "feature"),
    [
        pytest.param("car-loan", "car_value", id="car_value"),
        pytest.param("car-loan", "loan_length", id="loan_length"),
        pytest.param("car-loan", "salary_range", id="salary_range"),
        pytest.param("seattle-weather", "weather", id="weather"),
        pytest.param("seattle-weather", "temp_max", id="temp_max"),
    ],
)
def test_known_drifted_feature_is_flagged(
    example_results: pd.DataFrame, monitor: str, feature: str
) -> None:
    assert _status(example_results, monitor, feature) in ("warn", "critical")


@pytest.mark.parametrize(
    ("monitor", "feature"),
    [
        pytest.param("car-loan", "debt_to_income_ratio", id="debt_to_income_ratio"),
        pytest.param("car-loan", "driver_tenure", id="driver_tenure"),
        pytest.param("car-loan", "size_of_downpayment", id="size_of_downpayment"),
        pytest.param("seattle-weather", "wind", id="wind"),
    ],
)
def test_known_stable_feature_is_not_flagged(
    example_results: pd.DataFrame, monitor: str, feature: str
) -> None:
    assert _status(example_results, monitor, feature) == "ok"


def test_example_uses_the_significance_rule(example_results: pd.DataFrame) -> None:
    car_loan = example_results[example_results.monitor == "car-loan"]
    assert set(car_loan.threshold_kind) == {"significance"}
    assert car_loan.p_value.notna().all()
