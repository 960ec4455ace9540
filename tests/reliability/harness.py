"""The hardening matrix's case type and runner: one config and data in, exit code, one error line
and the database state out.

A :class:`Case` is a table row: the files it writes (the config and its data, placeholders
``{db}`` for the results database URL and ``{dir}`` for the case's folder), the command line, and
what must come out — the exit code, a regular expression the one ``driftwatch: error:`` line
must match (``None``: no error line at all), and the results database afterwards (the statuses
of its runs and of each feature's rows). Every case is also held to the house rules whatever it
expects: no traceback, no "internal error", each problem printed once, no ``running`` run left
behind, and a failed run has no scored rows (only the ``error`` rows that say why; no partial
run).

:func:`run_case` runs the command in-process with click's CliRunner, so the whole matrix takes
seconds, not a process start per case. Fault tests (tests/reliability/test_faults.py) reuse it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from click.testing import CliRunner, Result

from driftwatch.cli import cli

__all__ = [
    "BASE_CONFIG",
    "LIVE_CSV",
    "REF_CSV",
    "Backend",
    "Case",
    "DbState",
    "case_params",
    "config_with",
    "csv_text",
    "read_state",
    "run_case",
]

Backend = Literal["sqlite", "postgresql", "any"]
"""Where a case runs: each results backend, or once when the case names its own database."""


def csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _frame(seed: int, n: int = 200, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": np.round(rng.normal(shift, 1.0, n), 6),
            "b": np.round(rng.exponential(1.0, n), 6),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )


REF_FRAME = _frame(1)
REF_CSV = csv_text(REF_FRAME)
"""200 reference rows: ``a`` normal, ``b`` exponential (numeric), ``c`` in x/y/z (categorical)."""
LIVE_CSV = csv_text(_frame(2))
"""200 live rows from the same distributions: every feature ``ok``."""
DRIFTED_CSV = csv_text(_frame(3, shift=3.0))
"""200 live rows with ``a`` shifted by 3σ: ``a`` critical."""

BASE_CONFIG = """\
database: {db}
monitors:
  - name: m1
    reference: {type: csv, path: ref.csv}
    live: {type: csv, path: live.csv}
    features: {numeric: [a, b], categorical: [c]}
    metrics: [js]
"""
"""The config most cases start from (see :func:`config_with`)."""


def config_with(old: str, new: str, base: str = BASE_CONFIG) -> str:
    """``base`` with the text ``old`` replaced by ``new`` (which must occur exactly once)."""
    assert base.count(old) == 1, f"{old!r} occurs {base.count(old)} times in the config"
    return base.replace(old, new)


@dataclass(frozen=True)
class DbState:
    """The results database after the command: run statuses, and features' statuses by metric."""

    runs: tuple[str, ...] = ()
    """The status of every run, sorted; () means no run was written."""
    features: Mapping[str, str] = field(default_factory=dict)
    """feature → the status of its rows (every metric); only the features named are checked."""
    notifications: tuple[str, ...] | None = None
    """The status of every notification, sorted; None: not checked."""


@dataclass(frozen=True)
class Case:
    """One row of the matrix."""

    id: str
    exit: int
    message: str | None = None
    """A regex the first ``driftwatch: error:`` line must match; None: no error line at all."""
    config: str | None = BASE_CONFIG
    """The config file's text (``{db}``, ``{dir}`` filled in); None: no config file written."""
    files: Mapping[str, str | bytes] = field(
        default_factory=lambda: {"ref.csv": REF_CSV, "live.csv": LIVE_CSV}
    )
    args: tuple[str, ...] = ("run", "--config", "{config}")
    env: Mapping[str, str] = field(default_factory=dict)
    db: DbState | None = DbState()
    """The results database afterwards; None: not checked (a database the case names itself)."""
    backends: tuple[Backend, ...] = ("sqlite", "postgresql")
    error_lines: int | None = 1
    """How many ``driftwatch: error:`` lines (None: at least one) when ``message`` is set."""
    stdout: str | None = None
    """A regular expression stdout must match (``validate``'s verdict, a table's status)."""
    stderr: str | None = None
    """A regular expression stderr must match (click's own ``Error:`` lines for misuse)."""
    setup: tuple[tuple[str, ...], ...] = ()
    """Commands run first, each expected to exit 0 (``db downgrade 0003`` before a ``run``)."""
    setup_sql: tuple[str, ...] = ()
    """SQL run on the results database first (after the setup commands)."""
    hidden: tuple[str, ...] = ()
    """Text that must appear nowhere in the output (a password)."""
    absent_paths: tuple[str, ...] = ()
    """Files (relative to the case's folder) the command must not create."""


