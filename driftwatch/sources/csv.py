"""CSV files, read in chunks with pandas; only the needed columns are parsed.

Note: with ``usecols`` pandas tolerates rows with more fields than the header (the extra ones are
dropped), so only structural damage such as an unterminated quote is reported as invalid CSV.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from driftwatch.config import CsvSourceConfig
from driftwatch.sources._common import BaseSource, ReadPlan, absolute, file_digest

__all__ = ["CsvSource"]


class CsvSource(BaseSource):
    """A delimited text file with a header row (``type: csv``)."""

    config: CsvSourceConfig

    def __init__(self, config: CsvSourceConfig, *, role: str = "source") -> None:
        super().__init__(config, role=role)
        self.path = absolute(config.path)

    def describe(self) -> str:
        return f"csv file {self.path}"

    def columns(self) -> list[str]:
        """The header row's names (pandas-style: a repeated name ``x`` reads as ``x.1``)."""
        self._check_file()
        with self._errors():
            header = pd.read_csv(self.path, nrows=0, **self._options())
        return [str(name) for name in header.columns]

    def fingerprint(self) -> str:
        self._check_file()
        c = self.config
        return file_digest(
            [self.path], "csv", c.delimiter, c.encoding, c.timestamp_column, *self.fixed_range
        )

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        self._check_file()
        # No columns at all still means rows (a count without features): parse the first one.
        usecols: list[str] | list[int] = list(plan.fetch) or [0]
        with (
            self._errors(),
            pd.read_csv(
                self.path, usecols=usecols, chunksize=plan.chunk_rows, **self._options()
            ) as reader,
        ):
            for chunk in reader:
                yield self._filter(chunk, plan)

    def _options(self) -> dict[str, Any]:
        """Keyword arguments for ``pd.read_csv``: the C parser unless the delimiter needs Python."""
        delimiter = self.config.delimiter
        options: dict[str, Any] = {"encoding": self.config.encoding}
        if len(delimiter) == 1:
            # low_memory=False: one dtype per column per chunk, no DtypeWarning on mixed columns.
            options.update(sep=delimiter, engine="c", low_memory=False)
        else:  # the python engine treats a multi-character sep as a regex: match it literally
            options.update(sep=re.escape(delimiter), engine="python")
        return options

    def _check_file(self) -> None:
        if not self.path.exists():
            raise self._fail(f"file '{self.path}' not found; fix the 'path' key or create the file")
        if self.path.is_dir():
            raise self._fail(
                f"'{self.path}' is a directory, not a CSV file; fix the 'path' key "
                "(a directory of files is supported by type: parquet)"
            )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn pandas/OS failures into one-line SourceErrors naming the file."""
        try:
            yield
        except pd.errors.EmptyDataError:
            raise self._fail(
                f"csv file '{self.path}' is empty; it needs a header row naming the columns"
            ) from None
        except pd.errors.ParserError as exc:
            reason = " ".join(str(exc).split())
            raise self._fail(
                f"csv file '{self.path}' is not valid CSV: {reason}; check the file and the "
                f"'delimiter' key (now {self.config.delimiter!r})"
            ) from None
        except UnicodeError as exc:
            raise self._fail(
                f"csv file '{self.path}' is not text in encoding {self.config.encoding!r} "
                f"({exc.__class__.__name__} at byte {getattr(exc, 'start', '?')}); "
                "fix the 'encoding' key or check that the file is CSV"
            ) from None
        except LookupError as exc:  # unknown codec name
            raise self._fail(f"{exc}; fix the 'encoding' key (e.g. utf-8, latin-1)") from None
        except OSError as exc:
            raise self._fail(
                f"csv file '{self.path}' cannot be read: {exc.strerror or exc}"
            ) from None
