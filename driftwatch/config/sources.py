"""Where a monitor reads its reference and live data: one model per source type.

``type`` picks the model (a pydantic discriminated union); relative paths resolve against the
config file's folder (the ``base_dir`` of the validation context). The readers themselves live in
:mod:`driftwatch.sources`.

A SQL source's URL must be one SQLAlchemy reads as written: an unescaped ``@`` in its password or a
port that is not a number is refused here, in words that never quote the password. What messages
about a source must never show is its :attr:`~_SourceBase.secrets`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from driftwatch.config._common import Duration, Model, UtcDatetime, type_tags
from driftwatch.errors import url_problem, url_secrets

__all__ = [
    "SOURCE_TYPES",
    "CsvSourceConfig",
    "DaskSourceConfig",
    "DataFrameSourceConfig",
    "ParquetSourceConfig",
    "SourceConfig",
    "SqlSourceConfig",
]

SECRET_VALUES = "secret_values"
"""The validation context's key for the values the loader interpolated from the environment into
secret-looking places (a ``query``, a ``password``): a source keeps those its own text holds."""


class _SourceBase(Model):
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

    @property
    def secrets(self) -> frozenset[str]:
        """Texts no message about this source may show (see :func:`driftwatch.errors.redact`)."""
        return frozenset()


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

    ``query`` may use the binds ``:window_start`` and ``:window_end``. ``connect_timeout`` bounds
    opening a connection and ``statement_timeout`` each statement, in the dialect's own terms
    (see :mod:`driftwatch.sources.sql`), so a database that accepts and never answers fails the
    run with one line instead of hanging it.
    """

    model_config = ConfigDict(hide_input_in_errors=True)  # pydantic's own text: no URL in it

    type: Literal["sql"]
    url: str
    table: str | None = None
    db_schema: str | None = Field(None, alias="schema")
    query: str | None = None
    pushdown: bool = False
    connect_timeout: Duration = timedelta(seconds=10)
    statement_timeout: Duration = timedelta(minutes=10)

    _query_secrets: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @field_validator("url")
    @classmethod
    def _readable_url(cls, value: str) -> str:
        problem = url_problem(value)  # an unescaped '@' in the password, a port not a number
        if problem is not None:
            raise ValueError(f"the database URL {problem}")
        return value

    @model_validator(mode="after")
    def _table_or_query(self, info: ValidationInfo) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' or 'query'")
        given = (info.context or {}).get(SECRET_VALUES, ())
        self._query_secrets = frozenset(v for v in given if v in (self.query or ""))
        return self

    @property
    def secrets(self) -> frozenset[str]:
        """The URL's password (in each form, :func:`~driftwatch.errors.url_secrets`) and the
        values interpolated from the environment into ``query``."""
        return url_secrets(self.url) | self._query_secrets


class DataFrameSourceConfig(_SourceBase):
    """An in-memory pandas DataFrame handed to :func:`driftwatch.run_monitor` under ``name``."""

    type: Literal["dataframe"]
    name: str


class DaskSourceConfig(_SourceBase):
    """Parquet or CSV files read as a Dask DataFrame; histograms are counted per partition.

    ``path`` is anything ``dask.dataframe.read_parquet``/``read_csv`` accepts (a file, a folder,
    a glob, an ``s3://`` URL); ``scheduler`` is a ``distributed`` scheduler address
    (``tcp://host:8786``), or unset for Dask's local threaded scheduler in this process.
    Needs ``pip install 'driftwatch-monitor[dask]'``.
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

    @property
    def secrets(self) -> frozenset[str]:
        """The password of an ``s3://key:secret@...``-style path, in each form."""
        return url_secrets(self.path) if "://" in self.path else frozenset()


SourceConfig = Annotated[
    CsvSourceConfig
    | ParquetSourceConfig
    | SqlSourceConfig
    | DataFrameSourceConfig
    | DaskSourceConfig,
    Field(discriminator="type"),
]
SOURCE_TYPES = type_tags(SourceConfig)
"""The accepted ``type:`` values of a source, read off the union above."""
