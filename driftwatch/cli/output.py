"""Where the CLI writes: the ``--format`` option, tables that fit the width, JSON, CSV, NDJSON.

Every listing command renders its typed result through this module, so the rules hold for all:

- **Tables fit the width they get** (the terminal's, ``COLUMNS``, or 80 when stdout is not a
  terminal, as rich decides). Columns are laid out at the width of their widest cell and never
  wrapped or truncated: when the table does not fit, the least important columns are dropped
  (each column says when it goes) and a footer names them and points to ``--format json``.
- **Compact layout** at 100 columns or less, and whenever stdout is not a terminal (cron, CI
  logs): detail columns are left out and each row's free text (a reason, the bins that moved
  most) goes on its own indented line below the row instead of a column.
- **JSON** is one document (``json``) or one object per line (``ndjson``, for the commands whose
  rows stream); values are plain JSON: times ISO 8601 in UTC, missing values ``null``.
- **CSV** is a tidy frame with a header row.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from driftwatch.cli.render import pandas_missing
from driftwatch.escaping import terminal as _safe  # user data: one line, nothing hidden

if TYPE_CHECKING:  # frames come from the commands that make them: validate imports no pandas
    import pandas as pd

__all__ = [
    "COMPACT_WIDTH",
    "Cell",
    "Column",
    "Fit",
    "Row",
    "console",
    "emit_csv",
    "emit_json",
    "emit_ndjson",
    "fit_columns",
    "format_option",
    "frame_records",
    "is_compact",
    "jsonable",
    "print_table",
]

COMPACT_WIDTH = 100
"""At this width or less (and whenever stdout is not a terminal) tables use the compact layout."""

Format = Literal["table", "json", "csv", "ndjson"]
F = TypeVar("F", bound=Callable[..., Any])

_FORMAT_HELP = {
    "table": "table for people",
    "json": "json: one document",
    "ndjson": "ndjson: one JSON object per line",
    "csv": "csv: a header row, then one row per result",
}


def format_option(*formats: Format) -> Callable[[F], F]:
    """The ``--format`` option of a command offering ``formats`` (the first is the default)."""
    chosen = formats or ("table", "json", "csv")
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(chosen)),
        default=chosen[0],
        show_default=True,
        help="; ".join(_FORMAT_HELP[f] for f in chosen)
        + " (see README, 'Machine-readable output').",
    )


def console() -> Console:
    """A console on stdout: the terminal's width, ``COLUMNS``, or 80 when not a terminal."""
    return Console(highlight=False)


def is_compact(out: Console) -> bool:
    """Whether ``out`` gets the compact layout: narrow, or not a terminal."""
    return out.width <= COMPACT_WIDTH or not out.is_terminal


# --- tables --------------------------------------------------------------------------------------

GAP = 2
"""Spaces between two columns of a table."""