def case_params(cases: list[Case]) -> list[Any]:
    """``pytest.param`` per (case, backend), with ids ``case-id-backend``."""
    import pytest

    params = []
    for case in cases:
        for backend in case.backends:
            marks = [pytest.mark.postgresql] if backend == "postgresql" else []
            params.append(pytest.param(case, backend, id=f"{case.id}-{backend}", marks=marks))
    return params


def _fill(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def read_state(url: str) -> DbState:
    """What a results database holds (empty when it has no tables, or no file)."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return DbState()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            if "runs" not in tables:
                return DbState()
            runs = tuple(
                sorted(r for (r,) in connection.exec_driver_sql("SELECT status FROM runs"))
            )
            rows = connection.exec_driver_sql(
                "SELECT feature, status FROM feature_results ORDER BY feature"
            ).all()
            features: dict[str, str] = {}
            for feature, status in rows:
                assert features.setdefault(feature, status) == status, (
                    f"feature {feature!r} has rows of different statuses"
                )
            notes = tuple(
                sorted(s for (s,) in connection.exec_driver_sql("SELECT status FROM notifications"))
            )
            failed_rows = connection.exec_driver_sql(
                "SELECT COUNT(*) FROM feature_results f JOIN runs r ON r.id = f.run_id "
                "WHERE r.status = 'failed' AND f.status <> 'error'"
            ).scalar_one()
    finally:
        engine.dispose()
    assert "running" not in runs, "a run was left 'running' (a partial run)"
    assert failed_rows == 0, "a failed run has scored result rows (a partial run)"
    return DbState(runs, features, notes)


def run_case(case: Case, folder: Path, database_url: str) -> Result:
    """Write the case's files into ``folder``, run its command, check every expectation."""
    values = {"dir": str(folder), "db": database_url}
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(_fill(content, values), encoding="utf-8")
    config = folder / "driftwatch.yaml"
    if case.config is not None:
        config.write_text(_fill(case.config, values), encoding="utf-8")
    values["config"] = str(config)
    env = {"COLUMNS": "200", **{k: _fill(v, values) for k, v in case.env.items()}}
    runner = CliRunner(env=env)
    for command in case.setup:
        done = runner.invoke(cli, [_fill(arg, values) for arg in command], catch_exceptions=False)
        assert done.exit_code == 0, done.output
    if case.setup_sql:
        engine = sa.create_engine(database_url)
        try:
            with engine.begin() as connection:
                for statement in case.setup_sql:
                    connection.exec_driver_sql(statement)
        finally:
            engine.dispose()
    args = [_fill(arg, values) for arg in case.args]
    result = runner.invoke(cli, args, catch_exceptions=False)
    output = result.output
    for secret in case.hidden:
        assert secret not in output, f"{secret!r} shown:\n{output}"
    for name in case.absent_paths:
        assert not (folder / name).exists(), f"{name} was created"
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    assert "WARNING" not in result.stderr, f"a failure logged besides its error line:\n{output}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("driftwatch: error:")]
    assert len(errors) == len(set(errors)), f"an error line printed twice:\n{output}"
    assert result.exit_code == case.exit, (
        f"exit {result.exit_code}, expected {case.exit}:\n{output}"
    )
    if case.message is None:
        assert errors == [], output
    else:
        assert errors, f"no error line:\n{output}"
        if case.error_lines is not None:
            assert len(errors) == case.error_lines, output
        assert re.search(case.message, errors[0]), f"{case.message!r} not in {errors[0]!r}"
        assert len(errors[0]) < 1200, "an error line should be one readable line"
    if case.stderr is not None:
        assert re.search(case.stderr, result.stderr), result.stderr
    if case.stdout is not None:
        assert re.search(case.stdout, result.stdout), result.stdout
    if case.db is not None:
        state = read_state(database_url)
        assert state.runs == case.db.runs, output
        for feature, status in case.db.features.items():
            assert state.features.get(feature) == status, (feature, state.features, output)
        if case.db.notifications is not None:
            assert state.notifications == case.db.notifications, output
    return result
