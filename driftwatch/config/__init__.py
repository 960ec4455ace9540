"""The YAML configuration: frozen pydantic models and the loader (:mod:`.loading`).

The models follow the file: :mod:`.models` (the file and its monitors, binning, thresholds),
:mod:`.sources`, :mod:`.alerts` (sinks, silences) and :mod:`.schedule` (cron/interval triggers).

Settings cascade: built-in defaults < ``defaults:`` < the monitor's own keys <
``overrides.<feature>``; :func:`resolve_features` gives the merged settings of every feature.
"""

from driftwatch.config.alerts import (
    AlertmanagerSinkConfig,
    AlertsConfig,
    DatasetDriftConfig,
    EmailSinkConfig,
    LinksConfig,
    LogSinkConfig,
    PagerDutySinkConfig,
    SilenceConfig,
    SinkConfig,
    SlackSinkConfig,
    WebhookSinkConfig,
)
from driftwatch.config.loading import load_config, parse_config
from driftwatch.config.models import (
    DEFAULT_DATABASE_URL,
    DEFAULT_THRESHOLDS,
    BinningConfig,
    Config,
    Defaults,
    FeatureOverride,
    FeaturesConfig,
    FeatureSpec,
    MonitorConfig,
    ThresholdConfig,
    resolve_features,
    resolve_sqlite_path,
)
from driftwatch.config.schedule import ScheduleConfig
from driftwatch.config.sources import (
    CsvSourceConfig,
    DaskSourceConfig,
    DataFrameSourceConfig,
    ParquetSourceConfig,
    SourceConfig,
    SqlSourceConfig,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_THRESHOLDS",
    "AlertmanagerSinkConfig",
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
    "LinksConfig",
    "LogSinkConfig",
    "MonitorConfig",
    "PagerDutySinkConfig",
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
    "resolve_sqlite_path",
]
