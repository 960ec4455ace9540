"""``python ...`` and ``python -m driftwatch ...`` in a fresh interpreter importing this tree.

For what only a new process shows: start-up imports, exit codes, a process killed mid-way, the
real console. The child gets ``PYTHONPATH`` = this repository, ``COLUMNS=200`` and neither
``DRIFTWATCH_DB`` nor ``DRIFTWATCH_CONFIG`` (so the developer's own settings never leak in);
``env`` adds to that (a ``None`` value removes a variable). A process outliving its ``timeout``
fails the test with what it wrote to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

Env = Mapping[str, str | None]


def python_env(env: Env | None = None, *, clean: bool = False) -> dict[str, str]:
    """The environment of a child process (``clean``: a bare ``PATH`` instead of this one's)."""
    base = {"PATH": "/usr/bin:/bin"} if clean else dict(os.environ)
    merged: dict[str, str | None] = {
        **base,
        "PYTHONPATH": str(REPO_ROOT),
        "COLUMNS": "200",
        "DRIFTWATCH_DB": None,
        "DRIFTWATCH_CONFIG": None,
        **(env or {}),
    }
    return {name: value for name, value in merged.items() if value is not None}


def run_python(
    *args: str,
    cwd: Path = REPO_ROOT,
    env: Env | None = None,
    clean_env: bool = False,
    timeout: float = 120,
    check: bool = False,
    stdout: IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``cwd``; stdout (unless sent to ``stdout``) and stderr captured."""
    try:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            env=python_env(env, clean=clean_env),
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=check,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"python {' '.join(args)} still running after {timeout} s: {exc.stderr}")


def run_cli(
    *args: str,
    cwd: Path = REPO_ROOT,
    env: Env | None = None,
    clean_env: bool = False,
    timeout: float = 120,
    stdout: IO[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m driftwatch ARGS``: the CLI as a user runs it (see :func:`run_python`)."""
    return run_python(
        "-m",
        "driftwatch",
        *args,
        cwd=cwd,
        env=env,
        clean_env=clean_env,
        timeout=timeout,
        stdout=stdout,
    )


def printed_json(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a child printed on its last line of stdout."""
    return json.loads(done.stdout.strip().splitlines()[-1])
