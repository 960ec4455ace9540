"""``driftwatch validate``: check a config without running it.

Every source is opened and its columns are compared with the configured features (a CSV file's
rows are checked against its header too); the settings
each feature runs with (after the defaults < monitor < override cascade) are resolved, and each
monitor's error budget is stated: the share of quiet windows in which it may raise any feature
alert (:func:`~driftwatch.thresholds.correction.alert_budget`). Problems are collected, never
raised one at a time, so one pass names every fix.

Light by design: the results database is not opened, and a source imports only what reading its
column names needs (pyarrow for a Parquet footer, pandas for a CSV header, SQLAlchemy to reach a
SQL table); never scipy, and never the store or the rest of the command layer. A network
database URL is parsed (with SQLAlchemy) but never connected to; a SQLite one is not parsed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from driftwatch.config import Config, FeatureSpec, MonitorConfig, load_config, resolve_features
from driftwatch.errors import DriftwatchError, StoreError
from driftwatch.sources import open_source
from driftwatch.thresholds.correction import AlertBudget, alert_budget

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MonitorCheck", "SourceCheck", "ValidationReport", "validate"]

Role = Literal["reference", "live"]


@dataclass(frozen=True)
class SourceCheck:
    """One source of a monitor: how it reads, and what is wrong with it (if anything)."""

    role: Role
    description: str | None
    """``csv file /data/x.csv``; None when the source could not be opened."""
    problem: str | None = None
    """Why the source cannot be used, or which configured columns it lacks."""


@dataclass(frozen=True)
class MonitorCheck:
    """One monitor: its two sources, the resolved settings of each feature, its error budget."""

    name: str
    sources: tuple[SourceCheck, ...]
    features: tuple[FeatureSpec, ...]
    budget: AlertBudget
    """How often a window without drift may alert somewhere, given the monitor's correction."""

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(s.problem for s in self.sources if s.problem is not None)


@dataclass(frozen=True)
class ValidationReport:
    """The config, checked: valid when no monitor has a problem."""

    config: Config
    monitors: tuple[MonitorCheck, ...]
    database_problem: str | None = None
    """Why the results database URL can never work (checked without connecting), if it cannot."""

    @property
    def database_backend(self) -> str:
        """The results database's dialect (``sqlite``, ``postgresql+psycopg``), never its URL."""
        return self.config.database.split("://")[0]

    @property
    def problems(self) -> tuple[str, ...]:
        found = tuple(p for m in self.monitors for p in m.problems)
        return (self.database_problem, *found) if self.database_problem else found

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_source(
    monitor: MonitorConfig, role: Role, frames: Mapping[str, pd.DataFrame] | None
) -> SourceCheck:
    config = monitor.reference_source if role == "reference" else monitor.live
    if config.type == "dataframe" and frames is None:  # supplied at run time: nothing to check
        return SourceCheck(role, f"in-memory DataFrame {config.name!r}")
    try:
        source = open_source(config, frames=frames, role=f"monitor {monitor.name!r} {role}")
        columns = set(source.columns())
        description = source.describe()
        if config.type == "csv":  # a ragged row fails the run: say so now
            from driftwatch.sources.csv import CsvSource

            assert isinstance(source, CsvSource)
            source.check_shape()
    except DriftwatchError as exc:
        if config.type == "dataframe":  # supplied at run time: nothing to check now
            return SourceCheck(role, f"in-memory DataFrame {config.name!r}")
        return SourceCheck(role, None, str(exc))
    dynamic = monitor.dynamic_reference if role == "reference" else None
    if dynamic is not None:
        windows = {
            "rolling": f"the last {dynamic.windows_wanted} stored windows",
            "expanding": "every stored window",
            "previous": "the stored window",
        }
        description = f"{windows[dynamic.type]} before each window (bootstrap: {description})"
    missing = [f for f in monitor.feature_names if f not in columns]
    if missing:
        problem = (
            f"monitor {monitor.name!r} {role}: columns absent from the data: {', '.join(missing)}"
        )
        return SourceCheck(role, description, problem)
    return SourceCheck(role, description)


def validate(
    config: Config | str | os.PathLike[str], *, frames: Mapping[str, pd.DataFrame] | None = None
) -> ValidationReport:
    """Open every source of every monitor and resolve every feature's settings; run nothing.

    ``frames`` feeds ``type: dataframe`` sources (without them those are reported as supplied at
    run time). Raises ConfigError when the config itself does not load.
    """
    cfg = config if isinstance(config, Config) else load_config(Path(config))
    checks = []
    for monitor in cfg.monitors:
        specs = resolve_features(cfg, monitor)
        sources = (
            _check_source(monitor, "reference", frames),
            _check_source(monitor, "live", frames),
        )
        checks.append(MonitorCheck(monitor.name, sources, specs, _budget(cfg, monitor, specs)))
    return ValidationReport(cfg, tuple(checks), _database_problem(cfg))


def _budget(cfg: Config, monitor: MonitorConfig, specs: tuple[FeatureSpec, ...]) -> AlertBudget:
    """The monitor's error budget from each feature's deciding metrics and its correction."""
    decisions = {
        spec.name: [
            (spec.thresholds[m].kind, spec.thresholds[m].alpha) for m in spec.decision_metrics
        ]
        for spec in specs
    }
    return alert_budget(monitor.correction or cfg.defaults.correction, decisions)


def _database_problem(cfg: Config) -> str | None:
    """Why the results database URL can never work, found without connecting (SQLite: None)."""
    if cfg.database.startswith("sqlite"):
        return None  # parsing it would import SQLAlchemy for nothing: a path is checked at run
    from driftwatch.store.database import parse_url

    where = f"the 'database' key of {cfg.source_file}" if cfg.source_file else "the config"
    try:
        parse_url(cfg.database, origin=where)
    except StoreError as exc:
        return str(exc)
    return None
