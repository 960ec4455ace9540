"""``driftwatch run`` and ``driftwatch validate``."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from driftwatch.alerts import dispatch_pending
from driftwatch.api import open_store, run_monitors
from driftwatch.cli.main import (
    EXIT_DRIFT,
    EXIT_USER_ERROR,
    config_option,
    database_option,
    fail,
    load,
    parse_when,
)
from driftwatch.config import Config, MonitorConfig, resolve_features
from driftwatch.errors import DriftwatchError
from driftwatch.results import DISPLAY_ORDER, FeatureOutcome, RunOutcome
from driftwatch.sources import open_source
from driftwatch.timeutil import TimeWindow

__all__ = ["render_outcome", "run", "validate"]

STATUS_STYLE = {
    "critical": "bold red",
    "warn": "yellow",
    "ok": "green",
    "no_data": "dim",
    "error": "bold magenta",
}
_FAIL_LEVELS = {"warn": ("warn", "critical"), "critical": ("critical",), "never": ()}


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _p_value(feature: FeatureOutcome) -> float | None:
    """The feature's G-test p-value (the same for every metric: one test over the bins)."""
    for metric in feature.metrics:
        if metric.verdict is not None and metric.verdict.p_value is not None:
            return metric.verdict.p_value
    return None


def _p_text(value: float | None) -> str:
    if value is None:
        return "—"
    return "<1e-12" if value < 1e-12 else f"{value:.2g}"


def _top_bin(feature: FeatureOutcome) -> str:
    if not feature.explanation:
        return feature.reason or ""
    top = feature.explanation[0]
    return f"{top['label']}: {100 * top['reference_share']:.1f}% → {100 * top['live_share']:.1f}%"


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
        table.add_column("p (G-test)", justify="right")
    table.add_column("n live", justify="right")
    table.add_column("missing", justify="right")
    table.add_column("unseen", justify="right")
    table.add_column("moved most / reason", overflow="fold", ratio=1)

    def order(feature: FeatureOutcome) -> tuple[int, float]:
        first = feature.metrics[0].value if feature.metrics else None
        return (DISPLAY_ORDER.get(feature.status, 5), -(first or 0.0))

    for feature in sorted(outcome.features, key=order):
        values = {m.metric: m.value for m in feature.metrics}
        style = STATUS_STYLE.get(feature.status, "")
        table.add_row(
            feature.name,
            "num" if feature.kind == "numeric" else "cat",
            f"[{style}]{feature.status}[/]" if style else feature.status,
            *(_fmt(values.get(name)) for name in metrics),
            *([_p_text(_p_value(feature))] if show_p else []),
            "—" if feature.n_live is None else str(feature.n_live),
            _share(feature.missing_share),
            _share(feature.unseen_share),
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
    config = load(config_path)
    for name in monitors:
        config.monitor(name)  # unknown names fail before anything runs
    start = parse_when(window_start, "--window-start") if window_start else None
    end = parse_when(window_end, "--window-end") if window_end else None
    window = None
    if (start is None) != (end is None):
        raise click.UsageError("give both --window-start and --window-end, or neither")
    if start is not None and end is not None:
        if start >= end:
            raise click.BadParameter("must be after --window-start", param_hint="--window-end")
        window = TimeWindow(start, end)
    console = Console()
    if no_store:
        outcomes = run_monitors(config, None, monitors, window=window)
    else:
        with open_store(config, database) as store:
            outcomes = run_monitors(config, store, monitors, window=window)
            if not no_dispatch:
                report = dispatch_pending(store, config)
                if report.attempted:
                    click.echo(f"driftwatch: notifications: {report}", err=True)
    for outcome in outcomes:
        render_outcome(outcome, console)
    raise SystemExit(_exit_code(outcomes, fail_on))


def _exit_code(outcomes: list[RunOutcome], fail_on: str) -> int:
    errors = 0
    for outcome in outcomes:
        if outcome.status == "failed":
            fail(f"monitor {outcome.monitor!r}: {outcome.error}")
            errors += 1
        for feature in outcome.features:
            if feature.status == "error":
                fail(f"monitor {outcome.monitor!r}, feature {feature.name!r}: {feature.reason}")
                errors += 1
    if errors:
        return EXIT_USER_ERROR
    levels = _FAIL_LEVELS[fail_on]
    drifting = any(f.status in levels for o in outcomes for f in o.features)
    return EXIT_DRIFT if drifting else 0


def _describe_monitor(config: Config, monitor: MonitorConfig, console: Console) -> list[str]:
    problems = []
    table = Table(title=f"monitor [bold]{monitor.name}[/]", title_justify="left")
    for column in ("feature", "kind", "binning", "metrics", "thresholds (warn / critical)"):
        table.add_column(column)
    for role in ("reference", "live"):
        source_config = monitor.reference if role == "reference" else monitor.live
        try:
            source = open_source(source_config, role=f"monitor {monitor.name!r} {role}")
            columns = set(source.columns())
            console.print(f"  {role}: {source.describe()}")
            missing = [f for f in monitor.feature_names if f not in columns]
            if missing:
                problems.append(
                    f"monitor {monitor.name!r} {role}: columns absent from the data: "
                    f"{', '.join(missing)}"
                )
        except DriftwatchError as exc:
            if source_config.type == "dataframe":
                console.print(f"  {role}: in-memory DataFrame {source_config.name!r}")
                continue
            problems.append(str(exc))
    for spec in resolve_features(config, monitor):
        binning = spec.binning
        if spec.kind == "categorical":
            bins = f"top {binning.top_k} categories"
        elif binning.strategy == "fixed":
            bins = f"fixed edges {list(binning.edges or ())}"
        else:
            bins = f"{binning.strategy}, {binning.bins} bins"
        thresholds = ", ".join(
            f"{m}: {spec.thresholds[m].kind} {_fmt(spec.thresholds[m].warn, 3)} / "
            f"{_fmt(spec.thresholds[m].critical, 3)}"
            for m in spec.metrics
        )
        table.add_row(spec.name, spec.kind, bins, ", ".join(spec.metrics), thresholds)
    console.print(table)
    return problems


@click.command()
@config_option
def validate(config_path: str) -> None:
    """Check a config without running it: resolved sources, features, bins and thresholds."""
    config = load(config_path)
    console = Console()
    console.print(
        f"config {config_path}: valid; results database {config.database.split('://')[0]}"
    )
    problems: list[str] = []
    for monitor in config.monitors:
        problems.extend(_describe_monitor(config, monitor, console))
    for problem in problems:
        fail(problem)
    if problems:
        raise SystemExit(EXIT_USER_ERROR)
