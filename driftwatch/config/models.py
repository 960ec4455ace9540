"""The configuration's frozen pydantic models and the settings cascade.

A config is validated at the door: every key is known (``extra="forbid"``), every value typed,
every cross-reference (a sink name, an override's feature, a threshold's metric) resolved.
:mod:`driftwatch.config.loading` turns a failure into one line naming file and key path.

Settings cascade: built-in defaults < ``defaults:`` < the monitor's own keys <
``overrides.<feature>``.
:func:`resolve_features` produces the fully merged :class:`FeatureSpec` of every feature.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from driftwatch.engine.metrics import METRICS, metric_names
from driftwatch.errors import ConfigError
from driftwatch.thresholds import threshold_rule
from driftwatch.timeutil import as_utc, parse_duration

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_THRESHOLDS",
    "AlertsConfig",
    "BinningConfig",
    "Config",
    "CsvSourceConfig",
    "DaskSourceConfig",
    "DataFrameSourceConfig",
    "DatasetDriftConfig",
    "Defaults",
    "EmailSinkConfig",
    "FeatureOverride",
    "FeatureSpec",
    "FeaturesConfig",
    "LogSinkConfig",
    "MonitorConfig",
    "ParquetSourceConfig",
    "ScheduleConfig",
    "SilenceConfig",
    "SinkConfig",
    "SlackSinkConfig",
    "SourceConfig",
    "SqlSourceConfig",
    "ThresholdConfig",
    "WebhookSinkConfig",
    "resolve_features",
]

DEFAULT_DATABASE_URL = "sqlite:///driftwatch.db"

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""A datetime from YAML (a date, or a naive datetime taken as UTC) as an aware UTC datetime."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- binning, metrics, thresholds ---------------------------------------------------------------


class BinningConfig(_Model):
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
            if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
                raise ValueError(f"'edges' must be strictly increasing, found {list(self.edges)}")
        elif self.edges is not None:
            raise ValueError(f"'edges' only applies to strategy 'fixed', not {self.strategy!r}")
        return self


class ThresholdConfig(_Model):
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
    # Magnitudes of the default `significance` rule (see benchmarks/README.md): `warn` ≈ the effect
    # of a +0.075σ mean shift on 10 quantile bins, `critical` ≈ a +0.5σ shift (PSI's classic 0.25).
    "js": ThresholdConfig(warn=0.001, critical=0.04),
    "kl": ThresholdConfig(warn=0.0025, critical=0.12),
    "psi": ThresholdConfig(warn=0.005, critical=0.25),
    "hellinger": ThresholdConfig(warn=0.025, critical=0.17),
    "tvd": ThresholdConfig(warn=0.025, critical=0.2),
}


def _check_metric_names(names: Sequence[str] | Mapping[str, Any]) -> None:
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; choose one of: {', '.join(metric_names())}")


MetricList = tuple[str, ...]


class _MetricsMixin(_Model):
    @field_validator("metrics", check_fields=False)
    @classmethod
    def _known_metrics(cls, value: MetricList | None) -> MetricList | None:
        if value is not None:
            if not value:
                raise ValueError("'metrics' must list at least one metric")
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


# --- sources ------------------------------------------------------------------------------------


class _SourceBase(_Model):
    timestamp_column: str | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = None
    window: Duration | None = None

    @model_validator(mode="after")
    def _time_filters_need_timestamp(self) -> _SourceBase:
        uses_time = self.start is not None or self.end is not None or self.window is not None
        if uses_time and not self.timestamp_column:
            raise ValueError("'start', 'end' and 'window' need 'timestamp_column' to be set")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"'start' ({self.start}) must be before 'end' ({self.end})")
        return self


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = Path(os.path.expanduser(value))
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


class CsvSourceConfig(_SourceBase):
    type: Literal["csv"]
    path: Path
    delimiter: str = ","
    encoding: str = "utf-8"

    _resolve = field_validator("path")(_resolve_path)


class ParquetSourceConfig(_SourceBase):
    type: Literal["parquet"]
    path: Path

    _resolve = field_validator("path")(_resolve_path)


class SqlSourceConfig(_SourceBase):
    """A table or a query in any SQLAlchemy database.

    ``query`` may use the binds ``:window_start`` and ``:window_end``.
    """

    type: Literal["sql"]
    url: str
    table: str | None = None
    db_schema: str | None = Field(None, alias="schema")
    query: str | None = None
    pushdown: bool = False

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' or 'query'")
        return self


class DataFrameSourceConfig(_SourceBase):
    """An in-memory pandas DataFrame handed to :func:`driftwatch.run_monitor` under ``name``."""

    type: Literal["dataframe"]
    name: str


class DaskSourceConfig(_SourceBase):
    """Parquet or CSV files read as a Dask DataFrame; histograms are counted per partition.

    ``path`` is anything ``dask.dataframe.read_parquet``/``read_csv`` accepts (a file, a folder,
    a glob, an ``s3://`` URL); ``scheduler`` is a ``distributed`` scheduler address
    (``tcp://host:8786``), or unset for Dask's local threaded scheduler in this process.
    Needs ``pip install 'driftwatch[dask]'``.
    """

    type: Literal["dask"]
    path: str
    format: Literal["parquet", "csv"] = "parquet"
    scheduler: str | None = None

    @field_validator("path")
    @classmethod
    def _resolve_local(cls, value: str, info: ValidationInfo) -> str:
        if "://" in value:
            return value
        return str(_resolve_path(Path(value), info))


SourceConfig = Annotated[
    CsvSourceConfig
    | ParquetSourceConfig
    | SqlSourceConfig
    | DataFrameSourceConfig
    | DaskSourceConfig,
    Field(discriminator="type"),
]
_SOURCE_TAGS = {"csv", "parquet", "sql", "dataframe", "dask"}


# --- alerts -------------------------------------------------------------------------------------


class _SinkBase(_Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")


class LogSinkConfig(_SinkBase):
    type: Literal["log"]
    level: Literal["debug", "info", "warning", "error"] = "warning"


class WebhookSinkConfig(_SinkBase):
    """JSON POST; with ``secret`` set, an HMAC-SHA256 signature header (see README "Alerts")."""

    type: Literal["webhook"]
    url: str
    secret: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = timedelta(seconds=10)


class SlackSinkConfig(_SinkBase):
    type: Literal["slack"]
    url: str
    timeout: Duration = timedelta(seconds=10)
    top_features: int = Field(5, ge=1, le=50)


class EmailSinkConfig(_SinkBase):
    type: Literal["email"]
    host: str
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=10)


SinkConfig = Annotated[
    LogSinkConfig | WebhookSinkConfig | SlackSinkConfig | EmailSinkConfig,
    Field(discriminator="type"),
]
_SINK_TAGS = {"log", "webhook", "slack", "email"}


class SilenceConfig(_Model):
    """Mute notifications of a monitor (optionally one feature) until ``until``."""

    monitor: str
    feature: str | None = None
    until: UtcDatetime
    reason: str = ""


class DatasetDriftConfig(_Model):
    """One monitor-level alert when at least ``share`` of the features are at warn or worse."""

    enabled: bool = False
    share: float = Field(0.5, gt=0, le=1)
    suppress_feature_alerts: bool = True


class AlertsConfig(_Model):
    repeat_interval: Duration = timedelta(hours=24)
    notify_no_data: bool = False
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_initial: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(hours=1)
    sinks: tuple[SinkConfig, ...] = ()
    silences: tuple[SilenceConfig, ...] = ()

    @field_validator("sinks")
    @classmethod
    def _unique_sink_names(cls, sinks: tuple[SinkConfig, ...]) -> tuple[SinkConfig, ...]:
        seen: set[str] = set()
        for sink in sinks:
            if sink.name in seen:
                raise ValueError(f"sink name {sink.name!r} is used twice; names must be unique")
            seen.add(sink.name)
        return sinks


# --- monitors -----------------------------------------------------------------------------------


class ScheduleConfig(_Model):
    """When ``driftwatch schedule`` runs a monitor: a 5-field ``cron`` or an ``interval``."""

    cron: str | None = None
    interval: Duration | None = None
    timezone: str = "UTC"
    misfire_grace_time: Duration = timedelta(minutes=10)

    @model_validator(mode="after")
    def _cron_or_interval(self) -> ScheduleConfig:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("give exactly one of 'cron' or 'interval'")
        from driftwatch.scheduler import build_trigger  # the one module that imports APScheduler

        build_trigger(self)
        return self


class FeaturesConfig(_Model):
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _some_unique_features(self) -> FeaturesConfig:
        names = [*self.numeric, *self.categorical]
        if not names:
            raise ValueError("list at least one feature under 'numeric' or 'categorical'")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"features listed more than once: {', '.join(dupes)}")
        return self


class FeatureOverride(_MetricsMixin):
    """Per-feature settings; only the keys given replace the monitor's."""

    binning: BinningConfig | None = None
    metrics: MetricList | None = None
    thresholds: dict[str, ThresholdConfig] | None = None


class Defaults(_MetricsMixin):
    binning: BinningConfig = BinningConfig()
    metrics: MetricList = ("js", "kl")
    thresholds: dict[str, ThresholdConfig] = Field(default_factory=dict)
    smoothing: float = Field(0.5, ge=0, description="additive smoothing alpha for kl and psi")
    min_rows: int = Field(30, ge=1)
    on_rerun: Literal["replace", "skip"] = "replace"
    chunk_rows: int = Field(250_000, ge=1_000)
    correction: Literal["none", "bh"] = "none"
    reference_sample_rows: int = Field(
        1_000_000, ge=1_000, description="numeric edges are fitted on at most this many rows"
    )


class MonitorConfig(_MetricsMixin):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=200)
    description: str = ""
    schedule: ScheduleConfig | None = None
    reference: SourceConfig
    live: SourceConfig
    features: FeaturesConfig
    binning: BinningConfig | None = None
    metrics: MetricList | None = None
    thresholds: dict[str, ThresholdConfig] | None = None
    overrides: dict[str, FeatureOverride] = Field(default_factory=dict)
    alerts: tuple[str, ...] = ()
    min_rows: int | None = Field(None, ge=1)
    on_rerun: Literal["replace", "skip"] | None = None
    max_catchup: int = Field(24, ge=0)
    dataset_drift: DatasetDriftConfig = DatasetDriftConfig()
    correction: Literal["none", "bh"] | None = None

    @model_validator(mode="after")
    def _overrides_name_features(self) -> MonitorConfig:
        known = {*self.features.numeric, *self.features.categorical}
        for feature in self.overrides:
            if feature not in known:
                raise ValueError(
                    f"overrides names {feature!r}, which is not a listed feature"
                    f"{_did_you_mean(feature, known)}"
                )
        if self.reference.window is not None:
            raise ValueError("'window' applies to the live source only, not to 'reference'")
        if self.schedule is not None and not self.live.timestamp_column:
            raise ValueError(
                f"monitor {self.name!r} has a schedule but its live source has no "
                "'timestamp_column', so no time window can be selected; set live.timestamp_column"
            )
        return self

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*self.features.numeric, *self.features.categorical)


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
    kind: Literal["numeric", "categorical"]
    binning: BinningConfig
    metrics: tuple[str, ...]
    thresholds: Mapping[str, ThresholdConfig]
    smoothing: float


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
    kinds: list[tuple[Literal["numeric", "categorical"], tuple[str, ...]]] = [
        ("numeric", monitor.features.numeric),
        ("categorical", monitor.features.categorical),
    ]
    for kind, names in kinds:
        for name in names:
            override = monitor.overrides.get(name, FeatureOverride())
            specs.append(
                FeatureSpec(
                    name=name,
                    kind=kind,
                    binning=_layer(monitor_binning, override.binning),
                    metrics=override.metrics or monitor_metrics,
                    thresholds=_layer_thresholds(
                        monitor_thresholds,
                        override.thresholds,
                        f"monitor {monitor.name!r} overrides.{name}",
                    ),
                    smoothing=defaults.smoothing,
                )
            )
    return tuple(specs)


def _did_you_mean(word: str, choices: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
