"""``driftwatch report`` (what is drifting now?) and ``driftwatch history`` (how has X moved?)."""

from __future__ import annotations

from datetime import timedelta

import click

from driftwatch.cli import output, render
from driftwatch.cli.main import config_option, database_option, example, parse_since
from driftwatch.cli.output import Column, Row
from driftwatch.commands import report as report_command

__all__ = ["history", "report"]


def _status(value: object) -> output.Cell:
    word = str(value)
    return (word, render.STATUS_STYLE.get(word, ""))


def _thresholds(row: dict[str, object]) -> str:
    warn, critical = row["warn_threshold"], row["critical_threshold"]
    if render.is_missing(warn) and render.is_missing(critical):
        return render.MISSING
    return f"{render.threshold(warn)} / {render.threshold(critical)}"


@click.command(
    epilog=example(
        "driftwatch report --config config/example.yaml",
        "driftwatch report --config config/example.yaml --metric js --format json",
    )
)
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
@output.format_option("table", "json", "ndjson", "csv")
def report(
    config_path: str,
    database: str | None,
    monitors: tuple[str, ...],
    metric: str | None,
    html_path: str | None,
    output_format: str,
) -> None:
    """Print the latest state of every monitor: its latest finished run, most severe first.

    json is one document (database, rows), ndjson one object per row, csv the rows; the row
    fields are the columns of the latest_results view (README, "Machine-readable output").
    """
    if html_path is not None:
        written = report_command.report_html(config_path, database, monitors, path=html_path)
        click.echo(
            f"wrote {written.path} ({written.size_bytes / 1e6:.1f} MB): "
            f"{len(written.monitors)} monitors, {written.features} features from {written.database}"
        )
        return
    latest = report_command.report(config_path, database=database, monitors=monitors, metric=metric)
    frame = latest.frame
    document = {"database": latest.database, "rows": output.frame_records(frame)}
    if output.emit_rows(frame, output_format, document=document):
        return
    out = output.console()
    if frame.empty:
        which = f"monitor {', '.join(monitors)}" if monitors else "any monitor"
        out.print(f"no finished runs of {which} in {latest.database}: run `driftwatch run` first")
        return
    columns = [
        Column("monitor"),
        Column("feature"),
        Column("metric"),
        Column("status"),
        Column("value", "right"),
        Column("unit", drop=3),
        Column("warn / crit", "right", drop=4),
        Column("n live", "right", detail=True, drop=2),
        Column("missing", "right", detail=True, drop=1),
        Column("window end UTC", drop=5),
    ]
    rows = [
        Row(
            [
                str(row["monitor"]),
                str(row["feature"]),
                str(row["metric"]),
                _status(row["status"]),
                render.number(row["value"]),
                str(row["unit"]),
                _thresholds(row),
                render.count(row["n_live"]),
                render.share(row["missing_share"]),
                render.when(row["window_end"]),
            ],
            render.text(row["reason"]) or None,
        )
        for row in render.records(frame)
    ]
    output.print_table(out, columns, rows, title=f"latest drift in {latest.database}")


@click.command(
    epilog=example(
        "driftwatch history -c config/example.yaml -m car-loan -f car_value --since 2018-01-01",
        "driftwatch history -c config/example.yaml -m car-loan -f car_value --format csv",
    )
)
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
@output.format_option("table", "json", "ndjson", "csv")
def history(
    config_path: str,
    database: str | None,
    monitor: str,
    feature: str,
    metric: str,
    since: str,
    output_format: str,
) -> None:
    """Print one feature's metric over time, oldest window first (finished runs only).

    json is one array of objects (one per window), ndjson one object per line, csv the rows.
    """
    start = parse_since(since)
    series = report_command.history(
        config_path, monitor, feature, metric, database=database, since=start
    )
    frame = series.frame
    if output.emit_rows(frame, output_format):
        return
    out = output.console()
    shown = f"since {since}" if isinstance(start, timedelta) else f"since {render.when(start)}"
    if frame.empty:
        out.print(
            f"no {metric} results for feature {feature!r} of monitor {monitor!r} {shown} "
            f"in {series.database}"
        )
        return
    unit = frame["unit"].iloc[0]
    columns = [
        Column("window start UTC", drop=3),
        Column("window end UTC"),
        Column("value", "right"),
        Column("status"),
        Column("warn / crit", "right", drop=2),
        Column("p", "right", drop=1),
        Column("n live", "right", drop=0),
    ]
    rows = [
        Row(
            [
                render.when(row["window_start"]),
                render.when(row["window_end"]),
                render.number(row["value"]),
                _status(row["status"]),
                _thresholds(row),
                render.p_value(row["p_value"]),
                render.count(row["n_live"]),
            ],
            render.text(row["reason"]) or None,
        )
        for row in render.records(frame)
    ]
    title = f"{metric} ({unit}) of {monitor} / {feature}, {shown}"
    output.print_table(out, columns, rows, title=title)
