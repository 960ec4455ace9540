"""Options every command shares: config discovery, group options, exit codes, help, progress."""

from __future__ import annotations

import io
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner, Result
from rich.console import Console
from rich.progress import Progress

from driftwatch import api
from driftwatch.cli import cli, progress
from driftwatch.data import DATA_DIR
from tests.conftest import EXAMPLE_CONFIG


def invoke(*args: str, **kwargs: Any) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def weather(tmp_path: Path, **extra: Any) -> Path:
    source = {
        "type": "csv",
        "path": str(DATA_DIR / "seattle-weather.csv"),
        "timestamp_column": "date",
    }
    config = {
        "database": f"sqlite:///{tmp_path / 'results.db'}",
        "monitors": [
            {
                "name": "weather",
                "reference": {**source, "start": "2012-01-01", "end": "2013-01-01"},
                "live": {**source, "start": "2015-01-01", "end": "2016-01-01"},
                "features": {"numeric": ["temp_max"], "categorical": ["weather"]},
                **extra,
            }
        ],
        **({"alerts": extra.pop("_alerts")} if "_alerts" in extra else {}),
    }
    path = tmp_path / "weather.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("how", "code"),
    [
        pytest.param([], 0, id="0-ok"),
        pytest.param(["--fail-on", "warn"], 1, id="1-drift-at-fail-on"),
        pytest.param(["--monitor", "nope"], 2, id="2-user-error"),
    ],
)
def test_exit_codes_of_run(tmp_path: Path, how: list[str], code: int) -> None:
    assert invoke("run", "--config", str(weather(tmp_path)), *how).exit_code == code


def test_exit_code_3_is_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> api.RunReport:
        raise RuntimeError("a bug")

    from driftwatch.commands import run as run_command

    monkeypatch.setattr(run_command, "run", broken)
    result = invoke("run", "--config", str(weather(tmp_path)))
    assert result.exit_code == 3 and "internal error: RuntimeError: a bug" in result.output


def test_exit_code_4_when_stored_but_notifications_undelivered(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: connection refused
    config = weather(tmp_path, alerts=["hook"])
    data = yaml.safe_load(config.read_text())
    data["alerts"] = {"sinks": [{"name": "hook", "type": "webhook", "url": url}]}
    config.write_text(yaml.safe_dump(data))
    result = invoke("run", "--config", str(config))
    assert result.exit_code == 4, result.output
    assert "could not be delivered (results are stored)" in result.output
    stored = invoke("report", "--config", str(config), "--format", "json")
    assert json.loads(stored.stdout)["rows"]


def test_config_comes_from_the_environment_then_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = weather(tmp_path)
    monkeypatch.setenv("DRIFTWATCH_CONFIG", str(config))
    assert invoke("validate").exit_code == 0
    monkeypatch.delenv("DRIFTWATCH_CONFIG")
    monkeypatch.chdir(tmp_path)
    config.rename(tmp_path / "driftwatch.yaml")
    assert invoke("validate").exit_code == 0


def test_group_options_reach_the_subcommand(tmp_path: Path) -> None:
    result = invoke("alerts", "--config", str(tmp_path / "given.yaml"), "dispatch")
    assert result.exit_code == 2 and "given.yaml" in result.output


def every_command(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += every_command(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", every_command(cli), ids=lambda c: " ".join(c) or "root")
def test_every_help_page_ends_with_an_example(command: tuple[str, ...]) -> None:
    text = invoke(*command, "--help").output.rstrip()
    last_block = text.rsplit("\n\n", 1)[-1]
    assert last_block.lstrip().startswith("Example"), text
    assert last_block.splitlines()[-1].strip().startswith("driftwatch ")
    if command and command[-1] not in ("db", "schedule") and "Options" in text:
        config_help = "DRIFTWATCH_CONFIG" in text or "--config" not in text
        assert config_help


def test_progress_is_json_log_lines_when_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    result = invoke("--log-format", "json", "run", "--config", str(weather(tmp_path)))
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    done = [e for e in events if e.get("event") == "progress"]
    assert done and done[-1]["done"] == done[-1]["total"] == 1


def test_quiet_prints_no_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    result = invoke("-q", "--log-format", "json", "run", "--config", str(weather(tmp_path)))
    assert result.exit_code == 0 and "progress" not in result.stderr


def test_backfill_reports_progress_k_of_n(tmp_path: Path) -> None:
    events: list[api.ProgressEvent] = []
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    car = next(m for m in config["monitors"] if m["name"] == "car-loan")
    for role in ("reference", "live"):
        car[role]["path"] = str((EXAMPLE_CONFIG.parent / car[role]["path"]).resolve())
    config["monitors"] = [car]
    config["database"] = f"sqlite:///{tmp_path / 'r.db'}"
    path = tmp_path / "car.yaml"
    path.write_text(yaml.safe_dump(config))
    since, until = datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 4, 1, tzinfo=UTC)
    api.backfill(path, "car-loan", since, until, progress=events.append)
    assert [(e.done, e.total) for e in events] == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_run_reports_the_rows_each_monitor_reads(tmp_path: Path) -> None:
    events: list[api.ProgressEvent] = []
    api.run(weather(tmp_path), store=False, progress=events.append)
    rows = [e for e in events if e.unit == "rows"]
    for task in ("reference", "live"):
        read = [e for e in rows if e.task == task]
        assert read and {e.item for e in read} == {"weather"}
        assert [e.done for e in read] == sorted(e.done for e in read)
        assert read[-1].finished and read[-1].done == read[-1].total > 300
    assert events[-1].unit == "monitors" and events[-1].finished


@pytest.mark.parametrize("total", [1000, None], ids=["rows-k-of-n", "rows-count-indeterminate"])
def test_terminal_bar_shows_a_read_until_it_ends(total: int | None) -> None:
    with Progress(console=Console(file=io.StringIO(), force_terminal=True)) as bar:
        show = progress._Bar(bar)
        show(api.ProgressEvent("run", "monitors", 0, 1))
        show(api.ProgressEvent("live", "rows", 400, total, "weather"))
        reading = [t for t in bar.tasks if "weather live" in t.description]
        assert [(t.completed, t.total) for t in reading] == [(400, total)]
        show(api.ProgressEvent("live", "rows", 1000, 1000, "weather"))
        assert [t.description for t in bar.tasks] == ["run"]
