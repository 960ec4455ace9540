"""Reading reference and live data: CSV, Parquet, SQL, in-memory DataFrames and Dask.

``open_source(config)`` returns a :class:`Source`; its ``read(columns, window=...)`` yields
DataFrame chunks holding exactly the requested columns of the rows in the time window, and its
``count(features, window=...)`` the features' histograms on their frozen bins (read and counted
here, or where the data lives: SQL pushdown, Dask partitions).
:func:`~driftwatch.sources.columns.numeric_values` turns a column into what the engine bins.
"""

from driftwatch.sources.base import Source, open_source

__all__ = ["Source", "open_source"]
