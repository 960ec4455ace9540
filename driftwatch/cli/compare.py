"""``driftwatch compare``: a span of stored windows against a reference, from the store alone."""

from __future__ import annotations

from typing import Any

import click
from rich.text import Text

from driftwatch.cli import documents, output, render
from driftwatch.cli.main import EXIT_OK, EXIT_USER_ERROR, config_option, database_option, example
from driftwatch.cli.main import fail as fail_line
from driftwatch.cli.run import render_outcome
from driftwatch.commands import compare as compare_command
from driftwatch.commands.run import error_line
from driftwatch.comparison import DriftReport
from driftwatch.config import load_config

__all__ = ["compare", "compare_document"]


def _against_line(report: DriftReport) -> str:
    """``live: 3 stored windows summed`` and, on a line of its own (80 columns hold it),
    ``reference: previous, 3 stored windows 2018-10-01 00:00 → 2019-01-01 00:00``."""
    outcome = report.outcome
    windows = outcome.extra.get("windows", [])
    live = f"live: {len(windows)} stored window{'s' if len(windows) != 1 else ''} summed"
    used = outcome.reference_used
    if used is None or not used.windows:
        return f"{live}\nreference: the stored reference profile"
    span = f"{render.when(used.windows[0].start)} → {render.when(used.windows[-1].end)}"
    count = len(used.windows)
    return (
        f"{live}\nreference: {outcome.extra.get('against')}, {count} stored "
        f"window{'s' if count != 1 else ''} {span}"
    )


def compare_document(report: DriftReport, *, dataset_drift_enabled: bool) -> dict[str, Any]:
    """The run document of the comparison, with what it was compared against."""
    outcome = report.outcome
    document = documents.run_document(outcome, dataset_drift_enabled=dataset_drift_enabled)
    used = outcome.reference_used
    document["against"] = {
        "kind": outcome.extra.get("against"),
        "windows": None if used is None else used.to_json(),
    }
    document["live_windows"] = [
        {"start": w.start, "end": w.end} for w in outcome.extra.get("windows", [])
    ]
    return document


@click.command(
    epilog=example(
        "driftwatch compare --config config/example.yaml -m car-loan "
        "--window 2019-01-01/2019-04-01 --against reference",
        "driftwatch compare --config config/example.yaml -m car-loan "
        "--window 2019-07-01/2019-09-01 --against previous --format json",
        "driftwatch compare --config config/example.yaml -m car-loan "
        "--window 2019-08-01/2019-09-01 --against rolling:3",
    )
)
@config_option
@database_option
@click.option(
    "--monitor", "-m", "monitor", required=True, help="The monitor whose windows to add up."
)
@click.option(
    "--window",
    "window",
    required=True,
    metavar="START/END",
    help="The span to score: stored windows covering it end to end are added up.",
)
@click.option(
    "--against",
    default="reference",
    show_default=True,
    metavar="REF",
    help="reference | previous (as many windows, just before) | rolling:N | START/END.",
)
@output.format_option("table", "json", "csv")
def compare(
    config_path: str,
    database: str | None,
    monitor: str,
    window: str,
    against: str,
    output_format: str,
) -> None:
    """Score a span of stored windows against the reference or other windows (read-only).

    The live histogram of --window is the sum of the stored live counts of the windows covering
    it, on the same frozen bins; --against picks the reference: the stored reference profile,
    the same number of windows just before (previous), the N windows just before (rolling:N) or
    another span. The same metrics, rule and result rows as `driftwatch run`, computed from the
    results database alone: no data is read and nothing is written.

    A span with a gap, or whose windows sit on different bins (the reference changed), is refused
    with one line naming the windows (exit 2).
    """
    try:
        report = compare_command.compare_stored(
            config_path, monitor, window, against, database=database
        )
    except ValueError as exc:  # --window or --against is not one of the accepted forms
        raise click.BadParameter(str(exc)) from None
    enabled = load_config(config_path).monitor(monitor).dataset_drift.enabled
    if output_format == "json":
        output.emit_json(compare_document(report, dataset_drift_enabled=enabled))
    elif output_format == "csv":
        output.emit_csv(report.to_frame())
    else:
        out = output.console()
        out.print(Text(_against_line(report), style="dim"))
        render_outcome(report.outcome, out, dataset_drift_enabled=enabled)
    errors = [
        error_line(monitor, f.reason or "failed", feature=f.name)
        for f in report.outcome.features
        if f.status == "error"
    ]
    for line in errors:
        fail_line(line)
    raise SystemExit(EXIT_USER_ERROR if errors else EXIT_OK)
