"""A relative SQLite path in a config file is next to the config file, as data paths are."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.config import load_config, parse_config, resolve_sqlite_path
from driftwatch.data import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
BASE = Path("/srv/configs")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "sqlite:///driftwatch.db", "sqlite:////srv/configs/driftwatch.db", id="relative"
        ),
        pytest.param("sqlite:///data/x.db", "sqlite:////srv/configs/data/x.db", id="subfolder"),
        pytest.param("sqlite:///../x.db", "sqlite:////srv/configs/../x.db", id="parent"),
        pytest.param(
            "sqlite+pysqlite:///x.db?timeout=5",
            "sqlite+pysqlite:////srv/configs/x.db?timeout=5",
            id="driver-and-query",
        ),
        pytest.param("sqlite:////var/lib/x.db", "sqlite:////var/lib/x.db", id="absolute"),
        pytest.param("sqlite://", "sqlite://", id="in-memory"),
        pytest.param("sqlite:///:memory:", "sqlite:///:memory:", id="memory-path"),
        pytest.param(
            "sqlite:///file:x.db?mode=ro&uri=true",
            "sqlite:///file:x.db?mode=ro&uri=true",
            id="uri",
        ),
        pytest.param(
            "postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db", id="postgres"
        ),
    ],
)
def test_resolve_sqlite_path(url: str, expected: str) -> None:
    assert resolve_sqlite_path(url, BASE) == expected


def _write(folder: Path, database: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "d.csv").write_text("x\n1\n")
    path = folder / "config.yaml"
    path.write_text(
        f"database: {database}\n"
        "monitors:\n"
        "  - name: m\n"
        "    reference: {type: csv, path: d.csv}\n"
        "    live: {type: csv, path: d.csv}\n"
        "    features: {numeric: [x]}\n"
    )
    return path


def test_a_config_files_relative_sqlite_path_is_next_to_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "conf", "sqlite:///results.db")
    assert load_config(path, env={}).database == f"sqlite:///{tmp_path / 'conf' / 'results.db'}"


def test_the_default_of_an_unset_variable_is_next_to_the_config(tmp_path: Path) -> None:
    path = _write(tmp_path / "conf", "${DB:-sqlite:///results.db}")
    assert load_config(path, env={}).database == f"sqlite:///{tmp_path / 'conf' / 'results.db'}"


def test_a_url_from_the_environment_stays_relative_to_the_working_directory(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "conf", "${DB:-sqlite:///results.db}")
    assert load_config(path, env={"DB": "sqlite:///mine.db"}).database == "sqlite:///mine.db"


def test_a_config_given_as_a_mapping_keeps_its_url() -> None:
    data = {
        "database": "sqlite:///results.db",
        "monitors": [
            {
                "name": "m",
                "reference": {"type": "dataframe", "name": "r"},
                "live": {"type": "dataframe", "name": "l"},
                "features": {"numeric": ["x"]},
            }
        ],
    }
    assert parse_config(data).database == "sqlite:///results.db"


def test_running_the_example_from_another_folder_leaves_no_database_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "config", repo / "config")
    shutil.copytree(DATA_DIR, repo / "driftwatch" / "data")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("DRIFTWATCH_DB", raising=False)
    result = CliRunner().invoke(
        cli, ["run", "--config", str(repo / "config" / "example.yaml"), "--no-dispatch"]
    )
    assert result.exit_code == 0, result.output
    assert os.listdir(elsewhere) == []
    assert (repo / "config" / "driftwatch.db").is_file()
