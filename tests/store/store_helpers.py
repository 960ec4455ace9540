"""Builders of run outcomes with known numbers, and the example database the dashboard tests read.

Outcomes are built with the monitor's own dataclasses and saved through the public
``Store.save_run``, so every test exercises the real write path; the numbers are chosen so the
expected dashboard rows can be written down by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from driftwatch.data import DATA_DIR
from driftwatch.engine import Histogram, fit_categorical_bins, fit_numeric_bins
from driftwatch.results import FeatureOutcome, MetricOutcome, RunOutcome, Verdict
from driftwatch.store import Store
from driftwatch.timeutil import TimeWindow
from tests.helpers import run_cli

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
UNITS = {"js": "bits", "kl": "nats"}
THRESHOLDS = {"js": (0.05, 0.1), "kl": (0.1, 0.25)}

_NUMERIC_BINS = fit_numeric_bins(np.arange(100, dtype=float), strategy="uniform", bins=4)
_CATEGORICAL_BINS = fit_categorical_bins(np.array(["a", "b", "c"] * 10, dtype=object))


def window(index: int) -> tuple[datetime, datetime]:
    """The ``index``-th hourly window from T0."""
    return T0 + index * HOUR, T0 + (index + 1) * HOUR


def grade(metric: str, value: float) -> str:
    warn, critical = THRESHOLDS[metric]
    return "critical" if value >= critical else "warn" if value >= warn else "ok"


def feature(name: str, values: Mapping[str, float | None], *, n_live: int = 200) -> FeatureOutcome:
    """A feature with the given metric values (None: ``no_data``) and a real histogram pair."""
    numeric = not name.startswith("cat_")
    bins = _NUMERIC_BINS if numeric else _CATEGORICAL_BINS
    reference = Histogram(bins, np.arange(1, bins.n_bins + 1, dtype=np.int64))
    live_counts = np.zeros(bins.n_bins, dtype=np.int64)
    live_counts[1] = n_live
    metrics = []
    for metric, value in values.items():
        if value is None:
            metrics.append(
                MetricOutcome(metric, None, UNITS[metric], "no_data", reason="too few rows")
            )
            continue
        status = grade(metric, value)
        warn, critical = THRESHOLDS[metric]
        verdict = Verdict(status, warn, critical, "constant", decision_threshold=warn)
        metrics.append(MetricOutcome(metric, value, UNITS[metric], status, verdict))
    statuses = [m.status for m in metrics]
    worst = min(statuses, key=["critical", "warn", "no_data", "ok"].index)
    return FeatureOutcome(
        name=name,
        kind="numeric" if numeric else "categorical",
        status=worst,
        metrics=tuple(metrics),
        reference=reference,
        live=Histogram(bins, live_counts),
        reason="too few rows" if worst == "no_data" else None,
    )


def outcome(
    monitor: str,
    index: int,
    features: Mapping[str, Mapping[str, float | None]] | None = None,
    *,
    status: str = "succeeded",
    error: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    **extra: Any,
) -> RunOutcome:
    """A run of ``monitor`` over hourly window ``index`` with the given feature × metric values."""
    window_start, window_end = window(index)
    built = tuple(feature(name, values) for name, values in (features or {}).items())
    return RunOutcome(
        monitor=monitor,
        window=TimeWindow(start or window_start, end or window_end),
        status=status,  # type: ignore[arg-type]
        started_at=window_end,
        finished_at=window_end + timedelta(seconds=2),
        duration_seconds=2.0,
        features=built,
        n_reference=1000,
        n_live=200 if built else None,
        error=error,
        **extra,
    )


def count_rows(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


# --- the example database -------------------------------------------------------------------------
#
#   credit  windows 0..3: window 1 computed twice (the rerun replaced it), window 3 failed.
#           latest finished run = window 2.
#   churn   window 0 succeeded, window 1 no_data (too few rows): latest = window 1, all no_data.
#   legacy  window 0 watched `income` and `age`; window 1 (latest) only `age`: `income` is gone.

CREDIT = {
    0: {"age": {"js": 0.01, "kl": 0.02}, "cat_state": {"js": 0.03, "kl": 0.05}},
    1: {"age": {"js": 0.04, "kl": 0.06}, "cat_state": {"js": 0.08, "kl": 0.2}},
    2: {"age": {"js": 0.12, "kl": 0.3}, "cat_state": {"js": 0.06, "kl": 0.11}},
}
CREDIT_FIRST_TRY_OF_WINDOW_1 = {"age": {"js": 0.5, "kl": 0.9}, "cat_state": {"js": 0.5, "kl": 0.9}}


def populate_example(store: Store) -> None:
    """Write the example database described above through ``Store.save_run``."""
    save = store.save_run
    save(outcome("credit", 0, CREDIT[0]))
    save(outcome("credit", 1, CREDIT_FIRST_TRY_OF_WINDOW_1))
    save(outcome("credit", 2, CREDIT[2]))
    save(outcome("credit", 1, CREDIT[1]))  # the rerun replaces the first try
    save(outcome("credit", 3, status="failed", error="live file missing"))
    save(outcome("churn", 0, {"tenure": {"js": 0.07}}))
    save(outcome("churn", 1, {"tenure": {"js": None}}, status="no_data"))
    save(outcome("legacy", 0, {"age": {"js": 0.02}, "income": {"js": 0.3}}))
    save(outcome("legacy", 1, {"age": {"js": 0.03}}))


# Expected rows of the views on the example database: (monitor, feature, metric, value, status).
EXPECTED_LATEST = {
    ("credit", "age", "js", 0.12, "critical"),
    ("credit", "age", "kl", 0.3, "critical"),
    ("credit", "cat_state", "js", 0.06, "warn"),
    ("credit", "cat_state", "kl", 0.11, "warn"),
    ("churn", "tenure", "js", None, "no_data"),
    ("legacy", "age", "js", 0.03, "ok"),
}
EXPECTED_CREDIT_AGE_JS = [  # (window_end, value), oldest first
    (window(0)[1], 0.01),
    (window(1)[1], 0.04),
    (window(2)[1], 0.12),
]


# --- a real monitor on the bundled Seattle weather data ------------------------------------------


def weather_config(path: Path, reference_csv: Path, *, bins: int = 10) -> Path:
    """Write a one-monitor config: ``weather``, 2012 of ``reference_csv`` against any window."""
    config = {
        "defaults": {
            "min_rows": 5,
            "metrics": ["js", "kl"],
            "thresholds": {
                "js": {"kind": "constant", "warn": 0.05, "critical": 0.1},
                "kl": {"kind": "constant", "warn": 0.1, "critical": 0.25},
            },
        },
        "monitors": [
            {
                "name": "weather",
                "reference": {
                    "type": "csv",
                    "path": str(reference_csv),
                    "timestamp_column": "date",
                    "start": "2012-01-01",
                    "end": "2013-01-01",
                },
                "live": {
                    "type": "csv",
                    "path": str(DATA_DIR / "seattle-weather.csv"),
                    "timestamp_column": "date",
                },
                "binning": {"strategy": "quantile", "bins": bins},
                "features": {"numeric": ["temp_max", "wind"], "categorical": ["weather"]},
            }
        ],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def month(year: int, number: int) -> tuple[datetime, datetime]:
    """The calendar month as a UTC window."""
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def driftwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m driftwatch ARGS`` in a subprocess importing this source tree."""
    return run_cli(*args, cwd=cwd)


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """The same command run in-process through click's CliRunner (no interpreter start-up)."""
    from click.testing import CliRunner

    from driftwatch.cli import cli

    env = {"COLUMNS": "200", "DRIFTWATCH_DB": None, "DRIFTWATCH_CONFIG": None}
    result = CliRunner(env=env).invoke(cli, list(args), prog_name="driftwatch")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["driftwatch", *args], result.exit_code, result.stdout, result.stderr
    )


