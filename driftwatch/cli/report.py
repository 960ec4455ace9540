"""``driftwatch report`` (what is drifting now?) and ``driftwatch history`` (how has X moved?)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import click
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from driftwatch import queries
from driftwatch.cli.main import config_option, database_option, load
from driftwatch.cli.run import STATUS_STYLE
from driftwatch.store import Store
from driftwatch.timeutil import as_utc, parse_duration

__all__ = ["history", "report"]


def _open(config_path: str, database: str | None) -> Store:
    """The results store of --database, else of the config's ``database`` key."""
    if database:
        return Store.open(database, config_hint="--database URL")
    config = load(config_path)
    return Store.open(config.database, config_hint=f"--config {config_path}")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: Any, digits: int = 4) -> str:
    return "—" if _missing(value) else f"{value:.{digits}f}"


def _count(value: Any) -> str:
    return "—" if _missing(value) else str(int(value))


def _status(status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def _when(value: Any) -> str:
    return str(value.strftime("%Y-%m-%d %H:%M"))


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain_table(title: str) -> Table:
    """The borderless table style of the store's reports."""
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )


@click.command()
@config_option
@database_option
@click.option("--monitor", "-m", "monitors", multiple=True, help="Only this monitor (repeatable).")
@click.option("--metric", default=None, help="Only this metric (e.g. js).")
def report(
    config_path: str, database: str | None, monitors: tuple[str, ...], metric: str | None
) -> None:
    """Print the latest state of every monitor: its latest finished run, most severe first."""
    store = _open(config_path, database)
    try:
        frame = queries.latest(store, list(monitors) or None, metric=metric)
    finally:
        store.close()
    console = Console()
    if frame.empty:
        which = f"monitor {', '.join(monitors)}" if monitors else "any monitor"
        console.print(f"no finished runs of {which} in {store.url}: run `driftwatch run` first")
        return
    table = _plain_table(f"latest drift in {store.url}")
    reasons = frame["reason"].notna().any()
    for column in ("monitor", "feature", "metric", "status"):
        table.add_column(column, no_wrap=True)
    for column in ("value", "warn / crit", "n live", "missing"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("window end UTC", no_wrap=True)
    if reasons:
        table.add_column("reason", overflow="fold", min_width=12)
    for row in _records(frame):
        missing = row["missing_share"]
        cells = [
            str(row["monitor"]),
            str(row["feature"]),
            str(row["metric"]),
            _status(str(row["status"])),
            f"{_number(row['value'])} {row['unit']}",
            f"{_number(row['warn_threshold'], 3)} / {_number(row['critical_threshold'], 3)}",
            _count(row["n_live"]),
            "—" if _missing(missing) else f"{100 * missing:.1f}%",
            _when(row["window_end"]),
        ]
        table.add_row(*cells, *([_text(row["reason"])] if reasons else []))
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
    if _missing(value):
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
    store = _open(config_path, database)
    try:
        frame = queries.history(store, monitor, feature, metric, since=start)
    finally:
        store.close()
    if output == "csv":
        for column in ("window_start", "window_end"):
            frame[column] = frame[column].map(pd.Timestamp.isoformat)
        click.echo(frame.to_csv(index=False), nl=False)
        return
    if output == "json":
        records = [{k: _json_value(v) for k, v in record.items()} for record in _records(frame)]
        click.echo(json.dumps(records, indent=2))
        return
    console = Console()
    shown = f"since {since}" if isinstance(start, timedelta) else f"since {start:%Y-%m-%d %H:%M}"
    if frame.empty:
        console.print(
            f"no {metric} results for feature {feature!r} of monitor {monitor!r} {shown} "
            f"in {store.url}"
        )
        return
    unit = frame["unit"].iloc[0]
    table = _plain_table(f"{metric} ({unit}) of {monitor} / {feature}, {shown}")
    reasons = frame["reason"].notna().any()
    table.add_column("window start UTC", no_wrap=True)
    table.add_column("window end UTC", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("warn / crit", justify="right", no_wrap=True)
    table.add_column("n live", justify="right", no_wrap=True)
    if reasons:
        table.add_column("reason", overflow="fold", min_width=12)
    for row in _records(frame):
        cells = [
            _when(row["window_start"]),
            _when(row["window_end"]),
            _number(row["value"]),
            _status(str(row["status"])),
            f"{_number(row['warn_threshold'], 3)} / {_number(row['critical_threshold'], 3)}",
            _count(row["n_live"]),
        ]
        table.add_row(*cells, *([_text(row["reason"])] if reasons else []))
    console.print(table)
