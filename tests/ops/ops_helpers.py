"""Helpers of the ops tests: data files with known drift, free ports, bounded waits."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_monitor_files(folder: Path) -> None:
    """``ref.csv`` and ``live.csv``: ``x`` and ``c`` stay put, ``shifted`` moves by one sd."""
    rng = np.random.default_rng(11)
    n = 2000
    pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "shifted": rng.normal(size=n),
            "c": rng.choice(list("abc"), size=n),
        }
    ).to_csv(folder / "ref.csv", index=False)
    # Inside last calendar year: the yearly schedule's latest ended window, which both a manual
    # run and the scheduler's start-up catch-up compute (so they agree on the figures).
    year = pd.Timestamp.now(tz="UTC").year - 1
    stamps = pd.date_range(f"{year}-01-02", periods=n, freq="min", tz="UTC")
    pd.DataFrame(
        {
            "ts": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
            "x": rng.normal(size=n),
            "shifted": rng.normal(loc=1.0, size=n),
            "c": rng.choice(list("abc"), size=n),
        }
    ).to_csv(folder / "live.csv", index=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool],
    what: str,
    logs: Callable[[str], str] | None = None,
    timeout: float = 30,
) -> None:
    """Poll ``check`` until true; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.25)
