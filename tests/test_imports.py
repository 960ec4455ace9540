"""Start-up cost: `import driftwatch`, the CLI and a run on a migrated database import only what
they use (`driftwatch --version` and `--help` import neither pandas, pyarrow, SQLAlchemy nor
scipy; `driftwatch validate` only what reading each source's column names needs), and importing
driftwatch leaves the garbage collector as the caller had it.

Each check runs in a fresh interpreter (this test process has imported everything already).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from driftwatch.data import DATA_DIR
from tests.helpers import printed_json, run_python

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO_ROOT / "config" / "example.yaml"

pytestmark = pytest.mark.slow  # every check starts a fresh interpreter

# Needed only to send an HTTP notification, migrate a database, schedule, or test significance.
LAZY = ("httpx", "alembic", "apscheduler", "scipy")


def python(code: str, cwd: Path = REPO_ROOT) -> Any:
    """Run ``code`` in a fresh interpreter importing this source tree; the JSON it prints last."""
    done = run_python("-c", code, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return printed_json(done)


# `driftwatch run` on the driftwatch.yaml of the current folder, which must exit 0.
RUN = (
    "from driftwatch.cli.main import cli\n"
    "try:\n"
    "    cli(['run', '--config', 'driftwatch.yaml'])\n"
    "except SystemExit as exc:\n"
    "    assert exc.code == 0, exc.code"
)

# What a `driftwatch --version` or `--help` must not pay for: the data, store and test stacks.
HEAVY = ("pandas", "pyarrow", "sqlalchemy", "scipy", "alembic", "apscheduler", "httpx")
# Nor the config stack: `import driftwatch` loads its config names on first use, so the root
# command needs click and driftwatch's error and time types only (~0.15 s against ~0.5 s with
# pydantic, numpy and PyYAML on a 2-core machine).
CONFIG_STACK = ("pydantic", "numpy", "yaml")


def imported_after(
    statements: str, cwd: Path = REPO_ROOT, packages: tuple[str, ...] = LAZY
) -> list[str]:
    """Which of ``packages`` are in ``sys.modules`` after ``statements``."""
    return list(
        python(
            f"import json, sys\n{statements}\n"
            f"print(json.dumps([m for m in {packages!r} if m in sys.modules]))",
            cwd,
        )
    )


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("import driftwatch", id="package"),
        pytest.param("import driftwatch.cli", id="cli"),
        pytest.param("from driftwatch.cli.main import cli; cli(['--help'])", id="help"),
    ],
)
def test_importing_driftwatch_does_not_import_optional_machinery(statement: str) -> None:
    statement = f"try:\n    {statement}\nexcept SystemExit:\n    pass"
    assert imported_after(statement) == []


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--version"], id="version"),
        pytest.param(["--help"], id="help"),
        pytest.param([], id="no-arguments"),
    ],
)
def test_the_command_line_starts_without_the_data_store_or_config_stack(argv: list[str]) -> None:
    """The root group lists its subcommands without importing them (a lazy group)."""
    code = (
        "import sys\nsys.argv = ['driftwatch', *" + repr(argv) + "]\n"
        "try:\n    import driftwatch.__main__\nexcept SystemExit:\n    pass"
    )
    assert imported_after(code, packages=(*HEAVY, *CONFIG_STACK)) == []


def test_the_lazy_command_list_matches_the_commands() -> None:
    """Each registered short help is its command's own, and every name resolves to it."""
    import click

    from driftwatch.cli import COMMANDS, cli

    context = click.Context(cli)
    for name, (_target, short_help) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(200) == short_help


def _weather_run(tmp_path: Path) -> None:
    """A driftwatch.yaml in ``tmp_path``: the bundled weather CSV against itself, on SQLite."""
    weather = str(DATA_DIR / "seattle-weather.csv")
    config: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'results.db'}",
        "monitors": [
            {
                "name": "weather",
                "reference": {"type": "csv", "path": weather},
                "live": {"type": "csv", "path": weather},
                "features": {"numeric": ["temp_max"], "categorical": ["weather"]},
                "thresholds": {
                    "js": {"kind": "constant", "warn": 0.05, "critical": 0.1},
                    "kl": {"kind": "constant", "warn": 0.1, "critical": 0.25},
                },
            }
        ],
    }
    (tmp_path / "driftwatch.yaml").write_text(json.dumps(config), encoding="utf-8")


def test_a_run_on_a_migrated_database_imports_only_what_it_uses(tmp_path: Path) -> None:
    _weather_run(tmp_path)
    assert imported_after(RUN, tmp_path) == [], "a brand-new database: the head snapshot"
    assert imported_after(RUN, tmp_path) == [], "the second run finds the schema at head"


def test_a_run_whose_stderr_is_not_a_terminal_loads_no_progress_bar(tmp_path: Path) -> None:
    """Cron and CI runs log progress as lines: rich.progress (and rich.live) never load."""
    _weather_run(tmp_path)
    assert imported_after(RUN, tmp_path, packages=("rich.progress", "rich.live")) == []