# --- child processes of the concurrency tests (importable by multiprocessing's spawn) -----------


def open_store_in_child(url: str, barrier: Any, results: Any) -> None:
    """Open (and so migrate, if brand new) the store right after the other process does."""
    try:
        barrier.wait(timeout=60)
        Store.open(url).close()
        results.put(("ok", []))
    except BaseException as exc:  # reported to the parent, which asserts there is none
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def save_windows_in_child(
    url: str, monitor: str, indices: list[int], value: float, on_rerun: str, barrier: Any,
    results: Any,
) -> None:  # fmt: skip
    """Save one run per window index, meeting the other process at the barrier before each."""
    try:
        store = Store.open(url)
        try:
            actions = []
            for index in indices:
                run = outcome(
                    monitor, index, {f"f{i}": {"js": value, "kl": value} for i in range(20)}
                )
                barrier.wait(timeout=60)
                actions.append(store.save_run(run, on_rerun=on_rerun).action)  # type: ignore[arg-type]
        finally:
            store.close()
        results.put(("ok", actions))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


# --- the command line in a forked, pre-imported process (the kill tests) ------------------------

# What a `driftwatch run` or `db upgrade` imports, loaded once by the fork server so that each
# child starts the command at once: the kills land in the command, not in the interpreter start-up.
PRELOAD = [
    "store_helpers",
    "driftwatch.cli",
    "driftwatch.cli.run",
    "driftwatch.cli.db",
    "driftwatch.api",
    "driftwatch.store.database",
    "driftwatch.sources.csv",
    "sqlalchemy.dialects.sqlite",
    "scipy.special",
    "pyarrow.csv",
    "alembic.config",
    "alembic.command",
    "alembic.runtime.migration",
    "alembic.script",
    "alembic.operations",
]