Cell = str | tuple[str, str]
"""A table cell: its text, or (text, rich style)."""


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``drop`` orders the columns that may go when the table does not fit: the lowest number goes
    first; None means the column always stays. ``detail`` columns are left out of the compact
    layout.
    """

    header: str
    align: Literal["left", "right"] = "left"
    drop: int | None = None
    detail: bool = False


@dataclass(frozen=True)
class Row:
    """The cells of one row and an optional note (free text shown beside or below the row)."""

    cells: Sequence[Cell]
    note: str | None = None
    note_style: str = "dim"


@dataclass(frozen=True)
class Fit:
    """What a table shows at a width: the ``kept`` columns (indices, in order), the ``dropped``
    ones (headers, in the order they went), the kept ones' ``width`` with the gaps (above the
    width asked for when even the columns that always stay do not fit), and whether the notes
    go in a last column (``notes_inline``) rather than under their rows."""

    kept: list[int]
    dropped: list[str]
    width: int
    notes_inline: bool = False

    @property
    def footer(self) -> str | None:
        """The line under the table naming the columns left out; None when every column shows."""
        if not self.dropped:
            return None
        return f"(not shown: {', '.join(self.dropped)}; see --format json)"


def fit_columns(
    columns: Sequence[Column],
    rows: Sequence[Row],
    width: int,
    *,
    compact: bool,
    note_header: str = "reason",
) -> Fit:
    """The layout policy of every table: which ``columns`` fit ``width`` (rich only draws them).

    A column is as wide as its widest cell (header included, in terminal cells): nothing is
    wrapped or truncated. The compact layout leaves the detail columns out; then the droppable
    columns go, lowest ``drop`` first, until the rest fits with ``GAP`` between columns. Notes
    go in a last column when the layout is wide and they fit too.
    """
    widths = [
        max(cell_len(_safe(c.header)), *(cell_len(_safe(_plain(r.cells[i]))) for r in rows))
        for i, c in enumerate(columns)
    ]
    kept = [i for i, c in enumerate(columns) if not (compact and c.detail)]
    dropped = [c.header for c in columns if compact and c.detail]

    def total() -> int:
        return sum(widths[i] for i in kept) + GAP * max(len(kept) - 1, 0)

    droppable = [i for i in kept if columns[i].drop is not None]
    for i in sorted(droppable, key=lambda i: columns[i].drop or 0):
        if total() <= width:
            break
        kept.remove(i)
        dropped.append(columns[i].header)
    notes = [cell_len(_safe(r.note)) for r in rows if r.note]
    note_width = max([cell_len(note_header), *notes])
    inline = bool(notes) and not compact and total() + GAP + note_width <= width
    return Fit(kept, dropped, total(), inline)


def print_table(
    out: Console,
    columns: Sequence[Column],
    rows: Sequence[Row],
    *,
    title: str | Text | None = None,
    note_header: str = "reason",
) -> None:
    """Print ``rows`` under the ``columns`` that :func:`fit_columns` keeps at ``out``'s width,
    drawn by a ``rich.table.Table``, then the footer naming the others.

    Notes not in a last column go on their own indented lines under their row, wrapped at the
    width (notes are prose; numbers and names never wrap). When even the columns that always stay
    are too wide, each row becomes a block of its own.
    """
    fit = fit_columns(columns, rows, out.width, compact=is_compact(out), note_header=note_header)
    if fit.width > out.width:
        _print_records(out, columns, rows, title=title, note_header=note_header)
        return
    table = _table(columns, rows, fit, note_header)
    _print_title(out, title)
    # The header, its rule, then one line per row (cells hold no line break); notes under rows.
    header_line, rule, *body = out.render_lines(table, pad=False)
    _print_line(out, header_line)
    _print_line(out, rule)
    for line, row in zip(body, rows, strict=True):
        _print_line(out, line)
        if row.note and not fit.notes_inline:
            for piece in textwrap.wrap(_safe(row.note), max(out.width - 4, 20)):
                out.print(Text(f"    {piece}", style=row.note_style), crop=False)
    if fit.footer:
        out.print(Text(fit.footer, style="dim"), crop=False)


def _table(columns: Sequence[Column], rows: Sequence[Row], fit: Fit, note_header: str) -> Table:
    """The rich table of the kept columns (and of the notes, when inline): today's look, a bold
    header over a dim rule, ``GAP`` spaces between columns, no other line."""
    table = Table(
        box=box.SIMPLE_HEAD,  # a rule under the header, no other line
        show_edge=False,
        pad_edge=False,
        padding=(0, GAP - 1, 0, 0),  # with the one-space divider, GAP spaces between columns
        header_style="bold",
        border_style="dim",
    )
    # The fit keeps every column as wide as its widest cell, so rich never narrows one; were it
    # to, the cut would show as "…" (overflow="ignore" would not right-align, and rich crops a
    # table cell at its edge whatever the overflow).
    for i in fit.kept:
        header = Text(_safe(columns[i].header))
        table.add_column(header, justify=columns[i].align, no_wrap=True, overflow="ellipsis")
    if fit.notes_inline:
        table.add_column(Text(note_header), no_wrap=True, overflow="ellipsis")
    for row in rows:
        note = [Text(_safe(row.note or ""), style=row.note_style)] if fit.notes_inline else []
        table.add_row(*(_text(row.cells[i]) for i in fit.kept), *note)
    return table


def _plain(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def _text(cell: Cell) -> Text:
    """A cell as rich text, its characters literally (a ``[bold]`` in a name is not markup)."""
    value, style = (cell, "") if isinstance(cell, str) else cell
    return Text(_safe(value), style=style)


def _print_title(out: Console, title: str | Text | None) -> None:
    if title is not None:
        out.print(_text(title) if isinstance(title, str) else title)


def _print_line(out: Console, line: list[Segment]) -> None:
    """A line rich rendered, without the blanks padding its last cell."""
    length = cell_len("".join(segment.text for segment in line).rstrip())
    out.print(Segments([*Segment.adjust_line_length(line, length), Segment.line()]), crop=False)


def _print_records(
    out: Console,
    columns: Sequence[Column],
    rows: Sequence[Row],
    *,
    title: str | Text | None,
    note_header: str,
) -> None:
    """The layout of last resort, when even the kept columns are too wide: one block per row.

    The first cell heads the block; every other column is a ``header: value`` line of its own,
    printed whole, however narrow the width (a line wider than it is left to the terminal).
    """
    _print_title(out, title)
    label = max((len(c.header) for c in columns[1:]), default=0)
    for row in rows:
        head = _text(row.cells[0])
        head.stylize("bold")
        out.print(head, no_wrap=True, overflow="ignore", crop=False)
        for column, cell in zip(columns[1:], row.cells[1:], strict=True):
            line = Text(f"  {_safe(column.header).ljust(label)}  ").append_text(_text(cell))
            out.print(line, no_wrap=True, overflow="ignore", crop=False)
        if row.note:
            out.print(Text(f"  {note_header.ljust(label)}  {_safe(row.note)}", row.note_style))


# --- JSON, NDJSON, CSV ---------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON: ISO times (UTC), durations in seconds, missing values as None."""
    if value is None or pandas_missing(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout."""
    click.echo(json.dumps(jsonable(document), indent=2))


def emit_ndjson(objects: Iterable[Any]) -> None:
    """Write one JSON object per line to stdout."""
    for item in objects:
        click.echo(json.dumps(jsonable(item)))


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts."""
    return [
        {str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]


def emit_csv(frame: pd.DataFrame) -> None:
    """Write ``frame`` as CSV: times ISO 8601, missing values empty."""
    import pandas as pd

    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: None if pd.isna(v) else v.isoformat())
        elif shown[column].dtype == object:
            shown[column] = shown[column].map(
                lambda v: v.isoformat() if isinstance(v, datetime) else v
            )
    click.echo(shown.to_csv(index=False), nl=False)


def emit_rows(frame: pd.DataFrame, output_format: str, *, document: Any = None) -> bool:
    """Write ``frame`` in a machine format and say so; False for ``table`` (the caller renders).

    ``json`` writes ``document`` when given (a command's whole answer), else the rows; ``ndjson``
    one object per row; ``csv`` the rows.
    """
    if output_format == "json":
        emit_json(document if document is not None else frame_records(frame))
    elif output_format == "ndjson":
        emit_ndjson(frame_records(frame))
    elif output_format == "csv":
        emit_csv(frame)
    else:
        return False
    return True
