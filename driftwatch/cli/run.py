"""``driftwatch run``."""

from __future__ import annotations

import click
from rich.console import Console
from rich.text import Text

from driftwatch.cli import documents, output, render
from driftwatch.cli.main import (
    EXIT_DRIFT,
    EXIT_OK,
    EXIT_UNDELIVERED,
    EXIT_USER_ERROR,
    config_option,
    database_option,
    example,
    fail,
    parse_when,
    settings,
)
from driftwatch.cli.output import Column, Row
from driftwatch.cli.progress import progress_reporter
from driftwatch.commands import run as run_command
from driftwatch.escaping import terminal
from driftwatch.results import (
    DISPLAY_ORDER,
    FeatureOutcome,
    RunOutcome,
    Status,
    verdict_columns,
)
from driftwatch.timeutil import TimeWindow

__all__ = ["render_outcome", "run", "run_exit_code"]

_FAIL_LEVELS: dict[str, tuple[Status, ...]] = {
    "warn": ("warn", "critical"),
    "critical": ("critical",),
    "never": (),
}


def _fires_at(feature: FeatureOutcome, metric: str) -> float | None:
    """The stored decision threshold of ``metric``: its value at which the rule fires at this n."""
    verdict = next((m.verdict for m in feature.metrics if m.metric == metric), None)
    return verdict_columns(verdict)["decision_threshold"]


def _moved_most(feature: FeatureOutcome) -> str | None:
    """The bin that moved most (``rain: 52.2% → 1.4%``), or the reason a feature has no score."""
    if feature.reason:
        return feature.reason
    if not feature.explanation:
        return None
    top = feature.explanation[0]
    before, after = render.share(top["reference_share"]), render.share(top["live_share"])
    return f"{top['label']}: {before} → {after}"


def _window(outcome: RunOutcome) -> str:
    if outcome.window is None:
        return "whole live data"
    return f"{render.when(outcome.window.start)} → {render.when(outcome.window.end)} UTC"


def _order(feature: FeatureOutcome) -> tuple[int, float]:
    first = feature.metrics[0].value if feature.metrics else None
    return (DISPLAY_ORDER.get(feature.status, 5), -(first or 0.0))


def render_outcome(outcome: RunOutcome, out: Console, *, dataset_drift_enabled: bool) -> None:
    """One table per monitor, drifted features first, metrics as columns.

    The compact layout (narrow or not a terminal) shows feature, status, the metrics and the
    p-value; the bin that moved most (or the reason) goes on its own line under each feature at
    warn or worse. The wide layout adds kind, n live, missing and unseen, and the moved bin of
    every feature.
    """
    if outcome.status == "failed":
        out.print(
            Text.assemble(
                (f"monitor {outcome.monitor}: run failed", "bold red"),
                f" — {terminal(outcome.error)}",
            )
        )
        return
    metrics: dict[str, str] = {}
    for feature in outcome.features:
        for metric in feature.metrics:
            metrics.setdefault(metric.metric, metric.unit)
    # Two short lines, not one that wraps mid-phrase at 80 columns: what ran, then what it found.
    title = Text.assemble(
        "monitor ",
        (outcome.monitor, "bold"),
        f" — {_window(outcome)}\n{render.count(outcome.n_live)} live vs "
        f"{render.count(outcome.n_reference)} reference rows — {outcome.n_drifted} of "
        f"{len(outcome.features)} features drifting",
    )
    if dataset_drift_enabled and outcome.dataset_drift:
        title.append(" — dataset drift", style="bold red")
    show_p = any(documents.feature_p_value(f) is not None for f in outcome.features)
    first_metric = next(iter(metrics), "")
    show_cut = any(_fires_at(f, first_metric) is not None for f in outcome.features)
    # When even the compact table is too wide, the last metrics go first, then the p-value.
    metric_columns = [
        Column(f"{name} ({unit})", "right", drop=10 - i)
        for i, (name, unit) in enumerate(metrics.items())
    ]
    columns = [
        Column("feature"),
        Column("kind", detail=True, drop=2),
        Column("status"),
        *metric_columns,
        *([Column("p (drift test)", "right", drop=5)] if show_p else []),
        *([Column(f"{first_metric} fires at", "right", drop=6)] if show_cut else []),
        Column("n live", "right", detail=True, drop=4),
        Column("missing", "right", detail=True, drop=3),
        Column("unseen", "right", detail=True, drop=1),
    ]
    compact = output.is_compact(out)
    rows = []
    for feature in sorted(outcome.features, key=_order):
        values = {m.metric: m.value for m in feature.metrics}
        note = _moved_most(feature)
        if compact and feature.status in ("ok",) and not feature.reason:
            note = None
        style = render.STATUS_STYLE.get(feature.status, "")
        cells: list[output.Cell] = [
            feature.name,
            {"numeric": "num", "datetime": "time"}.get(feature.kind, "cat"),
            (feature.status, style),
            *(render.number(values.get(name)) for name in metrics),
            *([render.p_value(documents.feature_p_value(feature))] if show_p else []),
            *([render.number(_fires_at(feature, first_metric))] if show_cut else []),
            render.count(feature.n_live),
            render.share(feature.missing_share),
            render.share(feature.unseen_share),
        ]
        rows.append(Row(cells, note))
    output.print_table(out, columns, rows, title=title, note_header="moved most / reason")
    out.print()