_SCHEMA_STATEMENTS = ("BEGIN", "CREATE", "ALTER", "DROP")


def cli_in_child(
    args: list[str], output: str, trace: str | None = None, stop_after: int | None = None
) -> None:
    """``driftwatch ARGS`` in this process, stdout and stderr into the file ``output``; the exit
    code is the command's. With ``trace``, each schema statement's time (seconds since this
    function started) and first word go to that file, one per line, and so do COMMITs; with
    ``stop_after``, the process stops itself (SIGSTOP) once that many of them have run, after
    writing ``STOPPED`` there."""
    import signal
    import time

    started = time.monotonic()
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.update(COLUMNS="200")
    for name in ("DRIFTWATCH_DB", "DRIFTWATCH_CONFIG"):
        os.environ.pop(name, None)
    if trace is not None:
        import sqlalchemy as sa

        lines = open(trace, "w", buffering=1, encoding="utf-8")  # noqa: SIM115 (the child's life)

        def ours(connection: Any) -> bool:  # not the in-memory database of _revision_shapes
            return bool(connection.engine.url.database)

        def statement(connection: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
            word = sql.lstrip().split(None, 1)[0].upper()
            if word in _SCHEMA_STATEMENTS and ours(connection):
                lines.write(f"{time.monotonic() - started:.4f} {word}\n")

        def commit(connection: Any) -> None:
            if ours(connection):
                lines.write(f"{time.monotonic() - started:.4f} COMMIT\n")

        creates = []

        def executed(connection: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
            if stop_after is not None and ours(connection) and sql.lstrip()[:6].upper() == "CREATE":
                creates.append(sql)
                if len(creates) == stop_after:
                    lines.write("STOPPED\n")
                    os.kill(os.getpid(), signal.SIGSTOP)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", statement)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", executed)
        sa.event.listen(sa.engine.Engine, "commit", commit)
    from driftwatch.cli import main

    sys.argv = ["driftwatch", *args]
    main()
