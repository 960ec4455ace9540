"""``driftwatch validate``: check a config without running it.

Kept apart from ``driftwatch run`` so that it loads neither the command layer nor the results
store: it calls :func:`driftwatch.api.validate` from its own module
(``driftwatch.commands.validate``), which imports only what reading each source's column names
needs (see there). A test checks that a validate of a CSV or Parquet config imports no
SQLAlchemy and no scipy, and of a Parquet config no pandas.
"""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.text import Text

from driftwatch.cli import output, render
from driftwatch.cli.main import EXIT_USER_ERROR, config_option, example, fail
from driftwatch.cli.output import Column, Row
from driftwatch.commands.validate import ValidationReport
from driftwatch.commands.validate import validate as validate_config
from driftwatch.config import FeatureSpec

__all__ = ["render_validation", "validate", "validation_document"]


def validation_document(checked: ValidationReport, config_path: str) -> dict[str, Any]:
    """``driftwatch validate --format json``: the verdict, each monitor's error budget and every
    resolved feature."""
    return {
        "config": config_path,
        "valid": checked.ok,
        "database_backend": checked.database_backend,
        "problems": list(checked.problems),
        "monitors": [
            {
                "name": monitor.name,
                "sources": [
                    {
                        "role": source.role,
                        "description": source.description,
                        "problem": source.problem,
                    }
                    for source in monitor.sources
                ],
                "alert_budget": monitor.budget.document(),
                "features": [
                    {
                        "name": spec.name,
                        "kind": spec.kind,
                        "binning": spec.binning.model_dump(mode="json"),
                        "metrics": list(spec.metrics),
                        "thresholds": {
                            m: spec.thresholds[m].model_dump(mode="json") for m in spec.metrics
                        },
                    }
                    for spec in monitor.features
                ],
            }
            for monitor in checked.monitors
        ],
    }


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


def render_validation(checked: ValidationReport, config_path: str, out: Console) -> None:
    """The config's verdict, then per monitor its sources, its error budget (how often a quiet
    window may alert) and a table of resolved features.

    Thresholds are shown as configured (never rounded); in the compact layout each feature's
    thresholds go on their own line under it.
    """
    problems = len(checked.problems)
    verdict = "valid" if checked.ok else f"{problems} problem{'s' if problems > 1 else ''} (below)"
    out.print(f"config {config_path}: {verdict}; results database {checked.database_backend}")
    for monitor in checked.monitors:
        out.print()
        out.print(Text.assemble("monitor ", (monitor.name, "bold")))
        for source in monitor.sources:
            if source.description is not None:
                out.print(f"  {source.role}: {source.description}")
        out.print(f"  error budget: {monitor.budget.text}")
        columns = [Column("feature"), Column("kind"), Column("binning"), Column("metrics")]
        rows = [
            Row([spec.name, spec.kind, _bins(spec), ", ".join(spec.metrics)], _thresholds(spec))
            for spec in monitor.features
        ]
        output.print_table(out, columns, rows, note_header="thresholds (warn / critical)")


@click.command(epilog=example("driftwatch validate --config config/example.yaml --format json"))
@config_option
@output.format_option("table", "json")
def validate(config_path: str, output_format: str) -> None:
    """Check a config without running it: sources, features, bins, thresholds, error budget.

    The error budget is how often each monitor may alert when nothing drifts.

    Exit code 2 when a source cannot be opened or lacks a configured column.
    """
    checked = validate_config(config_path)
    if output_format == "json":
        output.emit_json(validation_document(checked, config_path))
    else:
        render_validation(checked, config_path, output.console())
    for problem in checked.problems:
        fail(problem)
    if not checked.ok:
        raise SystemExit(EXIT_USER_ERROR)