def run_exit_code(done: run_command.RunReport, fail_on: str) -> int:
    """2: a monitor or feature failed; 4: notifications undelivered; 1: drift at ``fail_on``."""
    if done.errors:
        return EXIT_USER_ERROR
    if done.undelivered:
        return EXIT_UNDELIVERED
    return EXIT_DRIFT if done.any_feature_at(_FAIL_LEVELS[fail_on]) else EXIT_OK


@click.command(
    epilog=example(
        "driftwatch run --config config/example.yaml",
        "driftwatch run --config config/example.yaml --monitor car-loan --format json",
        "driftwatch run --config config/example.yaml --fail-on critical --no-store",
    )
)
@config_option
@database_option
@click.option(
    "--monitor", "-m", "monitors", multiple=True, help="Run only this monitor (repeatable)."
)
@click.option("--window-start", default=None, help="Explicit live window start (ISO, UTC).")
@click.option("--window-end", default=None, help="Explicit live window end (ISO, UTC, exclusive).")
@click.option(
    "--fail-on",
    type=click.Choice(["never", "warn", "critical"]),
    default="never",
    show_default=True,
    help="Exit 1 when any feature drifts at this severity or worse (for CI pipelines).",
)
@click.option("--no-store", is_flag=True, help="Compute and print only; write nothing.")
@click.option(
    "--no-dispatch",
    is_flag=True,
    help="Queue notifications in the outbox but do not send them now "
    "(`driftwatch alerts dispatch` or the scheduler sends them).",
)
@output.format_option("table", "json", "ndjson", "csv")
@click.option(
    "--pushgateway",
    default=None,
    metavar="URL",
    help="Push the monitors' Prometheus metrics to this Pushgateway after the runs.",
)
def run(
    config_path: str,
    database: str | None,
    monitors: tuple[str, ...],
    window_start: str | None,
    window_end: str | None,
    fail_on: str,
    no_store: bool,
    no_dispatch: bool,
    output_format: str,
    pushgateway: str | None,
) -> None:
    """Run monitors once now, store the results, and print a table per monitor.

    Alert notifications queued by the runs are sent right after the commit (one summary line on
    stderr when any was attempted) unless --no-dispatch is given. --format json prints one
    document with a run document per monitor, ndjson one run document per line, csv the tidy
    result rows (one per feature and metric).

    Exit codes: 0 whatever the drift (unless --fail-on asks otherwise), 1 drift at --fail-on,
    2 when a monitor or a feature could not be computed, 4 when the results were stored but
    some notifications could not be delivered.
    """
    start = parse_when(window_start, "--window-start") if window_start else None
    end = parse_when(window_end, "--window-end") if window_end else None
    window = None
    if (start is None) != (end is None):
        raise click.UsageError("give both --window-start and --window-end, or neither")
    if pushgateway and no_store:
        raise click.UsageError("--pushgateway pushes stored results; drop --no-store")
    if start is not None and end is not None:
        if start >= end:
            raise click.BadParameter("must be after --window-start", param_hint="--window-end")
        window = TimeWindow(start, end)
    with progress_reporter() as progress:
        done = run_command.run(
            config_path,
            monitors,
            window=window,
            database=database,
            store=not no_store,
            dispatch=not no_dispatch,
            progress=progress,
        )
    sent = done.notifications
    if sent is not None and sent.attempted and not settings().quiet:
        click.echo(f"driftwatch: notifications: {sent}", err=True)
    if output_format == "json":
        output.emit_json(documents.run_report_document(done))
    elif output_format == "ndjson":
        output.emit_ndjson(documents.run_report_document(done)["runs"])
    elif output_format == "csv":
        output.emit_csv(done.to_frame())
    else:
        out = output.console()
        for outcome in done.outcomes:
            enabled = outcome.monitor in done.dataset_drift_monitors
            render_outcome(outcome, out, dataset_drift_enabled=enabled)
    if pushgateway:
        from driftwatch.exporter import push_metrics  # prometheus_client only when asked

        ran = list(dict.fromkeys(o.monitor for o in done.outcomes))
        push_metrics(config_path, pushgateway, ran, database=database)
    for line in done.errors:
        fail(line)
    if done.undelivered:
        fail(
            f"{done.undelivered} notification(s) could not be delivered (results are stored); "
            "see `driftwatch alerts` and retry with `driftwatch alerts retry`"
        )
    raise SystemExit(run_exit_code(done, fail_on))
