"""``driftwatch run`` and ``driftwatch validate``."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from driftwatch import api
from driftwatch.cli import render
from driftwatch.cli.main import (
    EXIT_DRIFT,
    EXIT_USER_ERROR,
    config_option,
    database_option,
    fail,
    parse_when,
)
from driftwatch.config import FeatureSpec
from driftwatch.results import DISPLAY_ORDER, FeatureOutcome, RunOutcome, Status
from driftwatch.timeutil import TimeWindow

__all__ = ["render_outcome", "render_validation", "run", "validate"]

_FAIL_LEVELS: dict[str, tuple[Status, ...]] = {
    "warn": ("warn", "critical"),
    "critical": ("critical",),
    "never": (),
}


def _p_value(feature: FeatureOutcome) -> float | None:
    """The feature's drift-test p-value (the same for every metric: one test over the bins)."""
    for metric in feature.metrics:
        if metric.verdict is not None and metric.verdict.p_value is not None:
            return metric.verdict.p_value
    return None


def _fires_at(feature: FeatureOutcome, metric: str) -> float | None:
    """The stored decision threshold of ``metric``: its value at which the rule fires at this n."""
    verdict = next((m.verdict for m in feature.metrics if m.metric == metric), None)
    return verdict.decision_threshold if verdict is not None else None


def _top_bin(feature: FeatureOutcome) -> str:
    if not feature.explanation:
        return feature.reason or ""
    top = feature.explanation[0]
    before, after = render.share(top["reference_share"]), render.share(top["live_share"])
    return f"{top['label']}: {before} → {after}"


def render_outcome(outcome: RunOutcome, console: Console) -> None:
    """One table per monitor, drifted features first, metrics as columns."""
    window = (
        f"[{outcome.window_start:%Y-%m-%d %H:%M}, {outcome.window_end:%Y-%m-%d %H:%M})"
        if outcome.window_start != outcome.window_end
        else "whole live data"
    )
    if outcome.status == "failed":
        console.print(f"[bold red]monitor {outcome.monitor}: run failed[/] — {outcome.error}")
        return
    metrics: list[str] = []
    for feature in outcome.features:
        for metric in feature.metrics:
            if metric.metric not in metrics:
                metrics.append(metric.metric)
    title = (
        f"monitor [bold]{outcome.monitor}[/] — {window} — {outcome.n_live} live vs "
        f"{outcome.n_reference} reference rows — {outcome.n_drifted} of "
        f"{len(outcome.features)} features drifting"
    )
    if outcome.dataset_drift:
        title += " — [bold red]dataset drift[/]"
    table = Table(title=title, title_justify="left")
    table.add_column("feature", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for name in metrics:
        unit = next((m.unit for f in outcome.features for m in f.metrics if m.metric == name), "")
        table.add_column(f"{name} ({unit})", justify="right")
    show_p = any(_p_value(f) is not None for f in outcome.features)
    if show_p:
        table.add_column("p (drift test)", justify="right")
    show_cut = bool(metrics) and any(_fires_at(f, metrics[0]) is not None for f in outcome.features)
    if show_cut:
        table.add_column(f"{metrics[0]} fires at", justify="right")
    table.add_column("n live", justify="right")
    table.add_column("missing", justify="right")
    table.add_column("unseen", justify="right")
    table.add_column("moved most / reason", overflow="fold", ratio=1)

    def order(feature: FeatureOutcome) -> tuple[int, float]:
        first = feature.metrics[0].value if feature.metrics else None
        return (DISPLAY_ORDER.get(feature.status, 5), -(first or 0.0))

    for feature in sorted(outcome.features, key=order):
        values = {m.metric: m.value for m in feature.metrics}
        table.add_row(
            feature.name,
            "num" if feature.kind == "numeric" else "cat",
            render.status(feature.status),
            *(render.number(values.get(name)) for name in metrics),
            *([render.p_value(_p_value(feature))] if show_p else []),
            *([render.number(_fires_at(feature, metrics[0]))] if show_cut else []),
            render.count(feature.n_live),
            render.share(feature.missing_share),
            render.share(feature.unseen_share),
            _top_bin(feature),
        )
    console.print(table)


@click.command()
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
def run(
    config_path: str,
    database: str | None,
    monitors: tuple[str, ...],
    window_start: str | None,
    window_end: str | None,
    fail_on: str,
    no_store: bool,
    no_dispatch: bool,
) -> None:
    """Run monitors once now, store the results, and print a table per monitor.

    Alert notifications queued by the runs are sent right after the commit (one summary line on
    stderr when any was attempted) unless --no-dispatch is given.

    Exit code 0 whatever the drift (unless --fail-on asks otherwise), 2 when a monitor or a
    feature could not be computed.
    """
    start = parse_when(window_start, "--window-start") if window_start else None
    end = parse_when(window_end, "--window-end") if window_end else None
    window = None
    if (start is None) != (end is None):
        raise click.UsageError("give both --window-start and --window-end, or neither")
    if start is not None and end is not None:
        if start >= end:
            raise click.BadParameter("must be after --window-start", param_hint="--window-end")
        window = TimeWindow(start, end)
    done = api.run(
        config_path,
        monitors,
        window=window,
        database=database,
        store=not no_store,
        dispatch=not no_dispatch,
    )
    if done.notifications is not None and done.notifications.attempted:
        click.echo(f"driftwatch: notifications: {done.notifications}", err=True)
    console = Console()
    for outcome in done.outcomes:
        render_outcome(outcome, console)
    for line in done.errors:
        fail(line)
    if done.errors:
        raise SystemExit(EXIT_USER_ERROR)
    raise SystemExit(EXIT_DRIFT if done.any_feature_at(_FAIL_LEVELS[fail_on]) else 0)


def _bins(spec: FeatureSpec) -> str:
    binning = spec.binning
    if spec.kind == "categorical":
        return f"top {binning.top_k} categories"
    if binning.strategy == "fixed":
        return f"fixed edges {list(binning.edges or ())}"
    return f"{binning.strategy}, {binning.bins} bins"


def _thresholds(spec: FeatureSpec) -> str:
    return ", ".join(
        f"{m}: {spec.thresholds[m].kind} {render.threshold(spec.thresholds[m].warn)} / "
        f"{render.threshold(spec.thresholds[m].critical)}"
        for m in spec.metrics
    )


def render_validation(checked: api.ValidationReport, config_path: str, console: Console) -> None:
    """The config's verdict, then per monitor its sources and a table of resolved features."""
    console.print(f"config {config_path}: valid; results database {checked.database_backend}")
    for monitor in checked.monitors:
        for source in monitor.sources:
            if source.description is not None:
                console.print(f"  {source.role}: {source.description}")
        table = Table(title=f"monitor [bold]{monitor.name}[/]", title_justify="left")
        for column in ("feature", "kind", "binning", "metrics", "thresholds (warn / critical)"):
            table.add_column(column)
        for spec in monitor.features:
            table.add_row(
                spec.name, spec.kind, _bins(spec), ", ".join(spec.metrics), _thresholds(spec)
            )
        console.print(table)


@click.command()
@config_option
def validate(config_path: str) -> None:
    """Check a config without running it: resolved sources, features, bins and thresholds."""
    checked = api.validate(config_path)
    render_validation(checked, config_path, Console())
    for problem in checked.problems:
        fail(problem)
    if not checked.ok:
        raise SystemExit(EXIT_USER_ERROR)
