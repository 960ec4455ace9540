"""Backfill over the bundled car-loan data: monthly windows, idempotent, a drift time series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from scheduler_helpers import REPO_ROOT, stored_runs

from driftwatch.config import Config, load_config
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.store import Store
from driftwatch.store.models import Run
from tests.helpers import run_cli

SINCE = datetime(2018, 11, 1, tzinfo=UTC)
UNTIL = datetime(2019, 9, 1, tzinfo=UTC)


@pytest.fixture
def example() -> Config:
    return load_config(REPO_ROOT / "config" / "example.yaml")


@pytest.fixture
def runner(example: Config, store: Store) -> Iterator[WindowRunner]:
    yield WindowRunner(example, store)


def _run_ids(url: str) -> list[tuple[int, datetime]]:
    store = Store.open(url)
    try:
        with store.session() as session:
            return list(session.execute(sa.select(Run.id, Run.started_at).order_by(Run.id)).all())
    finally:
        store.close()


def test_backfill_gives_one_run_per_month(runner: WindowRunner, database_url: str) -> None:
    report = runner.backfill("car-loan", SINCE, UNTIL)
    runs = stored_runs(database_url, "car-loan")
    assert report.computed == 10
    assert [(r.window_start.month, r.window_end.month) for r in runs] == [
        (11, 12), (12, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9),
    ]  # fmt: skip
    assert {(r.status, r.trigger) for r in runs} == {("succeeded", "backfill")}
    assert runs[0].window_start == SINCE and runs[-1].window_end == UNTIL


def test_rerunning_backfill_changes_nothing(runner: WindowRunner, database_url: str) -> None:
    runner.backfill("car-loan", SINCE, UNTIL)
    before = _run_ids(database_url)
    again = runner.backfill("car-loan", SINCE, UNTIL)
    assert [r.action for r in again.results] == ["done"] * 10
    assert _run_ids(database_url) == before


def test_backfill_rerun_recomputes_every_window_once(
    runner: WindowRunner, database_url: str
) -> None:
    runner.backfill("car-loan", SINCE, UNTIL)
    before = _run_ids(database_url)
    again = runner.backfill("car-loan", SINCE, UNTIL, rerun=True)
    assert again.computed == 10
    after = _run_ids(database_url)
    assert len(after) == 10 and not set(after) & set(before)


def test_backfill_gives_a_drift_time_series_where_the_injected_drift_shows(
    runner: WindowRunner, store: Store
) -> None:
    runner.backfill("car-loan", SINCE, UNTIL)
    with store.session() as session:  # the dashboard view of one feature's time series
        series = session.execute(
            sa.text(
                "SELECT window_start, value FROM feature_timeseries WHERE monitor = 'car-loan' "
                "AND feature = 'car_value' AND metric = 'js' ORDER BY window_start"
            )
        ).all()
    values = [value for _, value in series]
    assert len(values) == 10
    # NannyML injects drift in the second half of the analysis period
    assert min(values[-4:]) > 3 * max(values[:4])


README_BACKFILL = (
    "driftwatch backfill --config config/example.yaml --monitor car-loan "
    "--since 2018-11-01 --until 2019-09-01"
)


@pytest.mark.slow
def test_backfill_command_runs_the_readme_example_twice_idempotently(tmp_path: Path) -> None:
    assert README_BACKFILL in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'results.db'}"
    command = [*README_BACKFILL.split()[1:], "--database", database]
    first = run_cli(*command, clean_env=True, timeout=60)
    second = run_cli(*command, clean_env=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "10 computed (10 succeeded, 0 no_data, 0 failed), 0 already computed" in first.stdout
    assert first.stderr.count("run monitor=car-loan") == 10
    assert second.returncode == 0, second.stderr
    assert "0 computed" in second.stdout and "10 already computed" in second.stdout
    assert len(stored_runs(database, "car-loan")) == 10
