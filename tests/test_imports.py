"""The one start-up budget: `driftwatch --version`, `--help` and `validate` (the CLI's lazy
group), and what importing driftwatch must not do to its host process.

`--version` and `--help` import neither pandas, pyarrow, SQLAlchemy nor scipy; `validate` only
what reading each source's column names needs. Everything else imports normally. Importing
driftwatch changes nothing process-wide (numpy's CPU dispatch, the garbage collector), and the
pure modules (the window maths, the alert lifecycle) stay pure when imported through their
packages.

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

# Needed only to send an HTTP notification, migrate a database, schedule, or compute divergences
# and tests (scipy.special, imported by the engine's functions that use it).
LAZY = ("httpx", "alembic", "apscheduler", "scipy")


def python(code: str, cwd: Path = REPO_ROOT) -> Any:
    """Run ``code`` in a fresh interpreter importing this source tree; the JSON it prints last."""
    done = run_python("-c", code, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return printed_json(done)


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


_PROCESS_STATE = (
    "import gc, json, os, sys\n"
    "{before}\n"
    "import numpy\n"
    "from numpy._core import _multiarray_umath as umath\n"
    "print(json.dumps({{'dispatch': sorted(umath.__cpu_dispatch__),"
    " 'features': sorted(k for k, v in umath.__cpu_features__.items() if v),"
    " 'env': {{k: v for k, v in os.environ.items() if k.startswith('NPY_')}},"
    " 'gc': [gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()]}}))"
)


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("import driftwatch", id="package"),
        pytest.param("import driftwatch; driftwatch.compare, driftwatch.Config", id="lazy-names"),
        pytest.param("import driftwatch.api", id="api"),
    ],
)
def test_importing_driftwatch_leaves_numpy_dispatch_and_gc_untouched(statement: str) -> None:
    """A library never changes its host's settings: numpy imported after driftwatch dispatches
    as numpy alone would, and the collector keeps its state, thresholds and frozen count."""
    alone = python(_PROCESS_STATE.format(before=""))
    after = python(_PROCESS_STATE.format(before=statement))
    assert after == alone


@pytest.mark.parametrize(
    "module",
    [
        pytest.param("driftwatch.windows", id="window-maths"),
        pytest.param("driftwatch.alerts.lifecycle", id="alert-lifecycle"),
    ],
)
def test_the_pure_modules_load_no_sql_and_no_scheduler(module: str) -> None:
    assert imported_after(f"import {module}", packages=("sqlalchemy", "apscheduler")) == []
