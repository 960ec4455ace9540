"""Hostile feature names and category values through every command that prints them.

Each value of the corpus (tests/helpers/hostile.py) is a feature's name and one of its categories,
the one that moved most. ``run`` (piped, and on a wide terminal where the bin goes in a column),
``status``, ``report``, ``alerts`` and ``history`` must print no ESC, BEL, CR, NUL, bidi override or
zero-width mark, in any line of stdout or stderr; the value shows, escaped. Log lines, text and
JSON, stay one line per record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result
from rich.console import Console

from driftwatch.cli import cli, output
from driftwatch.escaping import log_line, terminal
from tests.helpers.hostile import HOSTILE_PARAMS, as_feature_name, raw_markers_in

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
OWN_LINES = ("driftwatch: notifications:", "driftwatch: error:")


@dataclass(frozen=True)
class Setup:
    config: Path
    feature: str
    category: str


def write_setup(folder: Path, value: str) -> Setup:
    """Parquet data whose categorical feature is named ``value`` (cut to what the config takes)
    and whose live rows moved to the category ``value``; a log sink, so alerts fire and log."""
    feature = as_feature_name(value)
    rng = np.random.default_rng(5)
    n = 300
    for name, shares, loc in (("ref", [0.45, 0.45, 0.1], 0.0), ("live", [0.05, 0.05, 0.9], 3.0)):
        pd.DataFrame(
            {
                "n": rng.normal(loc, 1.0, n),
                feature: rng.choice(np.array(["x", "y", value], dtype=object), n, p=shares),
            }
        ).to_parquet(folder / f"{name}.parquet")
    config = {
        "database": f"sqlite:///{folder / 'results.db'}",
        "alerts": {"sinks": [{"name": "lg", "type": "log", "level": "warning"}]},
        "monitors": [
            {
                "name": "m1",
                "reference": {"type": "parquet", "path": str(folder / "ref.parquet")},
                "live": {"type": "parquet", "path": str(folder / "live.parquet")},
                "features": {"numeric": ["n"], "categorical": [feature]},
                "metrics": ["js"],
                "alerts": ["lg"],
            }
        ],
    }
    path = folder / "driftwatch.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return Setup(path, feature, value)


def invoke(*args: str) -> Result:
    # color=True: click must not strip ANSI codes from what it echoes, so a raw one would show.
    return CliRunner().invoke(cli, list(args), color=True, catch_exceptions=False)


def clean(result: Result) -> None:
    """No raw ESC, BEL, CR, NUL, bidi override or zero-width mark anywhere in the output."""
    assert raw_markers_in(result.stdout) == []
    assert raw_markers_in(result.stderr) == []


@pytest.fixture(params=HOSTILE_PARAMS)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Setup:
    return write_setup(tmp_path, request.param)


def wide_terminal() -> Console:
    """A 250-column terminal (the moved bin in a column) writing no styles: any ESC it prints
    came from the data."""
    return Console(width=250, force_terminal=True, color_system=None, highlight=False)


def text_records(stderr: str) -> list[str]:
    """The log lines of ``stderr``, each checked to start a record and to hold no raw marker."""
    lines = [line for line in stderr.splitlines() if not line.startswith(OWN_LINES)]
    assert [line for line in lines if not RECORD.match(line)] == []  # no line of its own
    return lines


def test_every_command_prints_the_values_escaped(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped: compact tables, the moved bin on its own line; text log lines at debug."""
    monkeypatch.delenv("COLUMNS", raising=False)
    config = str(setup.config)
    ran = invoke("--log-level", "debug", "run", "--config", config, "--format", "table")
    assert ran.exit_code == 0, ran.output
    clean(ran)
    assert terminal(setup.feature) in ran.stdout  # a whole cell, never cut
    moved = terminal(setup.category)
    if len(moved) < 70:  # a longer one wraps in the compact layout
        assert f"    {moved}: " in ran.stdout  # the "moved most" line
    sink = [line for line in text_records(ran.stderr) if "alerts.sink: [FIRING" in line]
    assert len(sink) == 2  # one summary line per feature's notification
    assert any(log_line(setup.feature) in line for line in sink)  # whole, on its line
    for args in (
        ("status",),
        ("report",),
        ("alerts",),
        ("history", "-m", "m1", "-f", setup.feature, "--since", "30d"),
    ):
        result = invoke(args[0], "--config", config, *args[1:])
        assert result.exit_code == 0, result.output
        clean(result)
        if args[0] in ("report", "alerts"):  # a table cell: whole, escaped
            assert terminal(setup.feature) in result.stdout


def test_a_wide_terminal_table_and_json_logs(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a wide terminal the moved bin is a column; JSON logs: one object per line, exact."""
    monkeypatch.setattr(output, "console", wide_terminal)
    args = ["--log-format", "json", "--log-level", "debug", "run", "-c", str(setup.config)]
    ran = invoke(*args)
    assert ran.exit_code == 0, ran.output
    clean(ran)
    assert terminal(setup.feature) in ran.stdout
    lines = [line for line in ran.stderr.splitlines() if not line.startswith(OWN_LINES)]
    records = [json.loads(line) for line in lines]  # one object per line, nothing else
    sink = [r["message"] for r in records if r["logger"] == "driftwatch.alerts.sink"]
    payloads = [json.loads(m.split(" ", 2)[2]) for m in sink if m.startswith("payload ")]
    features = {a["feature"] for p in payloads for a in p["alerts"]}
    assert setup.feature in features  # the JSON payload keeps the exact name
