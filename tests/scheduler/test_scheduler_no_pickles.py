"""No row of the results database is ever unpickled: the scheduler's jobs live in its memory.

APScheduler's ``SQLAlchemyJobStore`` (used up to schema 0006) unpickles ``apscheduler_jobs.
job_state``, so a row written by anyone who can write to the results database (a dashboard's
account) ran code in the scheduler. Here such a row holds a pickle that creates a file when it is
loaded: starting the scheduler, ``driftwatch status`` and the migration never create it.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from scheduler_helpers import config_mapping, monitor_entry

from driftwatch.cli import cli
from driftwatch.config import load_config
from driftwatch.scheduler.runner import WindowRunner
from driftwatch.scheduler.serve import serve
from driftwatch.scheduler.service import SchedulerService
from driftwatch.scheduler.status import monitor_statuses
from driftwatch.store import Store
from driftwatch.store import database as schema

# The table as APScheduler 3's SQLAlchemyJobStore creates it.
JOBS = sa.Table(
    "apscheduler_jobs",
    sa.MetaData(),
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)


class Touch:
    """Loading its pickle creates ``path``: what a crafted ``job_state`` does, harmlessly."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.path,))


def crafted(path: Path) -> bytes:
    return pickle.dumps(Touch(path), protocol=pickle.HIGHEST_PROTOCOL)


def test_the_crafted_pickle_creates_its_file_when_loaded(tmp_path: Path) -> None:
    """A guard for the tests below: their payload does run when unpickled."""
    marker = tmp_path / "loaded"
    pickle.loads(crafted(marker))
    assert marker.is_file()


def plant(engine: sa.Engine, marker: Path) -> None:
    """An ``apscheduler_jobs`` table with a crafted, due row for monitor ``m``."""
    JOBS.create(engine, checkfirst=True)
    due = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    with engine.begin() as connection:
        connection.execute(
            JOBS.insert().values(id="monitor:m", next_run_time=due, job_state=crafted(marker))
        )


def test_starting_the_scheduler_and_status_unpickle_no_row(
    live_now: Path, write_config: Callable[..., Path], database_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    config_path = write_config(
        config_mapping(database_url, monitor_entry("m", {"cron": "0 * * * *"}))
    )
    config = load_config(config_path)
    store = Store.open(database_url)
    try:
        plant(store.engine, marker)

        runner = WindowRunner(config, store)
        service = SchedulerService(config, runner)
        try:
            service.start()
            service.resume()
            assert set(service.next_fire_times()) == {"m"}  # the config's job, not the row's
        finally:
            service.shutdown()
        assert serve(runner, on_ready=lambda _service: runner.stop.set())

        (status,), _ = monitor_statuses(config, store)
        assert status.job_state == "scheduled" and status.next_fire is not None
        result = CliRunner().invoke(cli, ["status", "--config", str(config_path)])
        assert result.exit_code == 0, result.output
    finally:
        store.close()
    assert not marker.exists()


def test_the_migration_drops_the_job_table_without_reading_it(
    database_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    engine = schema.connect(database_url)
    try:
        schema.upgrade(engine, "0006")
        plant(engine, marker)
        schema.upgrade(engine)
        assert not sa.inspect(engine).has_table("apscheduler_jobs")
        assert schema.current_revision(engine) == schema.HEAD_REVISION
        schema.downgrade(engine, "0006")  # 0006's scheduler creates the table itself
        assert not sa.inspect(engine).has_table("apscheduler_jobs")
    finally:
        engine.dispose()
    assert not marker.exists()
