"""Helpers of the scheduler tests: datasets, configs, stored runs, CLI subprocesses.

Subprocesses run ``python -m driftwatch`` from this source tree with stderr in a file (no pipe
to fill up); every process a test starts is killed in teardown if it is still alive.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from driftwatch.store import Store
from driftwatch.store.models import FeatureResult, Run

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE = datetime(2024, 1, 1, tzinfo=UTC)
"""Start of the history dataset used with an injected clock."""
THRESHOLDS = {
    "js": {"kind": "constant", "warn": 0.5, "critical": 0.9},
    "kl": {"kind": "constant", "warn": 5.0, "critical": 9.0},
}


def write_dataset(folder: Path, start: datetime, end: datetime, step: timedelta) -> Path:
    """``ref.csv`` (no timestamps) and ``live.csv`` (a row every ``step`` in [start, end))."""
    rng = np.random.default_rng(7)
    stamps = pd.date_range(start, end, freq=step, inclusive="left")
    pd.DataFrame(
        {
            "ts": stamps.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "x": rng.normal(size=len(stamps)),
            "c": rng.choice(list("abc"), size=len(stamps)),
        }
    ).to_csv(folder / "live.csv", index=False)
    pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(list("abc"), size=300)}).to_csv(
        folder / "ref.csv", index=False
    )
    return folder / "live.csv"


def monitor_entry(name: str, schedule: dict[str, Any], live: str = "live.csv") -> dict[str, Any]:
    return {
        "name": name,
        "schedule": schedule,
        "reference": {"type": "csv", "path": "ref.csv"},
        "live": {"type": "csv", "path": live, "timestamp_column": "ts"},
        "features": {"numeric": ["x"], "categorical": ["c"]},
    }


def config_mapping(database: str, *monitors: dict[str, Any]) -> dict[str, Any]:
    return {
        "database": database,
        "defaults": {"min_rows": 5, "metrics": ["js", "kl"], "thresholds": THRESHOLDS},
        "monitors": list(monitors),
    }


@dataclass(frozen=True)
class StoredRun:
    window_start: datetime
    window_end: datetime
    status: str
    trigger: str
    claimed_by: str | None
    results: int


def stored_runs(url: str, monitor: str) -> list[StoredRun]:
    """The runs of ``monitor`` oldest window first, with their number of feature results."""
    store = Store.open(url)
    try:
        with store.session() as session:
            rows = session.execute(
                sa.select(
                    Run.window_start,
                    Run.window_end,
                    Run.status,
                    Run.trigger,
                    Run.claimed_by,
                    sa.select(sa.func.count())
                    .where(FeatureResult.run_id == Run.id)
                    .scalar_subquery(),
                )
                .where(Run.monitor == monitor)
                .order_by(Run.window_start)
            ).all()
    finally:
        store.close()
    return [StoredRun(*row) for row in rows]


def assert_consecutive(runs: list[StoredRun], length: timedelta) -> None:
    """Each window once, each ``length`` long, each starting where the previous one ended."""
    windows = [(r.window_start, r.window_end) for r in runs]
    assert len(set(windows)) == len(windows)
    for run in runs:
        assert run.window_end - run.window_start == length
    for before, after in itertools.pairwise(runs):
        assert after.window_start == before.window_end, (before, after)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` every 0.1 s until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class CliProcess:
    """A running ``python -m driftwatch ...``; stderr goes to a file the test can read."""

    def __init__(self, args: list[str], cwd: Path, log: Path) -> None:
        self.log = log
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200"}
        env.pop("DRIFTWATCH_DB", None)
        self._stderr = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "driftwatch", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.process.poll() is not None and text not in self.output():
                raise AssertionError(f"process exited early:\n{self.output()}")
            return text in self.output()

        wait_for(seen, timeout, f"{text!r} in the log")

    def terminate(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._stderr.close()