def test_the_default_rule_tests_drift_without_importing_scipy(tmp_path: Path) -> None:
    """The drift test's tails, the χ² p-value and its quantile come from
    driftwatch.engine.special: scipy.special alone costs 0.2–0.3 s of import on every run, and
    scipy.stats ~1 s (several under load)."""
    code = (
        "import driftwatch\n"
        "from driftwatch.api import run\n"
        f"run({str(EXAMPLE_CONFIG)!r}, database='sqlite:///results.db')\n"
    )
    assert imported_after(code, tmp_path, packages=("scipy",)) == []


def _validate_config(tmp_path: Path, kind: str) -> None:
    weather = DATA_DIR / "seattle-weather.csv"
    if kind == "csv":
        source: dict[str, Any] = {"type": "csv", "path": str(weather)}
    elif kind == "parquet":
        import pandas as pd

        path = tmp_path / "weather.parquet"
        pd.read_csv(weather).to_parquet(path)
        source = {"type": "parquet", "path": str(path)}
    else:
        source = {"type": "dataframe", "name": "weather"}
    config = {
        # The embedded default, in a folder that does not exist: never opened (nor created). A
        # network URL would be parsed, with SQLAlchemy, to catch what can never connect.
        "database": f"sqlite:///{tmp_path / 'absent' / 'results.db'}",
        "monitors": [
            {
                "name": "weather",
                "reference": source,
                "live": source,
                "features": {"numeric": ["temp_max"], "categorical": ["weather"]},
            }
        ],
    }
    (tmp_path / "driftwatch.yaml").write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "needed"),
    [
        pytest.param("csv", ["pandas", "pyarrow"], id="csv-reads-its-header-with-pandas"),
        pytest.param("parquet", ["pyarrow"], id="parquet-reads-its-footer-with-pyarrow"),
        pytest.param("dataframe", [], id="dataframe-supplied-at-run-time"),
    ],
)
def test_validate_imports_only_what_reading_the_column_names_needs(
    tmp_path: Path, kind: str, needed: list[str]
) -> None:
    """No store (the database is not opened), no scipy; a source's own stack only (pandas 3
    loads pyarrow itself)."""
    _validate_config(tmp_path, kind)
    code = (
        "import sys\nsys.argv = ['driftwatch', 'validate', '--config', 'driftwatch.yaml']\n"
        "try:\n    import driftwatch.__main__\nexcept SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code"
    )
    assert imported_after(code, tmp_path, packages=HEAVY) == needed
    assert not (tmp_path / "absent").exists()


@pytest.mark.parametrize(
    ("before", "enabled"),
    [
        pytest.param("", True, id="collector-on"),
        pytest.param("gc.disable()", False, id="collector-off-stays-off"),
        pytest.param("keep = [[]]; gc.freeze(); assert gc.get_freeze_count()", True, id="frozen"),
    ],
)
def test_importing_driftwatch_leaves_the_collector_as_it_was(before: str, enabled: bool) -> None:
    """Nothing of driftwatch's stays frozen, and a caller's frozen objects are not unfrozen
    (their count can only fall, as some of them are freed), through the lazy names too."""
    code = (
        f"import gc, json\n{before}\nfrozen = gc.get_freeze_count()\nimport driftwatch\n"
        "driftwatch.Config, driftwatch.run_monitor\n"
        "print(json.dumps([gc.isenabled(), frozen, gc.get_freeze_count()]))"
    )
    is_enabled, frozen_before, frozen_after = python(code)
    assert is_enabled is enabled
    assert (frozen_after > 0) is (frozen_before > 0)
    assert frozen_after <= frozen_before


@pytest.mark.parametrize("database", ["fresh", "migrated"])
def test_a_parquet_run_imports_neither_pandas_nor_pyarrow_compute(
    tmp_path: Path, database: str
) -> None:
    """Parquet is read and counted on Arrow buffers and the results printed from typed values:
    pandas (~0.2–0.5 s of import) is only for frames a caller asks for, and CSV; the Arrow
    kernels are called without pyarrow.compute's ~0.1 s of generated wrappers."""
    import pandas as pd

    frame = pd.read_csv(DATA_DIR / "seattle-weather.csv")
    frame.to_parquet(tmp_path / "weather.parquet")
    config: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'results.db'}",
        "monitors": [
            {
                "name": "weather",
                "reference": {"type": "parquet", "path": str(tmp_path / "weather.parquet")},
                "live": {"type": "parquet", "path": str(tmp_path / "weather.parquet")},
                "features": {"numeric": ["temp_max"], "categorical": ["weather"]},
            }
        ],
    }
    (tmp_path / "driftwatch.yaml").write_text(json.dumps(config), encoding="utf-8")
    if database == "migrated":
        imported_after(RUN, tmp_path)
    assert imported_after(RUN, tmp_path, packages=("pandas", "pyarrow.compute")) == []
