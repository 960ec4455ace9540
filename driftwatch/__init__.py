"""driftwatch: per-feature KL / Jensen-Shannon drift between a reference and a live dataset,
stored in a SQL database, with alerts.

    >>> import driftwatch
    >>> report = driftwatch.compare(reference_df, live_df)  # doctest: +SKIP
    >>> report.drifted  # doctest: +SKIP
    >>> results = driftwatch.run_monitor("config/example.yaml", "seattle-weather")  # doctest: +SKIP
"""

import gc as _gc
from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftwatch._numpy_dispatch import prefer_avx2_on_zen4 as _prefer_avx2_on_zen4

_prefer_avx2_on_zen4()  # before anything imports numpy: on AMD Zen 4 its AVX-512 sort is slow

# Importing pandas, SQLAlchemy and pydantic makes a few hundred thousand objects that live as long
# as the process. Left alone, the cyclic collector scans them in young collections and then in two
# full ones during the import: ~0.1 s of every `driftwatch run`, nothing freed. So the collector
# is paused while the package imports, and the new objects are then moved straight into the
# oldest generation (freeze + unfreeze: no scan). They stay collectable there, at the next full
# collection; a caller's own frozen objects (gc.freeze before a fork) are left as they are.
_collecting = _gc.isenabled()
_gc.disable()
try:
    from driftwatch._version import __version__
    from driftwatch.config import Config, load_config, parse_config
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
finally:
    if _gc.get_freeze_count() == 0:
        _gc.freeze()
        _gc.unfreeze()
    if _collecting:
        _gc.enable()


_LAZY = {
    "DriftReport": "driftwatch.comparison",
    "compare": "driftwatch.comparison",
    "compare_stored": "driftwatch.api",
    "open_store": "driftwatch.api",
    "run_monitor": "driftwatch.api",
    "run_monitors": "driftwatch.api",
}
"""Names imported on first use: ``import driftwatch`` (and so the ``driftwatch`` command's
``--help`` and ``--version``) does not import pandas or SQLAlchemy."""


def __getattr__(name: str) -> object:
    if _LAZY.get(name) == "driftwatch.api":
        from driftwatch import api

        value: object = getattr(api, name)
    elif _LAZY.get(name) == "driftwatch.comparison":
        from driftwatch import comparison

        value = getattr(comparison, name)
    else:
        raise AttributeError(f"module 'driftwatch' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if _TYPE_CHECKING:
    from driftwatch.api import compare_stored, open_store, run_monitor, run_monitors
    from driftwatch.comparison import DriftReport, compare

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
