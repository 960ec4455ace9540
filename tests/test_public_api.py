"""The curated public API: what `import driftwatch` offers is deliberate."""

from __future__ import annotations

import importlib.metadata
import inspect
from pathlib import Path
from types import ModuleType

import click
import pytest
import yaml

import driftwatch
import driftwatch.engine
from driftwatch import api
from driftwatch.cli import cli
from driftwatch.data import DATA_DIR
from driftwatch.store import queries


def test_top_level_all_is_sorted_and_importable() -> None:
    names = [n for n in driftwatch.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in driftwatch.__all__:
        assert hasattr(driftwatch, name), name


def test_the_version_is_the_installed_distributions() -> None:
    """``_version.py`` is the one place the version is written: the build reads it from there."""
    from driftwatch._version import DISTRIBUTION

    assert driftwatch.__version__ == importlib.metadata.version(DISTRIBUTION)


def test_the_api_re_exports_one_command_module_each() -> None:
    """``driftwatch.api`` is a plain re-export: every name is defined in the command layer (or is
    ``compare``/``DriftReport`` and the shared types), none in ``api`` itself."""
    import ast

    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    defined = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Assign)]
    assert [ast.unparse(n).split("=")[0].strip() for n in defined] == ["__all__"]
    for name in api.__all__:
        assert hasattr(api, name), name


def test_top_level_exports_the_run_api_and_every_error() -> None:
    expected = {
        "compare",
        "compare_stored",
        "run_monitor",
        "load_config",
        "DriftwatchError",
        "ConfigError",
        "SourceError",
        "StoreError",
    }
    assert expected <= set(driftwatch.__all__)


def test_every_driftwatch_error_derives_from_the_root() -> None:
    errors = [getattr(driftwatch, n) for n in driftwatch.__all__ if n.endswith("Error")]
    assert all(issubclass(e, driftwatch.DriftwatchError) for e in errors)


def test_engine_exports_the_documented_metric_functions() -> None:
    for name in ("kl_divergence", "js_divergence", "psi", "hellinger", "total_variation"):
        assert name in driftwatch.engine.__all__


def _defined_here(value: object, *modules: str) -> bool:
    return getattr(value, "__module__", "").startswith(modules)


def test_top_level_all_is_exactly_what_the_package_exports() -> None:
    """httpx's test_exported_members: nothing public that __all__ forgets (submodules aside)."""
    exported = {
        name
        for name in dir(driftwatch)  # dir, not vars: the api functions are imported on first use
        if not name.startswith("_") and not isinstance(getattr(driftwatch, name), ModuleType)
    }
    assert exported == set(driftwatch.__all__) - {"__version__"}


def test_api_all_is_sorted_and_lists_every_command_function_and_result_type() -> None:
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name
    defined = {
        name
        for name, value in vars(api).items()
        if not name.startswith("_")
        and _defined_here(value, "driftwatch.api", "driftwatch.commands")
    }
    assert defined <= set(api.__all__), defined - set(api.__all__)


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    leaves = []
    context = click.Context(group)
    for name in group.list_commands(context):  # not .commands: the root loads its lazily
        command = group.get_command(context, name)
        assert command is not None, name
        path = (*prefix, name)
        if isinstance(command, click.Group):
            leaves.extend(_leaf_commands(command, path))
        else:
            leaves.append(path)
    return leaves


API_NAMES = {("compare",): "compare_stored"}
"""Commands whose function is named otherwise: ``driftwatch.compare`` is the DataFrame one."""


def test_every_cli_command_has_a_typed_api_function() -> None:
    """The CLI is a shell over the API: `driftwatch db upgrade` is `api.db_upgrade`."""
    leaves = _leaf_commands(cli)
    assert ("alerts", "list") in leaves and ("run",) in leaves
    for path in leaves:
        name = API_NAMES.get(path, "_".join(path))
        function = getattr(api, name, None)
        assert callable(function), f"driftwatch {' '.join(path)} has no api.{name}"
        assert "return" in inspect.get_annotations(function), name


def weather_config(tmp_path: Path) -> Path:
    weather = str(DATA_DIR / "seattle-weather.csv")
    source = {"type": "csv", "path": weather, "timestamp_column": "date"}
    config = {
        "database": f"sqlite:///{tmp_path / 'results.db'}",
        "monitors": [
            {
                "name": "weather",
                "reference": {**source, "start": "2012-01-01", "end": "2013-01-01"},
                "live": {**source, "start": "2015-01-01", "end": "2016-01-01"},
                "features": {"numeric": ["temp_max"], "categorical": ["weather"]},
                "metrics": ["js"],
                "thresholds": {"js": {"kind": "constant", "warn": 0.05, "critical": 0.1}},
            }
        ],
    }
    path = tmp_path / "driftwatch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_the_command_functions_return_values_and_print_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = weather_config(tmp_path)

    checked = api.validate(config)
    assert checked.ok and [m.name for m in checked.monitors] == ["weather"]
    assert [f.name for f in checked.monitors[0].features] == ["temp_max", "weather"]

    dry = api.run(config, store=False)
    assert dry.notifications is None and not (tmp_path / "results.db").exists()
    done = api.run(config, ["weather"])
    assert [o.status for o in done.outcomes] == ["succeeded"]
    assert done.errors == () and done.any_feature_at(["critical"])

    latest = api.report(config)
    assert set(latest.frame["feature"]) == {"temp_max", "weather"}
    assert latest.database.endswith("results.db")
    series = api.history(config, "weather", "weather", since=None)
    assert len(series.frame) == 1
    assert api.db_current(config).state == "up to date"
    assert api.alerts_list(config).outbox_counts == {"pending": 0, "sent": 0, "dead": 0}
    assert [m.monitor for m in api.status(config).monitors] == ["weather"]

    assert capsys.readouterr() == ("", "")


def test_read_only_functions_refuse_a_missing_database_and_create_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    for read in (
        lambda: api.report(database=f"sqlite:///{typo}"),
        lambda: api.history(None, "m", "f", database=f"sqlite:///{typo}"),
        lambda: queries.latest(f"sqlite:///{typo}"),
        lambda: api.compare_stored(
            weather_config(tmp_path),
            "weather",
            "2015-01-01/2015-02-01",
            database=f"sqlite:///{typo}",
        ),
    ):
        with pytest.raises(driftwatch.StoreError, match="no results database at"):
            read()
    assert not typo.exists()


def test_the_distribution_is_named_driftwatch_monitor_everywhere() -> None:
    """`driftwatch` on PyPI is another project: we install as driftwatch-monitor, import as
    driftwatch, and `--version` looks the version up under the distribution's name."""
    import tomllib

    from driftwatch._version import DISTRIBUTION

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION == "driftwatch-monitor"
    assert project["scripts"] == {"driftwatch": "driftwatch.cli:main"}
    main = (root / "driftwatch" / "cli" / "main.py").read_text()
    assert f'version_option(package_name="{DISTRIBUTION}")' in main
    assert "pip install driftwatch-monitor" in (root / "README.md").read_text()


def test_compare_is_the_first_python_example_of_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    first_python = readme.split("```python", 1)[1].split("```", 1)[0]
    assert "driftwatch.compare(" in first_python
    assert readme.index("driftwatch.compare(") < readme.index("```yaml")
