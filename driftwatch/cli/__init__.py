"""The ``driftwatch`` command: a thin shell over the typed functions of the package.

Every :class:`~driftwatch.errors.DriftwatchError` becomes one line on stderr and exit code 2;
``--debug`` adds the traceback and keeps the exit code. Subcommands are imported when used, not
here: the root group lists them from :data:`COMMANDS`.
"""

from __future__ import annotations

from driftwatch.cli.main import cli, main

COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "driftwatch.cli.run:run",
        "Run monitors once now, store the results, and print a table per monitor.",
    ),
    "validate": (
        "driftwatch.cli.validate:validate",
        "Check a config without running it: sources, features, bins, thresholds, error budget.",
    ),
    "db": ("driftwatch.cli.db:db", "Create, inspect and migrate the results database schema."),
    "report": (
        "driftwatch.cli.report:report",
        "Print the latest state of every monitor: its latest finished run, most severe first.",
    ),
    "history": (
        "driftwatch.cli.report:history",
        "Print one feature's metric over time, oldest window first (finished runs only).",
    ),
    "compare": (
        "driftwatch.cli.compare:compare",
        "Score a span of stored windows against the reference or other windows (read-only).",
    ),
    "alerts": (
        "driftwatch.cli.alerts:alerts",
        "Alert states and the notification outbox (pending, sent, dead); subcommands act on them.",
    ),
    "schedule": (
        "driftwatch.cli.schedule:schedule",
        "Run every scheduled monitor on its cron/interval until stopped (SIGTERM or Ctrl-C).",
    ),
    "backfill": (
        "driftwatch.cli.schedule:backfill",
        "Compute every window of a monitor's schedule between --since and --until, oldest first.",
    ),
    "metrics": (
        "driftwatch.cli.metrics:metrics",
        "Print the Prometheus metrics of the results database (read-only) and exit.",
    ),
    "status": (
        "driftwatch.cli.schedule:status",
        "Per monitor: next fire, last run and its status, windows owed, gaps, alert state.",
    ),
}
"""Every subcommand: where it is defined, and its short help for ``driftwatch --help`` (a test
checks that each matches the command's own first docstring line)."""

for _name, (_target, _short_help) in COMMANDS.items():
    cli.add_lazy_command(_name, _target, _short_help)

__all__ = ["COMMANDS", "cli", "main"]
