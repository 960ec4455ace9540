"""The monitor and the whole config file: their frozen pydantic models and the settings cascade.

A config is validated at the door: every key is known (``extra="forbid"``), every value typed,
every cross-reference (a sink name, an override's feature, a threshold's metric) resolved.
:mod:`driftwatch.config.loading` turns a failure into one line naming file and key path. The
parts a monitor is made of live beside it: :mod:`.sources`, :mod:`.alerts`, :mod:`.schedule`.

Settings cascade: built-in defaults < ``defaults:`` < the monitor's own keys <
``overrides.<feature>``.
:func:`resolve_features` produces the fully merged :class:`FeatureSpec` of every feature.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from driftwatch.config._common import Duration, Model
from driftwatch.config.alerts import AlertsConfig, DatasetDriftConfig, SinkConfig
from driftwatch.config.references import (
    DynamicReferenceConfig,
    ExpandingReferenceConfig,
    PreviousReferenceConfig,
    ReferenceConfig,
    RollingReferenceConfig,
)
from driftwatch.config.schedule import ScheduleConfig
from driftwatch.config.sources import SourceConfig
from driftwatch.engine.divergences import METRICS, metric_names
from driftwatch.errors import ConfigError
from driftwatch.name_lengths import FEATURE_NAME_LENGTH, MONITOR_NAME_LENGTH
from driftwatch.text import did_you_mean
from driftwatch.thresholds import threshold_rule
from driftwatch.thresholds.correction import DEFAULT_CORRECTION, Correction

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_THRESHOLDS",
    "BinningConfig",
    "Config",
    "Defaults",
    "FeatureOverride",
    "FeatureSpec",
    "FeaturesConfig",
    "MonitorConfig",
    "ThresholdConfig",
    "resolve_features",
    "resolve_sqlite_path",
]

DEFAULT_DATABASE_URL = "sqlite:///driftwatch.db"

_SQLITE_FILE = re.compile(r"^(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?$")


def resolve_sqlite_path(url: str, base_dir: Path) -> str:
    """``url`` with a relative SQLite file path made absolute under ``base_dir``.

    ``sqlite:///driftwatch.db`` in a config file means the file next to the config, as data paths
    do, so a cron job started in another folder finds the same database. Absolute paths
    (``sqlite:////var/lib/x.db``), in-memory databases (``sqlite://``, ``:memory:``), SQLite
    ``file:`` URIs and every other database are returned unchanged.
    """
    match = _SQLITE_FILE.match(url)
    if match is None:
        return url
    path = match["path"]
    if not path or path == ":memory:" or path.startswith("file:"):
        return url
    expanded = Path(os.path.expanduser(path))
    if expanded.is_absolute():
        return (
            url
            if expanded == Path(path)
            else f"{match['scheme']}:///{expanded}{match['query'] or ''}"
        )
    return f"{match['scheme']}:///{base_dir / expanded}{match['query'] or ''}"


# --- binning, metrics, thresholds ---------------------------------------------------------------


class BinningConfig(Model):
    """How a feature's bins are fitted on the reference (see DESIGN §4)."""

    strategy: Literal["quantile", "uniform", "fixed", "auto"] = "quantile"
    bins: int = Field(10, ge=1, le=10_000)
    edges: tuple[float, ...] | None = None
    top_k: int = Field(50, ge=1, le=100_000)

    @model_validator(mode="after")
    def _edges_match_strategy(self) -> BinningConfig:
        if self.strategy == "fixed":
            if not self.edges or len(self.edges) < 2:
                raise ValueError("strategy 'fixed' needs 'edges' with at least two numbers")
            if not all(math.isfinite(edge) for edge in self.edges):
                raise ValueError(
                    f"'edges' must be finite numbers, found {list(self.edges)}; values beyond "
                    "the first and last edge fall into the two tail bins already"
                )
            if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
                raise ValueError(f"'edges' must be strictly increasing, found {list(self.edges)}")
        elif self.edges is not None:
            raise ValueError(f"'edges' only applies to strategy 'fixed', not {self.strategy!r}")
        return self


class ThresholdConfig(Model):
    """When a metric's value makes a feature ``warn`` or ``critical``.

    ``kind`` names a rule of the :mod:`driftwatch.thresholds` registry:
    ``significance`` (default) needs a G-test p-value below ``alpha`` *and* the value at least
    ``warn``/``critical``; ``calibrated`` needs the value above the ``quantile`` of the metric's
    no-drift distribution at the live window's size *and* at least ``warn``/``critical``;
    ``constant`` compares the value with ``warn``/``critical`` only. ``for`` asks for that many
    consecutive breaching windows before firing. ``permutations`` (Monte Carlo p-value when an
    expected count is below ``min_expected``), ``draws`` (null draws of ``calibrated``) and
    ``seed`` make the resampling reproducible and bounded.
    """

    kind: str = "significance"
    warn: float | None = Field(None, ge=0)
    critical: float | None = Field(None, ge=0)
    for_: int = Field(1, alias="for", ge=1)
    alpha: float = Field(0.01, gt=0, lt=1)
    quantile: float = Field(0.99, gt=0, lt=1)
    permutations: int = Field(20_000, ge=100, le=100_000)
    min_expected: float = Field(5.0, gt=0)
    draws: int = Field(1000, ge=100, le=100_000)
    seed: int = Field(0, ge=0)

    @field_validator("kind")
    @classmethod
    def _registered_kind(cls, value: str) -> str:
        try:
            threshold_rule(value)
        except ConfigError as exc:  # pydantic reports a ValueError with the key's path
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _warn_below_critical(self) -> ThresholdConfig:
        if self.warn is not None and self.critical is not None and self.warn > self.critical:
            raise ValueError(f"'warn' ({self.warn}) must not exceed 'critical' ({self.critical})")
        return self


DEFAULT_THRESHOLDS: Mapping[str, ThresholdConfig] = {
    # Magnitudes of the default `significance` rule, compared with the bias-corrected value (see
    # benchmarks/README.md): `warn` ≈ the effect of a +0.05σ mean shift on 10 quantile bins, below
    # the smallest shifts the benchmark must catch (so power grows with n), `critical` ≈ a +0.5σ
    # shift (PSI's classic 0.25). kl, psi and hellinger's `warn` are js's through X².
    "js": ThresholdConfig(warn=0.0005, critical=0.04),
    "kl": ThresholdConfig(warn=0.00125, critical=0.12),
    "psi": ThresholdConfig(warn=0.0025, critical=0.25),
    "hellinger": ThresholdConfig(warn=0.018, critical=0.17),
    "tvd": ThresholdConfig(warn=0.025, critical=0.2),
}


def _check_metric_names(names: Sequence[str] | Mapping[str, Any]) -> None:
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; choose one of: {', '.join(metric_names())}")


MetricList = tuple[str, ...]


class _MetricsMixin(Model):
    @field_validator("metrics", check_fields=False)
    @classmethod
    def _known_metrics(cls, value: MetricList | None) -> MetricList | None:
        if value is not None:
            if not value:
                raise ValueError("'metrics' must list at least one metric")
            _check_metric_names(value)
        return value

    @field_validator("decide_on", check_fields=False)
    @classmethod
    def _known_decision_metrics(cls, value: MetricList | None) -> MetricList | None:
        if value is not None:
            if not value:
                raise ValueError("'decide_on' must list at least one metric")
            _check_metric_names(value)
        return value

    @field_validator("thresholds", check_fields=False)
    @classmethod
    def _known_threshold_metrics(
        cls, value: Mapping[str, ThresholdConfig] | None
    ) -> Mapping[str, ThresholdConfig] | None:
        if value is not None:
            _check_metric_names(value)
        return value


# --- monitors -----------------------------------------------------------------------------------


class FeaturesConfig(Model):
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    datetime: tuple[str, ...] = Field(
        (), description="timestamp columns, binned on the time axis (edges frozen, ISO labels)"
    )

    @model_validator(mode="after")
    def _some_unique_features(self) -> FeaturesConfig:
        names = [*self.numeric, *self.categorical, *self.datetime]
        if not names:
            raise ValueError("list at least one feature under 'numeric' or 'categorical'")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"features listed more than once: {', '.join(dupes)}")
        for name in names:
            if not name.strip():
                raise ValueError(f"feature name {name!r} is empty; name a column of the data")
            if len(name) > FEATURE_NAME_LENGTH:
                raise ValueError(
                    f"feature name {name[:40]!r}... is {len(name)} characters long; the results "
                    f"database stores at most {FEATURE_NAME_LENGTH}: rename the column"
                )
        return self


