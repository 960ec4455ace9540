"""The ``driftwatch`` command: a thin shell over the typed functions of the package.

Every :class:`~driftwatch.errors.DriftwatchError` becomes one line on stderr and exit code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

from driftwatch.cli.alerts import alerts
from driftwatch.cli.db import db
from driftwatch.cli.main import cli, main
from driftwatch.cli.metrics import metrics
from driftwatch.cli.report import history, report
from driftwatch.cli.run import run, validate
from driftwatch.cli.schedule import backfill, schedule, status

cli.add_command(run)
cli.add_command(validate)
cli.add_command(db)
cli.add_command(report)
cli.add_command(history)
cli.add_command(alerts)
cli.add_command(schedule)
cli.add_command(backfill)
cli.add_command(status)
cli.add_command(metrics)

__all__ = ["cli", "main"]
