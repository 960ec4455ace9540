"""The command line: user errors are one line with exit code 2, drift alone never fails a run."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.data import DATA_DIR
from driftwatch.store import database as schema
from tests.helpers import run_cli


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
    assert "p (drift test)" in result.output and "js fires at" in result.output
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


@pytest.mark.parametrize(
    ("numeric", "expected"),
    [
        pytest.param(
            ["temp_max", "weather"],
            "monitor 'weather', feature 'weather': reference: column 'weather' is declared numeric",
            id="one-feature",
        ),
        pytest.param(
            ["weather"],
            "monitor 'weather': every feature failed; 'weather': reference: column 'weather' is",
            id="every-feature",
        ),
    ],
)
def test_an_error_line_names_its_monitor_once(
    tmp_path: Path, write_config: Callable[..., Path], numeric: list[str], expected: str
) -> None:
    config = weather_config(tmp_path)
    config["monitors"][0]["features"] = {"numeric": numeric}
    result = invoke("run", "--config", str(write_config(config)), "--no-store")
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert line.startswith(f"driftwatch: error: {expected}"), line
    assert line.count("monitor 'weather'") == 1, line


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


def _a_bug(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize(
    ("bug", "code", "line"),
    [
        pytest.param(False, 2, "driftwatch: error: config file", id="user-error"),
        pytest.param(True, 3, "driftwatch: internal error: RuntimeError: boom", id="bug"),
    ],
)
def test_debug_adds_the_traceback_and_keeps_the_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool, bug: bool, code: int, line: str
) -> None:
    if bug:
        monkeypatch.setattr("driftwatch.cli.validate.validate_config", _a_bug)
    args = ["validate", "--config", str(tmp_path / "x.yaml")]
    result = CliRunner().invoke(cli, ["--debug", *args] if debug else args)
    assert result.exit_code == code, result.output
    assert ("Traceback (most recent call last)" in result.output) is debug
    assert result.output.rstrip("\n").splitlines()[-1].startswith(line)


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


# --- read-only commands never create or migrate a database ---------------------------------------


def read_only_commands(config: Path, url: str) -> list[list[str]]:
    """Every command that only reads the results database, pointed at ``url``."""
    common = ["--database", url]
    return [
        ["status", "--config", str(config), *common],
        ["report", *common],
        ["history", *common, "-m", "weather", "-f", "wind"],
        ["alerts", "--config", str(config), *common],
        ["alerts", "list", "--config", str(config), *common],
    ]


READ_ONLY_IDS = ["status", "report", "history", "alerts", "alerts-list"]


def refused(args: list[str]) -> str:
    """Run a command that must fail with one error line and exit 2; that line."""
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("driftwatch:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


@pytest.mark.parametrize("command", range(len(READ_ONLY_IDS)), ids=READ_ONLY_IDS)
def test_a_mistyped_sqlite_path_is_one_line_and_no_file(
    tmp_path: Path, write_config: Callable[..., Path], command: int
) -> None:
    typo = tmp_path / "typo.db"
    config = write_config(weather_config(tmp_path))
    line = refused(read_only_commands(config, f"sqlite:///{typo}")[command])
    assert line == (
        f"driftwatch: error: no results database at {str(typo)!r}; "
        "run `driftwatch run` first or fix --database"
    )
    assert not typo.exists()


def test_a_mistyped_database_key_names_the_config_file(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    config["database"] = f"sqlite:///{tmp_path / 'typo.db'}"
    path = write_config(config)
    line = refused(["status", "--config", str(path)])
    assert line.endswith(f"or fix the 'database' key of {path}")
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.postgresql
@pytest.mark.parametrize("command", range(len(READ_ONLY_IDS)), ids=READ_ONLY_IDS)
def test_a_missing_postgresql_database_is_one_line(
    pg_server_url: str, tmp_path: Path, write_config: Callable[..., Path], command: int
) -> None:
    url = sa.engine.make_url(pg_server_url).set(database="dw_no_such_database")
    config = write_config(weather_config(tmp_path))
    args = read_only_commands(config, url.render_as_string(hide_password=False))[command]
    line = refused(args)
    assert "no results database 'dw_no_such_database' on the server at" in line
    assert line.endswith("create it (createdb dw_no_such_database) or fix --database")


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    ],
)
@pytest.mark.parametrize("command", range(len(READ_ONLY_IDS)), ids=READ_ONLY_IDS)
def test_an_empty_database_is_refused_and_left_empty(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    write_config: Callable[..., Path],
    backend: str,
    command: int,
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        sqlite3.connect(tmp_path / "empty.db").close()  # an empty file, as `touch` makes
    else:
        url = str(request.getfixturevalue("pg_database"))
    config = write_config(weather_config(tmp_path))
    line = refused(read_only_commands(config, url)[command])
    assert "the database is empty; run `driftwatch run --database URL` first" in line
    assert table_names(url) == set()


@pytest.mark.parametrize("command", range(len(READ_ONLY_IDS)), ids=READ_ONLY_IDS)
def test_a_schema_behind_is_refused_and_not_migrated(
    database_url: str, tmp_path: Path, write_config: Callable[..., Path], command: int
) -> None:
    engine = schema.connect(database_url)
    try:
        schema.upgrade(engine, previous_revision())
    finally:
        engine.dispose()
    config = write_config(weather_config(tmp_path))
    line = refused(read_only_commands(config, database_url)[command])
    assert f"behind this driftwatch's {schema.HEAD_REVISION}" in line
    assert "run `driftwatch db upgrade --database URL`" in line
    engine = schema.connect(database_url)
    try:
        assert schema.current_revision(engine) == previous_revision(), "nothing was migrated"
    finally:
        engine.dispose()


def test_db_current_reports_a_missing_sqlite_file_as_empty_without_creating_it(
    tmp_path: Path,
) -> None:
    typo = tmp_path / "typo.db"
    result = invoke("db", "current", "--database", f"sqlite:///{typo}")
    assert result.exit_code == 0, result.output
    assert "revision none" in result.output
    assert "empty: run `driftwatch db upgrade`" in result.output
    assert not typo.exists()


def test_db_downgrade_never_creates_a_database(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    line = refused(["db", "downgrade", "base", "--database", f"sqlite:///{typo}"])
    assert "no results database at" in line
    assert not typo.exists()


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def previous_revision() -> str:
    """The revision just before head: a schema one migration behind."""
    from alembic.script import ScriptDirectory

    down = ScriptDirectory(str(schema.migrations_dir())).get_revision("head").down_revision
    assert isinstance(down, str)
    return down


def test_run_on_a_schema_behind_is_one_line_naming_the_fix(
    database_url: str, tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    engine = schema.connect(database_url)
    try:
        schema.upgrade(engine, previous_revision())
    finally:
        engine.dispose()
    config = write_config(weather_config(tmp_path))
    line = refused(["run", "--config", str(config), "--database", database_url])
    assert line.endswith(f"run `driftwatch db upgrade --config {config}`")


@pytest.mark.postgresql
def test_run_on_a_missing_postgresql_database_says_to_create_it(
    pg_server_url: str, tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config = weather_config(tmp_path)
    url = sa.engine.make_url(pg_server_url).set(database="dw_no_such_database")
    config["database"] = url.render_as_string(hide_password=False)
    path = write_config(config)
    line = refused(["run", "--config", str(path)])
    assert "no results database 'dw_no_such_database' on the server at" in line
    assert "create it (createdb dw_no_such_database) or fix the 'database' key" in line


# --- the same errors from a real process (the console script's edge, not only click's) -----------


@pytest.mark.slow
def test_a_real_process_prints_one_line_for_a_mistyped_database(tmp_path: Path) -> None:
    result = run_cli("report", "--database", "sqlite:///typo.db", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"driftwatch: error: no results database at {str(tmp_path / 'typo.db')!r}; "
        "run `driftwatch run` first or fix --database\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_real_process_with_debug_keeps_exit_code_2_for_a_user_error(tmp_path: Path) -> None:
    result = run_cli("--debug", "run", "--config", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Traceback (most recent call last)")
    assert result.stderr.splitlines()[-1].startswith("driftwatch: error: config file")


def _decimal_comma_csv(tmp_path: Path) -> dict[str, Any]:
    source = {"type": "csv", "path": str(tmp_path / "data.csv")}
    (tmp_path / "data.csv").write_text("a;b\n0,5;1,5\n2,5;3,5\n", encoding="utf-8")
    return source


def _mysql_typed_table(tmp_path: Path) -> dict[str, Any]:
    with sqlite3.connect(tmp_path / "data.db") as db:
        db.execute("CREATE TABLE t (a INT(11), b DOUBLE)")
        db.execute("INSERT INTO t VALUES (1, 1.5)")
    return {"type": "sql", "url": f"sqlite:///{tmp_path / 'data.db'}", "table": "t"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(_decimal_comma_csv, "it looks ';'-delimited", id="pandas-parser-warning"),
        pytest.param(
            _mysql_typed_table, "column 'c' is absent from the reference", id="sqlalchemy-warning"
        ),
    ],
)
def test_a_real_process_prints_the_error_line_and_no_library_warning(
    tmp_path: Path,
    write_config: Callable[..., Path],
    source: Callable[[Path], dict[str, Any]],
    message: str,
) -> None:
    data = source(tmp_path)
    monitor = {"name": "m", "reference": data, "live": data, "features": {"numeric": ["a", "c"]}}
    path = write_config({"database": f"sqlite:///{tmp_path / 'r.db'}", "monitors": [monitor]})
    result = run_cli("run", "--config", str(path), "--no-store", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("driftwatch: error: monitor 'm'") and message in result.stderr


@pytest.mark.slow
def test_a_real_process_prints_one_line_for_a_missing_config(tmp_path: Path) -> None:
    result = run_cli("run", "--config", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not found; pass --config" in result.stderr
