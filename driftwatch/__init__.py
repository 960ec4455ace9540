"""driftwatch: per-feature KL / Jensen-Shannon drift between a reference and a live dataset,
stored in a SQL database, with alerts.

    >>> import driftwatch
    >>> report = driftwatch.compare(reference_df, live_df)  # doctest: +SKIP
    >>> report.drifted  # doctest: +SKIP
    >>> results = driftwatch.run_monitor("config/example.yaml", "seattle-weather")  # doctest: +SKIP
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftwatch._version import __version__
from driftwatch.errors import (
    AlertError,
    ColumnError,
    ConfigError,
    DeliveryError,
    DriftwatchError,
    EngineError,
    RollupError,
    SchedulerError,
    SchemaOutOfDateError,
    SourceError,
    StoreError,
)
from driftwatch.timeutil import TimeWindow

_LAZY = {
    "Config": "driftwatch.config",
    "load_config": "driftwatch.config",
    "parse_config": "driftwatch.config",
    "DriftReport": "driftwatch.comparison",
    "compare": "driftwatch.comparison",
    "compare_stored": "driftwatch.api",
    "open_store": "driftwatch.api",
    "run_monitor": "driftwatch.api",
    "run_monitors": "driftwatch.api",
}
"""Names imported on first use (PEP 562). The CLI lives inside this package, so this file is
part of its one start-up budget (``--help``, ``--version``, ``validate``): it imports only the
error and time types."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'driftwatch' has no attribute {name!r}")
    value: object = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if _TYPE_CHECKING:
    from driftwatch.api import compare_stored, open_store, run_monitor, run_monitors
    from driftwatch.comparison import DriftReport, compare
    from driftwatch.config import Config, load_config, parse_config

__all__ = [
    "AlertError",
    "ColumnError",
    "Config",
    "ConfigError",
    "DeliveryError",
    "DriftReport",
    "DriftwatchError",
    "EngineError",
    "RollupError",
    "SchedulerError",
    "SchemaOutOfDateError",
    "SourceError",
    "StoreError",
    "TimeWindow",
    "__version__",
    "compare",
    "compare_stored",
    "load_config",
    "open_store",
    "parse_config",
    "run_monitor",
    "run_monitors",
]
