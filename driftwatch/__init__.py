"""driftwatch: per-feature KL / Jensen-Shannon drift between a reference and a live dataset,
stored in a SQL database, with alerts.

    >>> import driftwatch
    >>> results = driftwatch.run_monitor("config/example.yaml", "seattle-weather")  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from driftwatch.api import open_store, run_monitor, run_monitors
from driftwatch.config import Config, load_config, parse_config
from driftwatch.errors import (
    AlertError,
    ColumnError,
    ConfigError,
    DeliveryError,
    DriftwatchError,
    EngineError,
    SchedulerError,
    SchemaOutOfDateError,
    SourceError,
    StoreError,
)
from driftwatch.sources import TimeWindow

try:
    __version__ = version("driftwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "AlertError",
    "ColumnError",
    "Config",
    "ConfigError",
    "DeliveryError",
    "DriftwatchError",
    "EngineError",
    "SchedulerError",
    "SchemaOutOfDateError",
    "SourceError",
    "StoreError",
    "TimeWindow",
    "__version__",
    "load_config",
    "open_store",
    "parse_config",
    "run_monitor",
    "run_monitors",
]
