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
from rich.console import Console
from rich.text import Text

from driftwatch.cli.render import pandas_missing

if TYPE_CHECKING:  # frames come from the commands that make them: validate imports no pandas
    import pandas as pd

__all__ = [
    "COMPACT_WIDTH",
    "Cell",
    "Column",
    "Row",
    "console",
    "emit_csv",
    "emit_json",
    "emit_ndjson",
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


def _plain(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def _styled(cell: Cell, width: int, align: str) -> Text:
    value, style = (cell, "") if isinstance(cell, str) else cell
    padded = value.rjust(width) if align == "right" else value.ljust(width)
    return Text(padded, style=style)


def print_table(
    out: Console,
    columns: Sequence[Column],
    rows: Sequence[Row],
    *,
    title: str | Text | None = None,
    note_header: str = "reason",
    gap: int = 2,
) -> None:
    """Print ``rows`` under ``columns`` at ``out``'s width: whole cells, notes below when need be.

    A column is as wide as its widest cell. Columns are dropped (lowest ``drop`` first) until the
    table fits; notes become a last column when the layout is wide and they fit, else each goes on
    its own line below its row, wrapped at the width (notes are prose; numbers and names never
    wrap).
    """
    width = out.width
    compact = is_compact(out)
    keep = [i for i, c in enumerate(columns) if not (compact and c.detail)]
    widths = {
        i: max([len(columns[i].header), *(len(_plain(r.cells[i])) for r in rows)]) for i in keep
    }

    def total(kept: Iterable[int]) -> int:
        kept = list(kept)
        return sum(widths[i] for i in kept) + gap * max(len(kept) - 1, 0)

    dropped = [columns[i].header for i in range(len(columns)) if i not in keep]
    while total(keep) > width:
        candidates = [i for i in keep if columns[i].drop is not None]
        if not candidates:
            break
        victim = min(candidates, key=lambda i: columns[i].drop or 0)
        keep.remove(victim)
        dropped.append(columns[victim].header)
    if total(keep) > width:
        _print_records(out, columns, rows, title=title, note_header=note_header)
        return
    notes = [r.note for r in rows if r.note]
    note_width = max([len(note_header), *(len(n) for n in notes)]) if notes else 0
    inline_notes = bool(notes) and not compact and total(keep) + gap + note_width <= width
    if title is not None:
        out.print(title)
    sep = " " * gap
    heads = [_styled((columns[i].header, "bold"), widths[i], columns[i].align) for i in keep]
    header = Text(sep).join(heads)
    if inline_notes:
        header.append(sep + note_header, style="bold")
    header.rstrip()
    out.print(header, no_wrap=True, overflow="ignore", crop=False)
    rule_width = total(keep) + (gap + note_width if inline_notes else 0)
    out.print(Text("─" * min(rule_width, width), style="dim"), crop=False)
    indent = "    "
    for row in rows:
        line = Text(sep).join(_styled(row.cells[i], widths[i], columns[i].align) for i in keep)
        if inline_notes and row.note:
            line.append(sep + row.note, style=row.note_style)
        line.rstrip()
        out.print(line, no_wrap=True, overflow="ignore", crop=False)
        if row.note and not inline_notes:
            for piece in textwrap.wrap(row.note, max(width - len(indent), 20)):
                out.print(Text(indent + piece, style=row.note_style), crop=False)
    if dropped:
        out.print(
            Text(
                f"(not shown: {', '.join(dropped)}; see --format json)",
                style="dim",
            ),
            crop=False,
        )


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
    so nothing is cut however narrow the width.
    """
    if title is not None:
        out.print(title)
    label = max(len(c.header) for c in columns[1:]) if len(columns) > 1 else 0
    for row in rows:
        head = _styled(row.cells[0], 0, "left")
        head.stylize("bold")
        out.print(head, crop=False)
        for column, cell in zip(columns[1:], row.cells[1:], strict=True):
            line = Text(f"  {column.header.ljust(label)}  ")
            line.append_text(_styled(cell, 0, "left"))
            out.print(line, crop=False)
        if row.note:
            out.print(Text(f"  {note_header.ljust(label)}  {row.note}", style=row.note_style))


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
