"""``driftwatch validate``: check a config without running it.

Every source is opened and its columns are compared with the configured features; the settings
each feature runs with (after the defaults < monitor < override cascade) are resolved. Problems
are collected, never raised one at a time, so one pass names every fix.

Light by design: the results database is not opened, and a source imports only what reading its
column names needs (pyarrow for a Parquet footer, pandas for a CSV header, SQLAlchemy to reach a
SQL table); never scipy, and never the store or the rest of the command layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from driftwatch.config import Config, FeatureSpec, MonitorConfig, load_config, resolve_features
from driftwatch.errors import DriftwatchError
from driftwatch.sources import open_source

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
    """One monitor: its two sources and the resolved settings of each feature."""

    name: str
    sources: tuple[SourceCheck, ...]
    features: tuple[FeatureSpec, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(s.problem for s in self.sources if s.problem is not None)


@dataclass(frozen=True)
class ValidationReport:
    """The config, checked: valid when no monitor has a problem."""

    config: Config
    monitors: tuple[MonitorCheck, ...]

    @property
    def database_backend(self) -> str:
        """The results database's dialect (``sqlite``, ``postgresql+psycopg``), never its URL."""
        return self.config.database.split("://")[0]

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(p for m in self.monitors for p in m.problems)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_source(
    monitor: MonitorConfig, role: Role, frames: Mapping[str, pd.DataFrame] | None
) -> SourceCheck:
    config = monitor.reference if role == "reference" else monitor.live
    if config.type == "dataframe" and frames is None:  # supplied at run time: nothing to check
        return SourceCheck(role, f"in-memory DataFrame {config.name!r}")
    try:
        source = open_source(config, frames=frames, role=f"monitor {monitor.name!r} {role}")
        columns = set(source.columns())
        description = source.describe()
    except DriftwatchError as exc:
        if config.type == "dataframe":  # supplied at run time: nothing to check now
            return SourceCheck(role, f"in-memory DataFrame {config.name!r}")
        return SourceCheck(role, None, str(exc))
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
    checks = tuple(
        MonitorCheck(
            monitor.name,
            (_check_source(monitor, "reference", frames), _check_source(monitor, "live", frames)),
            resolve_features(cfg, monitor),
        )
        for monitor in cfg.monitors
    )
    return ValidationReport(cfg, checks)
