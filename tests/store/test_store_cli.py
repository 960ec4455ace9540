"""`driftwatch report` and `driftwatch history` on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from store_helpers import (
    EXPECTED_CREDIT_AGE_JS,
    EXPECTED_LATEST,
    driftwatch,
    invoke,
    weather_config,
)

from driftwatch.data import DATA_DIR
from driftwatch.store import Store, queries


def ok(*args: str, cwd: Path) -> str:
    """Run a command in-process; it must succeed quietly."""
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def table_rows(stdout: str) -> list[list[str]]:
    """The body rows of a table, split on its column gaps (not the notes under rows, indented,
    nor the footer naming the columns left out)."""
    lines = stdout.splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("─"))) + 1 :]
    return [line.split() for line in body if line.strip() and line[0] not in " ("]


@pytest.mark.slow
def test_report_prints_the_latest_state_most_severe_first(
    example_store: Store, database_url: str, tmp_path: Path
) -> None:
    result = driftwatch("report", "--database", database_url, cwd=tmp_path)  # a real process
    assert result.returncode == 0 and result.stderr == "", result.stderr

    rows = [row[:4] for row in table_rows(result.stdout)]
    expected = [[m, f, metric, status] for m, f, metric, _, status in EXPECTED_LATEST]
    assert sorted(rows) == sorted(expected)
    assert [row[3] for row in rows] == ["critical", "critical", "warn", "warn", "no_data", "ok"]
    assert "too few rows" in result.stdout  # the reason of the no_data row


def test_report_for_one_monitor(example_store: Store, database_url: str, tmp_path: Path) -> None:
    stdout = ok("report", "--database", database_url, "--monitor", "credit", cwd=tmp_path)
    rows = table_rows(stdout)
    assert {row[0] for row in rows} == {"credit"}
    assert rows[0][:6] == ["credit", "age", "js", "critical", "0.12", "bits"]


def test_report_reads_the_database_named_by_the_config(
    example_store: Store, database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "driftwatch.yaml"
    config.write_text(
        f"database: {database_url}\n"
        "monitors:\n"
        "  - name: credit\n"
        "    reference: {type: csv, path: ref.csv}\n"
        "    live: {type: csv, path: live.csv}\n"
        "    features: {numeric: [age]}\n",
        encoding="utf-8",
    )
    stdout = ok("report", "--config", str(config), "--monitor", "legacy", cwd=tmp_path)
    assert table_rows(stdout)[0][:5] == ["legacy", "age", "js", "ok", "0.03"]


def test_report_on_a_migrated_database_without_runs_says_how_to_fill_it(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    stdout = ok("report", "--database", database_url, cwd=tmp_path)
    assert "no finished runs of any monitor" in stdout
    assert "driftwatch run" in stdout


def test_history_as_csv(example_store: Store, database_url: str, tmp_path: Path) -> None:
    stdout = ok(
        "history", "--database", database_url, "-m", "credit", "-f", "age",
        "--since", "2024-01-01", "--format", "csv", cwd=tmp_path,
    )  # fmt: skip
    frame = pd.read_csv(io.StringIO(stdout))
    points = list(zip(pd.to_datetime(frame["window_end"]), frame["value"], strict=True))
    assert points == EXPECTED_CREDIT_AGE_JS
    assert frame["status"].tolist() == ["ok", "ok", "critical"]


def test_history_as_json_for_another_metric(
    example_store: Store, database_url: str, tmp_path: Path
) -> None:
    stdout = ok(
        "history", "--database", database_url, "-m", "credit", "-f", "cat_state",
        "--metric", "kl", "--since", "2024-03-01T01:00:00+00:00", "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    records = json.loads(stdout)
    assert [(r["window_end"], r["value"], r["unit"]) for r in records] == [
        ("2024-03-01T01:00:00+00:00", 0.05, "nats"),
        ("2024-03-01T02:00:00+00:00", 0.2, "nats"),
        ("2024-03-01T03:00:00+00:00", 0.11, "nats"),
    ]
    assert records[0]["p_value"] is None


def test_history_as_a_table(example_store: Store, database_url: str, tmp_path: Path) -> None:
    stdout = ok(
        "history", "--database", database_url, "-m", "credit", "-f", "age",
        "--since", "2024-03-01", cwd=tmp_path,
    )  # fmt: skip
    assert "js (bits) of credit / age" in stdout
    assert [row[4:6] for row in table_rows(stdout)] == [
        ["0.01", "ok"], ["0.04", "ok"], ["0.12", "critical"],
    ]  # fmt: skip


def test_history_defaults_to_the_last_30_days(
    example_store: Store, database_url: str, tmp_path: Path
) -> None:
    stdout = ok("history", "--database", database_url, "-m", "credit", "-f", "age", cwd=tmp_path)
    assert "no js results for feature 'age' of monitor 'credit' since 30d" in stdout


@pytest.mark.parametrize("since", ["yesterday", "30x"])
def test_history_rejects_a_bad_since(database_url: str, tmp_path: Path, since: str) -> None:
    result = invoke("history", "--database", database_url, "-m", "m", "-f", "f", "--since", since)
    assert result.returncode == 2
    assert "--since" in result.stderr and "neither a duration" in result.stderr


def test_run_then_report_and_history_on_a_brand_new_database(
    database_url: str, tmp_path: Path
) -> None:
    config = str(weather_config(tmp_path / "c.yaml", DATA_DIR / "seattle-weather.csv"))
    for start, end in (("2015-01-01", "2015-02-01"), ("2015-07-01", "2015-08-01")):
        result = invoke("run", "-c", config, "--database", database_url,
                        "--window-start", start, "--window-end", end)  # fmt: skip
        assert result.returncode == 0, result.stderr

    assert "up to date" in ok("db", "current", "--database", database_url, cwd=tmp_path)
    report = table_rows(ok("report", "-c", config, "--database", database_url, cwd=tmp_path))
    assert {(row[0], row[1]) for row in report} == {
        ("weather", f) for f in ("temp_max", "wind", "weather")
    }
    window_ends = {" ".join(row[-2:]) for row in report}  # the latest run: July
    assert window_ends == {"2015-08-01 00:00"}
    series = ok("history", "-c", config, "--database", database_url, "-m", "weather",
                "-f", "temp_max", "--since", "2015-01-01", "--format", "csv",
                cwd=tmp_path)  # fmt: skip
    assert pd.read_csv(io.StringIO(series))["window_end"].tolist() == [
        "2015-02-01T00:00:00+00:00",
        "2015-08-01T00:00:00+00:00",
    ]


def test_a_run_whose_data_is_missing_stores_a_failed_run_with_its_error(
    database_url: str, tmp_path: Path
) -> None:
    config = weather_config(tmp_path / "c.yaml", tmp_path / "no-such-reference.csv")
    result = invoke("run", "-c", str(config), "--database", database_url,
                    "--window-start", "2015-01-01", "--window-end", "2015-02-01")  # fmt: skip

    assert result.returncode == 2
    assert "no-such-reference.csv" in result.stderr
    failed = queries.runs(database_url)
    assert failed[["monitor", "status"]].values.tolist() == [["weather", "failed"]]
    assert "no-such-reference.csv" in failed["error"].iloc[0]
    assert queries.latest(database_url).empty