class FeatureOverride(_MetricsMixin):
    """Per-feature settings; only the keys given replace the monitor's."""

    binning: BinningConfig | None = None
    metrics: MetricList | None = None
    decide_on: MetricList | None = None
    thresholds: dict[str, ThresholdConfig] | None = None


class Defaults(_MetricsMixin):
    binning: BinningConfig = BinningConfig()
    metrics: MetricList = ("js", "kl")
    decide_on: MetricList = Field(
        ("js",),
        description="the metrics whose verdicts decide a feature's status; the others are shown",
    )
    thresholds: dict[str, ThresholdConfig] = Field(default_factory=dict)
    smoothing: float = Field(0.5, ge=0, description="additive smoothing alpha for kl and psi")
    min_rows: int = Field(30, ge=1)
    on_rerun: Literal["replace", "skip"] = "replace"
    chunk_rows: int = Field(250_000, ge=1_000)
    correction: Correction = Field(
        DEFAULT_CORRECTION,
        description=(
            "bh: Benjamini-Hochberg over each window's features, so a quiet window alerts at "
            "most alpha of the time whatever the number of features; none: alpha per feature"
        ),
    )
    reference_sample_rows: int = Field(
        1_000_000, ge=1_000, description="numeric edges are fitted on at most this many rows"
    )
    run_timeout: Duration = Field(
        timedelta(minutes=30),
        description="a run still computing after this long is abandoned and recorded failed",
    )
    max_parallel: int = Field(
        4, ge=1, le=64, description="monitors run at once by `driftwatch run` and the scheduler"
    )


