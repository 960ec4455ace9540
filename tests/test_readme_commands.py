"""Every `driftwatch ...` command of the README's ```bash blocks runs as printed.

The commands run in README order from a temporary copy of the repository root (the quick start's
`driftwatch run` comes first, as a newcomer runs it), with the code of this tree
(`python -m driftwatch`, PYTHONPATH). `scripts/readme-command` runs the two set-up commands the
same way in CI. Commands that serve until stopped are listed in SERVES with the reason: each must
still be serving after a few seconds, and stop cleanly (exit 0) on SIGTERM.
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import python_env, run_cli

ROOT = Path(__file__).resolve().parents[1]

SERVES = {
    "driftwatch schedule": "serves until SIGTERM / Ctrl-C (the README says so)",
}
"""Commands that run until stopped, by their first two words, and why."""

_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_commands(text: str) -> list[str]:
    """The `driftwatch ...` commands of every ```bash block, in order, comments dropped.

    A line continued with a backslash is one command; `a && driftwatch b` yields `driftwatch b`.
    """
    commands = []
    for block in _BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            pieces: list[list[str]] = [[]]
            for word in words:
                if word in ("&&", "||", ";"):
                    pieces.append([])
                else:
                    pieces[-1].append(word)
            commands.extend(
                shlex.join(piece) for piece in pieces if piece and piece[0] == "driftwatch"
            )
    return commands


def test_commands_are_extracted_from_bash_blocks_only() -> None:
    text = (
        "```bash\npython3 -m pip install . && driftwatch run --config c.yaml\n```\n"
        "```text\ndriftwatch not-a-command\n```\n"
        "```bash\ndriftwatch backfill --config c.yaml \\\n  --monitor m   # a comment\n"
        "echo done\n```\n"
    )
    assert readme_commands(text) == [
        "driftwatch run --config c.yaml",
        "driftwatch backfill --config c.yaml --monitor m",
    ]


def test_the_readme_has_commands_to_check() -> None:
    commands = readme_commands((ROOT / "README.md").read_text())
    assert commands[0] == "driftwatch run --config config/example.yaml"
    assert any(c.startswith("driftwatch backfill") for c in commands)


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as a newcomer has it: sources, config, data, no results database."""
    copy = tmp_path_factory.mktemp("readme") / "repo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.db", ".pytest_cache", ".mypy_cache", ".ruff_cache"
        ),
    )
    return copy


_COLUMNS = {"COLUMNS": "120"}


def _argv(command: str) -> list[str]:
    return [sys.executable, "-m", "driftwatch", *shlex.split(command)[1:]]


def _serve_briefly(command: str, cwd: Path) -> None:
    """Start ``command``, wait for the scheduler's ``started`` event, then SIGTERM it."""
    process = subprocess.Popen(
        _argv(command),
        cwd=cwd,
        env=python_env(_COLUMNS),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if re.search(r"\bstarted\b", line):
                started.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        serving = started.wait(timeout=180) and process.poll() is None
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    watcher.join(timeout=10)
    if process.stderr is not None:
        process.stderr.close()
    log = "".join(lines)[-1500:]
    assert serving, f"`{command}` did not start serving ({process.returncode}): {log}"
    assert process.returncode == 0, f"`{command}` did not stop cleanly: {log}"


@pytest.mark.slow
def test_every_readme_command_runs_as_printed(repo_copy: Path) -> None:
    failures = []
    for command in readme_commands((repo_copy / "README.md").read_text()):
        if " ".join(command.split()[:2]) in SERVES:
            _serve_briefly(command, repo_copy)
            continue
        done = run_cli(*shlex.split(command)[1:], cwd=repo_copy, env=_COLUMNS, timeout=300)
        if done.returncode != 0:
            failures.append(f"`{command}` exited {done.returncode}: {done.stderr.strip()[-500:]}")
    assert not failures, "\n".join(failures)
