"""Reading reference and live data: CSV, Parquet, SQL, in-memory DataFrames and Dask.

``open_source(config)`` returns a :class:`Source`; its ``read(columns, window=...)`` yields
DataFrame chunks holding exactly the requested columns of the rows in the time window, and its
``count(features, window=...)`` the features' histograms on their frozen bins (read and counted
here, or where the data lives: SQL pushdown, Dask partitions).
:func:`numeric_values` and :func:`categorical_codes` turn a column into what the engine bins.
"""

from typing import TYPE_CHECKING

from driftwatch.sources.base import Source, open_source

if TYPE_CHECKING:
    from driftwatch.sources.columns import categorical_codes, numeric_values

__all__ = ["Source", "categorical_codes", "numeric_values", "open_source"]


def __getattr__(name: str) -> object:
    """The pandas column helpers, imported on first use: opening a source needs no pandas."""
    if name in ("categorical_codes", "numeric_values"):
        from driftwatch.sources import columns

        return getattr(columns, name)
    raise AttributeError(f"module 'driftwatch.sources' has no attribute {name!r}")