class MonitorConfig(_MetricsMixin):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=MONITOR_NAME_LENGTH)
    description: str = ""
    schedule: ScheduleConfig | None = None
    reference: ReferenceConfig
    live: SourceConfig
    features: FeaturesConfig
    binning: BinningConfig | None = None
    metrics: MetricList | None = None
    decide_on: MetricList | None = None
    thresholds: dict[str, ThresholdConfig] | None = None
    overrides: dict[str, FeatureOverride] = Field(default_factory=dict)
    alerts: tuple[str, ...] = ()
    min_rows: int | None = Field(None, ge=1)
    on_rerun: Literal["replace", "skip"] | None = None
    max_catchup: int = Field(24, ge=0)
    run_timeout: Duration | None = None
    dataset_drift: DatasetDriftConfig = DatasetDriftConfig()
    correction: Correction | None = None

    @model_validator(mode="after")
    def _overrides_name_features(self) -> MonitorConfig:
        known = {*self.features.numeric, *self.features.categorical}
        for feature in self.overrides:
            if feature not in known:
                raise ValueError(
                    f"overrides names {feature!r}, which is not a listed feature"
                    f"{did_you_mean(feature, known)}"
                )
        if self.reference_source.window is not None:
            raise ValueError("'window' applies to the live source only, not to 'reference'")
        if self.dynamic_reference is not None and not self.live.timestamp_column:
            raise ValueError(
                f"monitor {self.name!r} has a {self.dynamic_reference.type} reference, built from "
                "its stored windows, but its live source has no 'timestamp_column'; set "
                "live.timestamp_column"
            )
        if self.schedule is not None and not self.live.timestamp_column:
            raise ValueError(
                f"monitor {self.name!r} has a schedule but its live source has no "
                "'timestamp_column', so no time window can be selected; set live.timestamp_column"
            )
        return self

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*self.features.numeric, *self.features.categorical)

    @property
    def dynamic_reference(self) -> DynamicReferenceConfig | None:
        """The rolling/expanding/previous reference, or None when the reference is a source."""
        reference = self.reference
        dynamic = RollingReferenceConfig | ExpandingReferenceConfig | PreviousReferenceConfig
        return reference if isinstance(reference, dynamic) else None

    @property
    def reference_source(self) -> SourceConfig:
        """The source the bins are fitted on: the reference itself, or a dynamic one's bootstrap."""
        reference = self.reference
        dynamic = RollingReferenceConfig | ExpandingReferenceConfig | PreviousReferenceConfig
        return reference.bootstrap if isinstance(reference, dynamic) else reference


class Config(_MetricsMixin):
    """A whole driftwatch config file."""

    database: str = DEFAULT_DATABASE_URL
    defaults: Defaults = Defaults()
    alerts: AlertsConfig = AlertsConfig()
    monitors: tuple[MonitorConfig, ...] = Field(min_length=1)
    source_file: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        names = [m.name for m in self.monitors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"monitor names must be unique; repeated: {', '.join(dupes)}")
        sinks = {s.name for s in self.alerts.sinks}
        for monitor in self.monitors:
            for sink in monitor.alerts:
                if sink not in sinks:
                    choices = ", ".join(sorted(sinks)) or "none are defined under alerts.sinks"
                    raise ValueError(
                        f"monitor {monitor.name!r} sends alerts to unknown sink {sink!r}; "
                        f"choose one of: {choices}"
                    )
            for spec in resolve_features(self, monitor):
                for metric in spec.metrics:
                    threshold = spec.thresholds[metric]
                    if (
                        threshold.kind == "constant"
                        and threshold.warn is None
                        and (threshold.critical is None)
                    ):
                        raise ValueError(
                            f"monitor {monitor.name!r}, feature {spec.name!r}: metric {metric!r} "
                            "has no 'warn' or 'critical' threshold"
                        )
        return self

    def monitor(self, name: str) -> MonitorConfig:
        """The monitor called ``name``; ConfigError listing the names if there is none."""
        for monitor in self.monitors:
            if monitor.name == name:
                return monitor
        where = f" in {self.source_file}" if self.source_file else ""
        raise ConfigError(
            f"no monitor named {name!r}{where}; choose one of: "
            f"{', '.join(m.name for m in self.monitors)}"
        )

    def sink(self, name: str) -> SinkConfig:
        for sink in self.alerts.sinks:
            if sink.name == name:
                return sink
        raise ConfigError(
            f"no alert sink named {name!r}; choose one of: "
            f"{', '.join(s.name for s in self.alerts.sinks) or '(none configured)'}"
        )


