"""The command line: user errors are one line with exit code 2, drift alone never fails a run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.data import DATA_DIR


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def weather_config(tmp_path: Path, **live: Any) -> dict[str, Any]:
    source = {
        "type": "csv",
        "path": str(DATA_DIR / "seattle-weather.csv"),
        "timestamp_column": "date",
    }
    return {
        "database": f"sqlite:///{tmp_path / 'results.db'}",
        "defaults": {"thresholds": {"js": {"kind": "constant", "warn": 0.05, "critical": 0.1}}},
        "monitors": [
            {
                "name": "weather",
                "reference": {**source, "start": "2012-01-01", "end": "2013-01-01"},
                "live": {**source, "start": "2015-01-01", "end": "2016-01-01", **live},
                "features": {"numeric": ["temp_max", "wind"], "categorical": ["weather"]},
                "metrics": ["js"],
            }
        ],
    }


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("driftwatch: error:")]
    assert len(lines) >= 1, output
    assert "Traceback" not in output
    return lines[0]


def test_missing_config_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = invoke("run", "--config", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "not found; pass --config" in one_error_line(result.output)


def test_invalid_yaml_is_one_line_exit_2(write_config: Callable[..., Path]) -> None:
    path = write_config("monitors: [\n")
    result = invoke("run", "--config", str(path))
    assert result.exit_code == 2
    assert "not valid YAML at line" in one_error_line(result.output)


def test_unknown_monitor_lists_the_names(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(weather_config(tmp_path))
    result = invoke("run", "--config", str(path), "--monitor", "wether")
    assert result.exit_code == 2
    assert "no monitor named 'wether'" in one_error_line(result.output)
    assert "choose one of: weather" in result.output


def test_drift_alone_exits_zero(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    result = invoke("run", "--config", str(write_config(weather_config(tmp_path))))
    assert result.exit_code == 0, result.output
    assert "critical" in result.output


def test_run_table_shows_the_g_test_p_value_with_the_default_rule(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    del config["defaults"]
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["run", "--config", str(write_config(config))]
    )
    assert result.exit_code == 0, result.output
    assert "p (G-test)" in result.output
    assert "<1e-12" in result.output  # the weather label regime change


@pytest.mark.parametrize(("level", "code"), [("never", 0), ("warn", 1), ("critical", 1)])
def test_fail_on_turns_drift_into_exit_1(
    tmp_path: Path, write_config: Callable[..., Path], level: str, code: int
) -> None:
    path = write_config(weather_config(tmp_path))
    assert invoke("run", "--config", str(path), "--fail-on", level).exit_code == code


def test_missing_data_file_records_a_failed_run_and_nothing_else(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path, path=str(tmp_path / "gone.csv"))
    result = invoke("run", "--config", str(write_config(config)))
    assert result.exit_code == 2
    assert "gone.csv' not found" in one_error_line(result.output)
    with sqlite3.connect(tmp_path / "results.db") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        assert db.execute("SELECT COUNT(*) FROM feature_results").fetchone() == (0,)


def test_missing_column_is_reported_and_other_features_still_stored(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    config["monitors"][0]["features"]["numeric"].append("humidity")
    result = invoke("run", "--config", str(write_config(config)))
    assert result.exit_code == 2
    assert "column 'humidity' is absent from the reference data" in result.output
    with sqlite3.connect(tmp_path / "results.db") as db:
        rows = dict(db.execute("SELECT feature, status FROM feature_results").fetchall())
    assert rows["humidity"] == "error"
    assert rows["weather"] == "critical"


def test_unreachable_database_never_shows_its_password(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    config["database"] = "postgresql+psycopg://user:S3cretPassw0rd@127.0.0.1:1/results"
    result = invoke("run", "--config", str(write_config(config)))
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "cannot reach the results database" in line
    assert "S3cretPassw0rd" not in result.output


def test_database_in_missing_folder_says_which_folder(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    config["database"] = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    result = invoke("run", "--config", str(write_config(config)))
    assert result.exit_code == 2
    assert "does not exist; create it" in one_error_line(result.output)


def test_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--debug", "run", "--config", str(tmp_path / "x.yaml")])
    assert result.exit_code != 0
    assert result.exception is not None


def test_validate_prints_resolved_features(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    result = invoke("validate", "--config", str(write_config(weather_config(tmp_path))))
    assert result.exit_code == 0, result.output
    assert "temp_max" in result.output
    assert "quantile, 10 bins" in result.output


def test_validate_reports_absent_columns(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    config = weather_config(tmp_path)
    config["monitors"][0]["features"]["categorical"] = ["wether"]
    result = invoke("validate", "--config", str(write_config(config)))
    assert result.exit_code == 2
    assert "columns absent from the data: wether" in result.output


def test_no_store_writes_nothing(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    result = invoke("run", "--config", str(write_config(weather_config(tmp_path))), "--no-store")
    assert result.exit_code == 0
    assert not (tmp_path / "results.db").exists()
