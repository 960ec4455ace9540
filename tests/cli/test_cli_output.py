"""What the CLI prints: tables that fit 80 columns and pipes, JSON every command can give."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from driftwatch.cli import cli, render
from tests.conftest import EXAMPLE_CONFIG, REPO_ROOT
from tests.helpers import run_cli

EXAMPLE_FEATURES = {
    "precipitation", "temp_max", "temp_min", "wind", "weather", "car_value",
    "debt_to_income_ratio", "loan_length", "driver_tenure", "y_pred_proba", "salary_range",
    "repaid_loan_on_prev_car", "size_of_downpayment",
}  # fmt: skip


@pytest.fixture
def example_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The example config's results go to a database of this test."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("DRIFTWATCH_DB", url)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("DRIFTWATCH_CONFIG", raising=False)
    return url


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def check_fits(text: str, width: int) -> list[str]:
    lines = text.splitlines()
    assert "…" not in text and "..." not in text
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    rows = {line.split()[0] for line in lines if line.strip() and not line.startswith(" ")}
    assert rows >= EXAMPLE_FEATURES  # every feature name whole, at the start of its own row
    return lines


def test_the_example_piped_fits_in_60_lines_of_80_columns(example_db: str) -> None:
    result = invoke("run", "--config", str(EXAMPLE_CONFIG))
    assert result.exit_code == 0, result.output
    lines = check_fits(result.stdout, 80)
    assert len(lines) <= 60


@pytest.mark.parametrize("width", [80, 100, 160], ids=["80", "100", "160"])
def test_the_example_fits_the_width_it_gets(example_db: str, width: int) -> None:
    result = invoke("run", "--config", str(EXAMPLE_CONFIG), env={"COLUMNS": str(width)})
    lines = check_fits(result.stdout, width)
    assert len(lines) <= 60


def test_numbers_keep_significant_digits_and_thresholds_are_not_rounded() -> None:
    assert render.threshold(0.0025) == "0.0025"
    assert render.number(3.2e-05) == "3.2e-05"
    assert render.number(0.0) == "0"
    assert render.number(0.478123) == "0.478"


def test_dataset_drift_banner_only_when_the_rule_is_enabled(
    example_db: str, tmp_path: Path
) -> None:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["monitors"] = [m for m in config["monitors"] if m["name"] == "seattle-weather"]
    for monitor in config["monitors"]:
        for role in ("reference", "live"):
            monitor[role]["path"] = str((EXAMPLE_CONFIG.parent / monitor[role]["path"]).resolve())
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump(config))
    config["monitors"][0]["dataset_drift"] = {"enabled": True, "share": 0.2}
    on = tmp_path / "on.yaml"
    on.write_text(yaml.safe_dump(config))
    assert "dataset drift" not in invoke("run", "--config", str(off), "--no-store").stdout
    assert "dataset drift" in invoke("run", "--config", str(on), "--no-store").stdout


def run_json(*args: str) -> Any:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_json_is_the_documented_run_document(example_db: str) -> None:
    document = run_json("run", "--config", str(EXAMPLE_CONFIG), "--format", "json")
    assert document["stored"] is True and document["errors"] == []
    weather = next(r for r in document["runs"] if r["monitor"] == "seattle-weather")
    assert weather["schema"] == "driftwatch.run/1"
    assert weather["status"] == "succeeded"
    assert weather["window"] == {
        "start": "2015-01-01T00:00:00+00:00",
        "end": "2016-01-01T00:00:00+00:00",
    }
    assert weather["rows"] == {"reference": 366, "live": 365}
    assert weather["dataset_drift"] is None  # the rule is not enabled in the example
    feature = next(f for f in weather["features"] if f["name"] == "weather")
    assert feature["status"] == "critical" and feature["p_value"] < 1e-12
    kl = next(m for m in feature["metrics"] if m["metric"] == "kl")
    assert kl["unit"] == "nats"
    assert kl["thresholds"] == {"kind": "significance", "warn": 0.0025, "critical": 0.12}
    assert set(kl) >= {"value", "status", "p_value", "reason"}


def test_run_ndjson_is_one_run_document_per_line(example_db: str) -> None:
    result = invoke("run", "--config", str(EXAMPLE_CONFIG), "--format", "ndjson", "--no-store")
    runs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["monitor"] for r in runs] == ["seattle-weather", "car-loan"]


def test_run_csv_is_the_tidy_result_frame(example_db: str) -> None:
    result = invoke("run", "--config", str(EXAMPLE_CONFIG), "--format", "csv", "--no-store")
    header, *rows = result.stdout.splitlines()
    assert {"monitor", "feature", "metric", "value", "status"} <= set(header.split(","))
    assert len(rows) == 13 * 3


@pytest.mark.parametrize(
    ("args", "check"),
    [
        pytest.param(["report"], lambda d: {r["feature"] for r in d["rows"]} == EXAMPLE_FEATURES,
                     id="report"),
        pytest.param(["status"], lambda d: [m["monitor"] for m in d["monitors"]]
                     == ["seattle-weather", "car-loan"], id="status"),
        pytest.param(["alerts"], lambda d: {"alerts", "notifications", "outbox", "silences"}
                     <= set(d) and d["alerts"][0]["state"] == "firing", id="alerts"),
        pytest.param(["history", "-m", "car-loan", "-f", "car_value", "--since", "2000-01-01"],
                     lambda d: d[0]["value"] > 0.01 and d[0]["status"] == "critical",
                     id="history"),
        pytest.param(["validate"], lambda d: d["valid"] and d["monitors"][0]["features"][0]
                     ["thresholds"]["kl"]["warn"] == 0.0025, id="validate"),
    ],
)  # fmt: skip
def test_every_listing_command_gives_json(example_db: str, args: list[str], check: Any) -> None:
    assert invoke("run", "--config", str(EXAMPLE_CONFIG), "--no-dispatch").exit_code == 0
    document = run_json(*args[:1], "--config", str(EXAMPLE_CONFIG), *args[1:], "--format", "json")
    assert check(document)


def test_report_at_80_columns_keeps_the_reason(example_db: str) -> None:
    invoke("run", "--config", str(EXAMPLE_CONFIG))
    text = invoke("report", "--config", str(EXAMPLE_CONFIG)).stdout
    assert "significant: p = " in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_status_keeps_the_schedule_at_80_columns(example_db: str) -> None:
    invoke("run", "--config", str(EXAMPLE_CONFIG))
    text = invoke("status", "--config", str(EXAMPLE_CONFIG)).stdout
    assert "cron '0 0 1 * *' (UTC)" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_backfill_accepts_a_duration_and_gives_json(example_db: str) -> None:
    document = run_json(
        "backfill", "--config", str(EXAMPLE_CONFIG), "-m", "car-loan", "--since", "90d",
        "--format", "json",
    )  # fmt: skip
    assert document["monitor"] == "car-loan" and document["windows"] in (2, 3, 4)


def test_readme_documents_the_run_document_fields() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Machine-readable output", 1)[1].split("\n## ", 1)[0]
    for name in ("schema", "window", "rows", "features", "metrics", "thresholds", "p_value"):
        assert re.search(rf"\b{name}\b", section), name


@pytest.mark.slow
def test_a_real_process_redirected_to_a_file_fits_60_lines(tmp_path: Path) -> None:
    """`driftwatch run --config config/example.yaml > out.txt`, no COLUMNS, from the repo root."""
    env = {"COLUMNS": None, "DRIFTWATCH_DB": f"sqlite:///{tmp_path / 'results.db'}"}
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        done = run_cli("run", "--config", "config/example.yaml", env=env, stdout=stdout)
    assert done.returncode == 0, done.stderr
    lines = check_fits(out.read_text(), 80)
    assert len(lines) <= 60
