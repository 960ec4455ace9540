"""Reading reference and live data: CSV, Parquet, SQL, in-memory DataFrames and Dask.

``open_source(config)`` returns a :class:`Source`; its ``read(columns, window=...)`` yields
DataFrame chunks holding exactly the requested columns of the rows in the time window, and its
``count(features, window=...)`` the features' histograms on their frozen bins (read and counted
here, or where the data lives: SQL pushdown, Dask partitions).
:func:`numeric_values` and :func:`categorical_codes` turn a column into what the engine bins.
"""

from driftwatch.sources.base import Source, open_source
from driftwatch.sources.columns import categorical_codes, numeric_values

__all__ = ["Source", "categorical_codes", "numeric_values", "open_source"]
