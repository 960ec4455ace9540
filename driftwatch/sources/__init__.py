"""Reading reference and live data: CSV, Parquet, SQL and in-memory DataFrames.

``open_source(config)`` returns a :class:`Source`; its ``read(columns, window=...)`` yields
DataFrame chunks holding exactly the requested columns of the rows in the time window.
:func:`numeric_values` and :func:`categorical_codes` turn a column into what the engine bins.
"""

from driftwatch.sources.base import Source, open_source
from driftwatch.sources.columns import categorical_codes, numeric_values

__all__ = ["Source", "categorical_codes", "numeric_values", "open_source"]
