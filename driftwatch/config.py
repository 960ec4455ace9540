"""The YAML configuration: frozen pydantic models, ``${VAR}`` interpolation, precise error messages.

A config file is validated at the door: every key is known (``extra="forbid"``), every value typed,
every cross-reference (a sink name, an override's feature, a threshold's metric) resolved. A bad
file yields one :class:`~driftwatch.errors.ConfigError` line naming the file, the key path
(``monitors[1].live.window``), what was found and what was expected.

Settings cascade: built-in defaults < ``defaults:`` < the monitor's own keys <
``overrides.<feature>``.
:func:`resolve_features` produces the fully merged :class:`FeatureSpec` of every feature.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
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

from driftwatch.errors import ConfigError
from driftwatch.timeutil import as_utc, parse_duration

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_THRESHOLDS",
    "METRIC_NAMES",
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
    "load_config",
    "parse_config",
    "resolve_features",
]

DEFAULT_DATABASE_URL = "sqlite:///driftwatch.db"
METRIC_NAMES = ("hellinger", "js", "kl", "psi", "tvd")

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

    ``kind`` selects the rule (see :mod:`driftwatch.evaluate` and :mod:`driftwatch.thresholds`):
    ``significance`` (default) needs a G-test p-value below ``alpha`` *and* the value at least
    ``warn``/``critical``; ``calibrated`` needs the value above the ``quantile`` of the metric's
    no-drift distribution at the live window's size *and* at least ``warn``/``critical``;
    ``constant`` compares the value with ``warn``/``critical`` only. ``for`` asks for that many
    consecutive breaching windows before firing. ``permutations`` (Monte Carlo p-value when an
    expected count is below ``min_expected``), ``draws`` (null draws of ``calibrated``) and
    ``seed`` make the resampling reproducible and bounded.
    """

    kind: Literal["constant", "significance", "calibrated"] = "significance"
    warn: float | None = Field(None, ge=0)
    critical: float | None = Field(None, ge=0)
    for_: int = Field(1, alias="for", ge=1)
    alpha: float = Field(0.01, gt=0, lt=1)
    quantile: float = Field(0.99, gt=0, lt=1)
    permutations: int = Field(20_000, ge=100, le=100_000)
    min_expected: float = Field(5.0, gt=0)
    draws: int = Field(1000, ge=100, le=100_000)
    seed: int = Field(0, ge=0)

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
        if name not in METRIC_NAMES:
            raise ValueError(f"unknown metric {name!r}; choose one of: {', '.join(METRIC_NAMES)}")


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


# --- loading ------------------------------------------------------------------------------------

_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(node: Any, path: str, env: Mapping[str, str], secrets: set[str]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, _join(path, str(k)), env, secrets) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", env, secrets) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        if name in env:
            value = env[name]
            if value:
                secrets.add(value)
            return value
        if default is not None:
            return default
        raise ConfigError(
            f"{path or 'config'}: environment variable {name} is not set; "
            f"export it, or write ${{{name}:-default}} to give a default"
        )

    return _VAR.sub(substitute, node)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _loc_to_path(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    previous: int | str | None = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif (previous in ("reference", "live") and item in _SOURCE_TAGS) or (
            isinstance(previous, int) and item in _SINK_TAGS
        ):
            pass  # pydantic's discriminated-union tag, not a key the user wrote
        else:
            parts.append(("." if parts else "") + str(item))
        previous = item
    return "".join(parts) or "(top level)"


def _all_field_names() -> set[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Config]
    seen: set[type[BaseModel]] = set()
    models: list[type[BaseModel]] = [
        CsvSourceConfig, ParquetSourceConfig, SqlSourceConfig, DataFrameSourceConfig,
        DaskSourceConfig,
        LogSinkConfig, WebhookSinkConfig, SlackSinkConfig, EmailSinkConfig, ThresholdConfig,
        BinningConfig, FeatureOverride, ScheduleConfig, FeaturesConfig, SilenceConfig,
        DatasetDriftConfig, AlertsConfig, Defaults, MonitorConfig,
    ]  # fmt: skip
    stack.extend(models)
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(field.alias or name)
    return names


def _did_you_mean(word: str, choices: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_prefix_of_another(loc: tuple[Any, ...], locs: Sequence[tuple[Any, ...]]) -> bool:
    """pydantic also reports a container as 'too short' when its items failed: keep the items."""
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)


def _describe_error(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    found = error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        hint = _did_you_mean(key, _all_field_names()) or "; remove it or check its indentation"
        return f"{_loc_to_path(loc)}: unknown key {key!r}{hint}"
    if kind == "missing":
        return f"{_loc_to_path(loc)}: required key is missing"
    message = str(error["msg"])
    message = re.sub(r"^(Value error|Assertion failed), ", "", message)
    message = message.replace("Input should be", "expected").replace("Input tag", "type")
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        tag = error.get("ctx", {}).get("tag")
        return f"{_loc_to_path(loc)}.type: unknown type {tag!r}; expected one of: {expected}"
    if kind == "union_tag_not_found":
        return f"{_loc_to_path(loc)}: missing 'type' key"
    path = _loc_to_path(loc)
    if kind.startswith("value_error") or kind == "assertion_error" or isinstance(found, dict):
        return f"{path}: {message}"
    shown = repr(found)
    return f"{path}: {message}, found {shown if len(shown) <= 80 else shown[:77] + '...'}"


def parse_config(
    data: Mapping[str, Any],
    *,
    source: str = "<config>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed YAML mapping; relative paths resolve against ``base_dir``."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: expected a YAML mapping with a 'monitors' key at the top level, "
            f"found {type(data).__name__}"
        )
    secrets: set[str] = set()
    try:
        expanded = _interpolate(dict(data), "", os.environ if env is None else env, secrets)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    try:
        config = Config.model_validate(
            expanded, context={"base_dir": base_dir if base_dir is not None else Path.cwd()}
        )
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(err["loc"]) for err in errors]
        messages = [
            _describe_error(err)
            for err in errors
            if not any(
                len(o) > len(err["loc"]) and o[: len(err["loc"])] == err["loc"] for o in locs
            )
        ]
        text = "; ".join(dict.fromkeys(messages))
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        raise ConfigError(f"{source}: {text}") from None
    except ConfigError as exc:  # raised by a validator that builds its own message
        raise ConfigError(f"{source}: {exc}") from None
    if source != "<config>":
        config = config.model_copy(update={"source_file": Path(source)})
    return config


def load_config(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a YAML config file; ConfigError with file, key path and fix on failure."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {str(file)!r} not found; pass --config with the path of a driftwatch "
            "YAML file (e.g. config/example.yaml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(file)!r} cannot be read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"{file}: not valid YAML{where}: {problem}; check indentation and quoting"
        ) from None
    if data is None:
        raise ConfigError(f"{file}: the file is empty; it needs at least a 'monitors' list")
    return parse_config(data, source=str(file), base_dir=file.resolve().parent, env=env)


def iter_monitors(config: Config, names: Sequence[str] | None = None) -> Iterator[MonitorConfig]:
    """The config's monitors, or only those named (ConfigError on an unknown name)."""
    if not names:
        yield from config.monitors
        return
    for name in names:
        yield config.monitor(name)
