"""Fixtures of the scheduler tests: live datasets with a timestamp column, CLI subprocesses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scheduler_helpers import BASE, CliProcess, write_dataset


@pytest.fixture
def live_now(tmp_path: Path) -> Path:
    """A live CSV with 50 rows a second from 30 s ago to 5 min ahead (for real-time schedules)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return write_dataset(
        tmp_path,
        now - timedelta(seconds=30),
        now + timedelta(minutes=5),
        timedelta(milliseconds=20),
    )


@pytest.fixture
def live_history(tmp_path: Path) -> Path:
    """A live CSV with a row a minute over 2 days from 2024-01-01 (for injected-clock tests)."""
    return write_dataset(tmp_path, BASE, BASE + timedelta(days=2), timedelta(minutes=1))


@pytest.fixture
def cli_process(tmp_path: Path) -> Iterator[Callable[..., CliProcess]]:
    """Start ``driftwatch ARGS`` subprocesses; leftovers are killed in teardown."""
    started: list[CliProcess] = []

    def start(*args: str, log_name: str = "stderr.log") -> CliProcess:
        process = CliProcess(list(args), tmp_path, tmp_path / log_name)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