# --- resolved per-feature settings ----------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSpec:
    """Every setting of one feature after the defaults < monitor < override cascade."""

    name: str
    kind: Literal["numeric", "categorical", "datetime"]
    binning: BinningConfig
    metrics: tuple[str, ...]
    thresholds: Mapping[str, ThresholdConfig]
    smoothing: float
    decide_on: tuple[str, ...] = ("js",)

    @property
    def decision_metrics(self) -> tuple[str, ...]:
        """The enabled metrics that decide the feature's status: those of ``decide_on``, or the
        first enabled metric when ``decide_on`` names none of them."""
        chosen = tuple(m for m in self.metrics if m in self.decide_on)
        return chosen or self.metrics[:1]


def _layer(base: BinningConfig, top: BinningConfig | None) -> BinningConfig:
    if top is None:
        return base
    merged = base.model_dump(by_alias=True) | top.model_dump(by_alias=True, exclude_unset=True)
    if top.strategy != "fixed" and "strategy" in top.model_fields_set:
        merged["edges"] = None
    return BinningConfig.model_validate(merged)


def _layer_thresholds(
    base: Mapping[str, ThresholdConfig],
    top: Mapping[str, ThresholdConfig] | None,
    where: str,
) -> dict[str, ThresholdConfig]:
    merged = dict(base)
    for metric, threshold in (top or {}).items():
        if metric in merged:
            fields = merged[metric].model_dump(by_alias=True)
            fields |= threshold.model_dump(by_alias=True, exclude_unset=True)
            try:
                merged[metric] = ThresholdConfig.model_validate(fields)
            except ValidationError as exc:
                reason = re.sub(r"^Value error, ", "", exc.errors()[0]["msg"])
                raise ValueError(
                    f"{where}.thresholds.{metric}: {reason} once merged with the inherited "
                    "threshold; give both 'warn' and 'critical'"
                ) from None
        else:
            merged[metric] = threshold
    return merged


def resolve_features(config: Config, monitor: MonitorConfig) -> tuple[FeatureSpec, ...]:
    """The fully merged settings of each of the monitor's features, numeric ones first."""
    defaults = config.defaults
    monitor_binning = _layer(defaults.binning, monitor.binning)
    monitor_metrics = monitor.metrics or defaults.metrics
    defaults_thresholds = _layer_thresholds(DEFAULT_THRESHOLDS, defaults.thresholds, "defaults")
    monitor_thresholds = _layer_thresholds(
        defaults_thresholds, monitor.thresholds, f"monitor {monitor.name!r}"
    )
    specs = []
    kinds: list[tuple[Literal["numeric", "categorical", "datetime"], tuple[str, ...]]] = [
        ("numeric", monitor.features.numeric),
        ("categorical", monitor.features.categorical),
        ("datetime", monitor.features.datetime),
    ]
    for kind, names in kinds:
        for name in names:
            override = monitor.overrides.get(name, FeatureOverride())
            binning = _layer(monitor_binning, override.binning)
            if kind == "datetime" and binning.strategy == "fixed":
                raise ValueError(
                    f"monitor {monitor.name!r}: datetime feature {name!r} cannot use fixed "
                    "binning edges (they are numbers); use strategy quantile or uniform"
                )
            specs.append(
                FeatureSpec(
                    name=name,
                    kind=kind,
                    binning=binning,
                    metrics=override.metrics or monitor_metrics,
                    decide_on=override.decide_on or monitor.decide_on or defaults.decide_on,
                    thresholds=_layer_thresholds(
                        monitor_thresholds,
                        override.thresholds,
                        f"monitor {monitor.name!r} overrides.{name}",
                    ),
                    smoothing=defaults.smoothing,
                )
            )
    return tuple(specs)
