"""The table policy (fit_columns) and print_table: whole cells, a footer, data never markup."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from driftwatch.cli.output import Column, Row, fit_columns, print_table

# Widest cells: feature 13, status 8, value 6, unit 4, n live 6, p 6; with the 2-space gaps the
# table is 53 wide, and 31 with only the columns that always stay (feature, status, value).
COLUMNS = [
    Column("feature"),
    Column("status"),
    Column("value", "right"),
    Column("unit", drop=2),
    Column("n live", "right", detail=True, drop=3),
    Column("p", "right", drop=1),
]
ALL = [c.header for c in COLUMNS]
NOTE = "rain: 52% → 1%"


def rows(note: str = NOTE) -> list[Row]:
    return [
        Row(["precipitation", "critical", "0.0123", "bits", "365", "<1e-12"], note),
        Row(["wind", "ok", "1", "bits", "12", "0.22"]),
    ]


def console(width: int, *, terminal: bool) -> Console:
    """A console of ``width`` writing plain text (no styles) to a buffer: a terminal or a pipe."""
    return Console(
        file=io.StringIO(), width=width, force_terminal=terminal, color_system=None, highlight=False
    )


def printed(out: Console) -> list[str]:
    assert isinstance(out.file, io.StringIO)
    return out.file.getvalue().splitlines()


@pytest.mark.parametrize(
    ("width", "compact", "kept", "dropped"),
    [
        pytest.param(200, False, ALL, [], id="wide-keeps-all"),
        pytest.param(53, False, ALL, [], id="exactly-the-width-keeps-all"),
        pytest.param(52, False, ALL[:5], ["p"], id="one-short-drops-the-lowest-drop"),
        pytest.param(38, False, ALL[:3], ["p", "unit", "n live"], id="drops-in-drop-order"),
        pytest.param(39, False, [*ALL[:3], "n live"], ["p", "unit"], id="stops-once-it-fits"),
        pytest.param(200, True, [*ALL[:4], "p"], ["n live"], id="compact-leaves-detail-out"),
        pytest.param(40, True, ALL[:4], ["n live", "p"], id="compact-then-drop-order"),
        pytest.param(10, False, ALL[:3], ["p", "unit", "n live"], id="too-narrow-keeps-the-fixed"),
    ],
)
def test_fit_drops_columns_in_the_policy_order(
    width: int, compact: bool, kept: list[str], dropped: list[str]
) -> None:
    fit = fit_columns(COLUMNS, rows(), width, compact=compact)
    assert [COLUMNS[i].header for i in fit.kept] == kept
    assert fit.dropped == dropped
    assert (fit.width <= width) is (width >= 31)  # only the fixed columns can overflow


def test_columns_of_equal_drop_go_left_to_right() -> None:
    columns = [Column("a"), Column("b", drop=1), Column("c", drop=1), Column("d", drop=1)]
    fit = fit_columns(columns, [Row(["1", "2", "3", "4"])], 4, compact=False)
    assert fit.dropped == ["b", "c"]


@pytest.mark.parametrize(
    ("width", "terminal", "footer"),
    [
        pytest.param(200, True, None, id="all-shown-no-footer"),
        pytest.param(80, False, "(not shown: n live; see --format json)", id="piped"),
        pytest.param(40, True, "(not shown: n live, p; see --format json)", id="40-columns"),
        pytest.param(36, True, "(not shown: n live, p, unit; see --format json)", id="36-columns"),
    ],
)
def test_the_footer_names_the_columns_left_out(
    width: int, terminal: bool, footer: str | None
) -> None:
    fit = fit_columns(COLUMNS, rows(), width, compact=width <= 100 or not terminal)
    assert fit.footer == footer
    out = console(width, terminal=terminal)
    print_table(out, COLUMNS, rows())
    lines = printed(out)
    after_rows = lines[next(i for i, line in enumerate(lines) if line.startswith("wind")) + 1 :]
    assert " ".join(after_rows).split() == (footer or "").split()  # it wraps when narrow


@pytest.mark.parametrize(
    ("width", "terminal", "note", "inline"),
    [
        pytest.param(200, True, NOTE, True, id="wide-terminal-beside"),
        pytest.param(200, False, NOTE, False, id="piped-below"),
        pytest.param(100, True, NOTE, False, id="100-columns-below"),
        pytest.param(120, True, "moved " * 12, False, id="too-long-to-fit-below"),
    ],
)
def test_notes_go_beside_their_row_only_when_wide_and_they_fit(
    width: int, terminal: bool, note: str, inline: bool
) -> None:
    fit = fit_columns(COLUMNS, rows(note), width, compact=width <= 100 or not terminal)
    assert fit.notes_inline is inline
    out = console(width, terminal=terminal)
    print_table(out, COLUMNS, rows(note), note_header="moved most")
    header, _, first, second, *_ = printed(out)
    assert header.endswith("moved most") is inline
    assert first.endswith(note.strip()) is inline
    assert second.startswith(f"    {note.split()[0]} ") is not inline


@pytest.mark.parametrize(
    ("width", "terminal"),
    [
        pytest.param(80, False, id="piped"),
        pytest.param(45, True, id="45-columns"),
        pytest.param(200, True, id="200-columns"),
    ],
)
def test_the_table_fits_right_aligns_numbers_and_ends_lines_at_their_text(
    width: int, terminal: bool
) -> None:
    out = console(width, terminal=terminal)
    print_table(out, COLUMNS, rows(), title="drift")
    lines = printed(out)
    assert lines[0] == "drift"
    assert set(lines[2]) == {"─"}
    assert len(lines[2]) == len(lines[3])  # the rule under the header spans the widest row
    assert all(len(line) <= width and line == line.rstrip() for line in lines)
    header, first = lines[1], lines[3]
    second = next(line for line in lines if line.startswith("wind"))
    value_end = header.index("value") + len("value")
    assert first.index("0.0123") + len("0.0123") == value_end
    assert second.index(" 1 ") + 2 == value_end


WIDE = "0.123456789012345678901234567890123456789012345678901234567890"


@pytest.mark.parametrize(
    ("column", "width", "shown"),
    [
        pytest.param(Column("v", "right", drop=1), 40, False, id="droppable-too-wide-dropped"),
        pytest.param(Column("v", "right", drop=1), 80, True, id="droppable-fits-shown-whole"),
        pytest.param(Column("v", "right"), 40, True, id="fixed-too-wide-block-layout-whole"),
    ],
)
def test_a_wide_cell_is_never_truncated_nor_wrapped(
    column: Column, width: int, shown: bool
) -> None:
    out = console(width, terminal=False)
    print_table(out, [Column("name"), column], [Row(["x", WIDE])])
    lines = printed(out)
    assert not any("…" in line for line in lines)
    assert any(WIDE in line for line in lines) is shown
    assert all(WIDE in line or "0.1234" not in line for line in lines)  # whole or not at all
    assert ("(not shown: v; see --format json)" in lines) is not shown


@pytest.mark.parametrize(
    ("where", "value", "literal"),
    [
        pytest.param("cell", "[bold]temp[/bold]", "[bold]temp[/bold]", id="markup-in-a-cell"),
        pytest.param("header", "[red]x", "[red]x", id="markup-in-a-header"),
        pytest.param("note", "[link=http://x]y[/link]", "[link=http://x]y[/link]", id="in-a-note"),
        pytest.param("title", "of [b]feature[/b]", "of [b]feature[/b]", id="markup-in-the-title"),
        pytest.param("cell", "a\x1b[31mb", "a\\x1b[31mb", id="escape-sequence-in-a-cell"),
        pytest.param("note", "a\x07\x1b]0;x", "a\\x07\\x1b]0;x", id="control-codes-in-a-note"),
        pytest.param("cell", "two\nlines", "two lines", id="line-break-in-a-cell"),
    ],
)
def test_user_data_is_printed_literally(where: str, value: str, literal: str) -> None:
    columns = [Column(value if where == "header" else "feature"), Column("status")]
    row = Row([value if where == "cell" else "wind", "ok"], value if where == "note" else None)
    out = console(80, terminal=True)
    print_table(out, columns, [row], title=value if where == "title" else None)
    lines = printed(out)
    assert any(literal in line for line in lines)
    assert not any("\x1b" in line or "\x07" in line for line in lines)
    assert len(lines) == 3 + (where == "title") + (where == "note")  # one line per row
