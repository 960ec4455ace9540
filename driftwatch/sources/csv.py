"""CSV files, read in chunks with pandas; only the needed columns are converted, and a wide file
is parsed in fewer rows at a time, so memory follows the columns read, not the file's width.

A file is read as its header says or refused. ``index_col=False`` keeps pandas from taking the
first column as an index when rows have one field more than the header (which shifted every
column); and since pandas with ``usecols`` silently drops extra fields and fills missing ones
with NaN, every row's field count is checked first with pyarrow's CSV tokenizer (one fast pass
that converts a single column): a ragged row is a one-line error naming its line. A header of one
column that contains another delimiter (``a;b;c`` read with ``,``) is named as a wrong
``delimiter``.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from driftwatch.config import CsvSourceConfig
from driftwatch.errors import ColumnError
from driftwatch.sources._common import BaseSource, ReadPlan, absolute, file_digest, ignoring
from driftwatch.text import one_line, shorten

__all__ = ["CsvSource"]


_FIELDS_PER_PARSE = 1 << 21
"""The most fields pandas tokenizes in one parse (~30 MiB of tokenizer memory). Its C parser
splits every field of a row and ``usecols`` only picks which it converts, so a parse of
``chunk_rows`` rows of a wide file held all of its columns: reading 100 of 5,000 columns
peaked at 917 MB."""


def _rows_per_parse(chunk_rows: int, needed: int, width: int) -> int:
    """Rows per pandas parse: ``chunk_rows`` at most, and no more fields than ``chunk_rows`` ×
    ``needed`` or :data:`_FIELDS_PER_PARSE`, whichever is smaller, so memory follows the columns
    read rather than the file's width."""
    fields = min(chunk_rows * max(needed, 1), _FIELDS_PER_PARSE)
    return max(1, min(chunk_rows, fields // max(width, 1)))


class CsvSource(BaseSource):
    """A delimited text file with a header row (``type: csv``)."""

    config: CsvSourceConfig

    def __init__(self, config: CsvSourceConfig, *, role: str = "source") -> None:
        super().__init__(config, role=role)
        self.path = absolute(config.path)
        self._header: list[str] | None = None
        self._repeated: dict[str, str] = {}
        self._shape_checked = False

    def describe(self) -> str:
        return f"csv file {self.path}"

    def columns(self) -> list[str]:
        """The header row's names (pandas-style: a repeated name ``x`` reads as ``x.1``)."""
        if self._header is None:
            self._check_file()
            # A row longer than the header makes pandas warn (ParserWarning) on this read; the
            # shape check names that row, the delimiter check a header of one column.
            with self._errors(), ignoring(pd.errors.ParserWarning):
                header = pd.read_csv(self.path, nrows=0, **self._options())
            names = [str(name) for name in header.columns]
            if len(names) == 1:
                self._check_delimiter(names[0])
            self._repeated = self._repeated_names(names)
            self._header = names
        return list(self._header)

    def _repeated_names(self, names: list[str]) -> dict[str, str]:
        """Each header name (pandas' ``x.1`` too) whose column is one of several named alike,
        mapped to the name as written; read only when pandas may have renamed one."""
        known = set(names)
        if not any(n.rpartition(".")[0] in known for n in names if n.rpartition(".")[2].isdigit()):
            return {}
        with self._errors(), ignoring(pd.errors.ParserWarning):
            first = pd.read_csv(
                self.path, header=None, nrows=1, dtype=str, keep_default_na=False, **self._options()
            )
        written = [str(v) for v in first.iloc[0]] if len(first) else []
        if len(written) != len(names):
            return {}
        counts = Counter(written)
        return {
            name: raw for name, raw in zip(names, written, strict=True) if raw and counts[raw] > 1
        }

    def _refuse_repeated(self, names: Iterable[str]) -> None:
        """ColumnError when a column to read shares its header name with another: pandas would
        read the first and call the next ``x.1``, and which one a feature means is not ours to
        guess."""
        header = self.columns()
        for name in names:
            raw = self._repeated.get(name)
            if raw is not None:
                fields = [i + 1 for i, n in enumerate(header) if self._repeated.get(n) == raw]
                raise ColumnError(
                    f"{self.role}: csv file '{self.path}' has {len(fields)} columns named {raw!r} "
                    f"in its header (fields {', '.join(map(str, fields))}); a feature reads one "
                    "column: rename the repeated ones"
                )

    def _check_delimiter(self, name: str) -> None:
        """A one-column header holding another usual delimiter is a wrong ``delimiter`` key; one
        that is not printable text is not a CSV file (or not in the configured encoding)."""
        if not name.replace("\t", " ").isprintable():
            raise self._fail(
                f"csv file '{self.path}' does not start with a header row of text (found "
                f"{name[:24]!r}); check that it is a CSV file in encoding "
                f"{self.config.encoding!r} (the 'encoding' key)"
            )
        for candidate in (";", "\t", "|", ","):
            if candidate != self.config.delimiter and candidate in name:
                raise self._fail(
                    f"csv file '{self.path}' has one column {shorten(name)!r} in its header: it "
                    f"looks {candidate!r}-delimited, not {self.config.delimiter!r}; set "
                    f"delimiter: {candidate!r} on this source"
                )

    def check_shape(self) -> None:
        """Every row has as many fields as the header, or SourceError naming the first that has
        not (and how many have not). Multi-character delimiters are not checked (pyarrow's
        tokenizer takes one character).

        The pass runs on pyarrow's threads (a 72 MB, 1M-row file in ~0.3 s); those do not know
        row numbers, so a file found ragged is tokenized once more on one thread to name the line.
        """
        if self._shape_checked or len(self.config.delimiter) != 1:
            return
        bad = self._ragged_rows(threads=True)
        if bad and bad[0].number is None:
            bad = self._ragged_rows(threads=False) or bad
        self._shape_checked = True
        if bad:
            first = bad[0]
            line = f"line {first.number}" if first.number is not None else "a row"
            more = f" (and {len(bad) - 1} more rows)" if len(bad) > 1 else ""
            raise self._fail(
                f"csv file '{self.path}' {line} has {first.actual_columns} fields where the header "
                f"has {first.expected_columns}{more}: {shorten(first.text)!r}; fix the row (quote "
                f"fields that contain {self.config.delimiter!r}) or the 'delimiter' key"
            )

    def _ragged_rows(self, *, threads: bool) -> list[Any]:
        """pyarrow's ``InvalidRow`` of every row whose field count is not the header's."""
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        names = [f"c{i}" for i in range(len(self.columns()))]
        bad: list[Any] = []

        def on_bad_row(row: Any) -> str:
            bad.append(row)
            return "skip"

        with contextlib.suppress(pa.ArrowException, OSError, UnicodeError, LookupError):
            # Other failures (encoding, quoting) are left to pandas, which words them.
            reader = pa_csv.open_csv(
                self.path,
                read_options=pa_csv.ReadOptions(
                    column_names=names,
                    skip_rows=1,
                    encoding=self.config.encoding,
                    use_threads=threads,
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=self.config.delimiter, invalid_row_handler=on_bad_row
                ),
                convert_options=pa_csv.ConvertOptions(
                    include_columns=names[:1], column_types={names[0]: pa.string()}
                ),
            )
            for _batch in reader:
                pass
        return bad

    def fingerprint(self) -> str:
        self._check_file()
        c = self.config
        return file_digest(
            [self.path], "csv", c.delimiter, c.encoding, c.timestamp_column, *self.fixed_range
        )

    def _scan(self, plan: ReadPlan) -> Iterator[pd.DataFrame]:
        self._check_file()
        self._refuse_repeated(plan.fetch)
        self.check_shape()
        # No columns at all still means rows (a count without features): parse the first one.
        usecols: list[str] | list[int] = list(plan.fetch) or [0]
        rows = _rows_per_parse(plan.chunk_rows, len(usecols), len(self.columns()))
        with (
            self._errors(),
            pd.read_csv(self.path, usecols=usecols, chunksize=rows, **self._options()) as reader,
        ):
            for chunk in reader:
                yield self._filter(chunk, plan)

    def _options(self) -> dict[str, Any]:
        """Keyword arguments for ``pd.read_csv``: the C parser unless the delimiter needs Python."""
        delimiter = self.config.delimiter
        # index_col=False: the header names the columns, even when a row has an extra field.
        options: dict[str, Any] = {"encoding": self.config.encoding, "index_col": False}
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
            reason = one_line(exc)
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
