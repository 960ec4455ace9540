"""``driftwatch report`` (what is drifting now?) and ``driftwatch history`` (how has X moved?)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import click
import pandas as pd
from rich.console import Console

from driftwatch import api
from driftwatch.cli import render
from driftwatch.cli.main import config_option, database_option
from driftwatch.timeutil import as_utc, parse_duration

__all__ = ["history", "report"]


@click.command()
@config_option
@database_option
@click.option("--monitor", "-m", "monitors", multiple=True, help="Only this monitor (repeatable).")
@click.option("--metric", default=None, help="Only this metric (e.g. js).")
@click.option(
    "--html",
    "html_path",
    default=None,
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write a self-contained HTML report (plots of every feature) to PATH instead.",
)
def report(
    config_path: str,
    database: str | None,
    monitors: tuple[str, ...],
    metric: str | None,
    html_path: str | None,
) -> None:
    """Print the latest state of every monitor: its latest finished run, most severe first."""
    if html_path is not None:
        written = api.report_html(config_path, database, monitors, path=html_path)
        click.echo(
            f"wrote {written.path} ({written.size_bytes / 1e6:.1f} MB): "
            f"{len(written.monitors)} monitors, {written.features} features from {written.database}"
        )
        return
    latest = api.report(config_path, database=database, monitors=monitors, metric=metric)
    frame = latest.frame
    console = Console()
    if frame.empty:
        which = f"monitor {', '.join(monitors)}" if monitors else "any monitor"
        console.print(
            f"no finished runs of {which} in {latest.database}: run `driftwatch run` first"
        )
        return
    table = render.plain_table(f"latest drift in {latest.database}")
    reasons = frame["reason"].notna().any()
    for column in ("monitor", "feature", "metric", "status"):
        table.add_column(column, no_wrap=True)
    for column in ("value", "warn / crit", "n live", "missing"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("window end UTC", no_wrap=True)
    if reasons:
        table.add_column("reason", overflow="fold", min_width=12)
    for row in render.records(frame):
        cells = [
            str(row["monitor"]),
            str(row["feature"]),
            str(row["metric"]),
            render.status(str(row["status"])),
            f"{render.number(row['value'])} {row['unit']}",
            f"{render.threshold(row['warn_threshold'])} / "
            f"{render.threshold(row['critical_threshold'])}",
            render.count(row["n_live"]),
            render.share(row["missing_share"]),
            render.when(row["window_end"]),
        ]
        table.add_row(*cells, *([render.text(row["reason"])] if reasons else []))
    console.print(table)


def _since(text: str) -> datetime | timedelta:
    """``30d``/``12h`` (back from now) or an ISO date/datetime (UTC unless it has an offset)."""
    try:
        return parse_duration(text)
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a duration (30d, 12h) nor an ISO date (2024-03-01)",
            param_hint="--since",
        ) from None


def _json_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if render.is_missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


@click.command()
@config_option
@database_option
@click.option("--monitor", "-m", required=True, help="The monitor.")
@click.option("--feature", "-f", required=True, help="The feature.")
@click.option("--metric", default="js", show_default=True, help="The metric.")
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="A duration back from now (30d, 12h) or an ISO date.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv or json (one object per window) for scripts.",
)
def history(
    config_path: str,
    database: str | None,
    monitor: str,
    feature: str,
    metric: str,
    since: str,
    output: str,
) -> None:
    """Print one feature's metric over time, oldest window first (finished runs only)."""
    start = _since(since)
    series = api.history(config_path, monitor, feature, metric, database=database, since=start)
    frame = series.frame
    if output == "csv":
        for column in ("window_start", "window_end"):
            frame[column] = frame[column].map(pd.Timestamp.isoformat)
        click.echo(frame.to_csv(index=False), nl=False)
        return
    if output == "json":
        records = [{k: _json_value(v) for k, v in r.items()} for r in render.records(frame)]
        click.echo(json.dumps(records, indent=2))
        return
    console = Console()
    shown = f"since {since}" if isinstance(start, timedelta) else f"since {render.when(start)}"
    if frame.empty:
        console.print(
            f"no {metric} results for feature {feature!r} of monitor {monitor!r} {shown} "
            f"in {series.database}"
        )
        return
    unit = frame["unit"].iloc[0]
    table = render.plain_table(f"{metric} ({unit}) of {monitor} / {feature}, {shown}")
    reasons = frame["reason"].notna().any()
    table.add_column("window start UTC", no_wrap=True)
    table.add_column("window end UTC", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("warn / crit", justify="right", no_wrap=True)
    table.add_column("n live", justify="right", no_wrap=True)
    if reasons:
        table.add_column("reason", overflow="fold", min_width=12)
    for row in render.records(frame):
        cells = [
            render.when(row["window_start"]),
            render.when(row["window_end"]),
            render.number(row["value"]),
            render.status(str(row["status"])),
            f"{render.threshold(row['warn_threshold'])} / "
            f"{render.threshold(row['critical_threshold'])}",
            render.count(row["n_live"]),
        ]
        table.add_row(*cells, *([render.text(row["reason"])] if reasons else []))
    console.print(table)
