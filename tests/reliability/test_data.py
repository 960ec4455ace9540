"""Bad data: every shape of CSV a user can hand over is read as written or refused in one line.

Each case runs ``driftwatch run`` on a config whose reference or live file is damaged, and checks
the exit code, the one error line and what the results database holds afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.reliability.harness import (
    BASE_CONFIG,
    DRIFTED_CSV,
    LIVE_CSV,
    REF_CSV,
    REF_FRAME,
    Backend,
    Case,
    DbState,
    case_params,
    config_with,
    csv_text,
)

OK = {"a": "ok", "b": "ok", "c": "ok"}


def lines(text: str) -> list[str]:
    return text.splitlines()


def join(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def with_row(text: str, index: int, row: str) -> str:
    """``text`` with data row ``index`` (0 = first after the header) replaced by ``row``."""
    rows = lines(text)
    rows[index + 1] = row
    return join(rows)


def every_row(text: str, suffix: str) -> str:
    rows = lines(text)
    return join([rows[0], *(r + suffix for r in rows[1:])])


def live_file(content: str | bytes, **extra: str | bytes) -> dict[str, str | bytes]:
    return {"ref.csv": REF_CSV, "live.csv": content, **extra}


def ref_file(content: str | bytes) -> dict[str, str | bytes]:
    return {"ref.csv": content, "live.csv": LIVE_CSV}


def frame_with(column: str, values: object) -> str:
    frame = REF_FRAME.copy()
    frame[column] = values
    return csv_text(frame)


def parquet_bytes(frame: pd.DataFrame, names: list[str] | None = None) -> bytes:
    """``frame`` as a Parquet file's bytes (its columns renamed to ``names``: repeats allowed)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if names is not None:
        table = table.rename_columns(names)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


PARQUET_LIVE = config_with("live: {type: csv, path: live.csv}", "live: {type: parquet, path: live}")
"""The base config with the live data a Parquet folder (``live/``)."""
LIVE_FRAME = pd.read_csv(io.StringIO(LIVE_CSV))

FAILED = DbState(runs=("failed",))
LINE_SHAPE = r"line {line} has {got} fields where the header has 3"

SHAPES = [
    Case(
        "live-one-row-extra-field",
        2,
        LINE_SHAPE.format(line=6, got=4),
        files=live_file(with_row(LIVE_CSV, 4, "1.0,2.0,x,extra")),
        db=FAILED,
    ),
    Case(
        "live-one-row-too-few-fields",
        2,
        LINE_SHAPE.format(line=3, got=2),
        files=live_file(with_row(LIVE_CSV, 1, "1.0,2.0")),
        db=FAILED,
    ),
    Case(
        "live-one-row-two-extra-fields",
        2,
        LINE_SHAPE.format(line=11, got=5),
        files=live_file(with_row(LIVE_CSV, 9, "1.0,2.0,x,y,z")),
        db=FAILED,
    ),
    Case(
        "live-one-field-only",
        2,
        LINE_SHAPE.format(line=2, got=1),
        files=live_file(with_row(LIVE_CSV, 0, "1.0")),
        db=FAILED,
    ),
    Case(
        # The audit's case: every row one field longer made pandas take column a as the index.
        "live-every-row-extra-field",
        2,
        LINE_SHAPE.format(line=2, got=4) + r" \(and 199 more rows\)",
        files=live_file(every_row(LIVE_CSV, ",9")),
        db=FAILED,
    ),
    Case(
        "live-every-row-extra-empty-field",
        2,
        LINE_SHAPE.format(line=2, got=4),
        files=live_file(every_row(LIVE_CSV, ",")),
        db=FAILED,
    ),
    Case(
        "live-last-row-short",
        2,
        LINE_SHAPE.format(line=201, got=2),
        files=live_file(with_row(LIVE_CSV, 199, "0.5,0.5")),
        db=FAILED,
    ),
    Case(
        "reference-one-row-extra-field",
        2,
        r"reference: csv file .*ref\.csv' " + LINE_SHAPE.format(line=4, got=4),
        files=ref_file(with_row(REF_CSV, 2, "1.0,2.0,x,9")),
        db=FAILED,
    ),
    Case(
        "reference-one-row-too-few-fields",
        2,
        LINE_SHAPE.format(line=8, got=2),
        files=ref_file(with_row(REF_CSV, 6, "x,y")),
        db=FAILED,
    ),
    Case(
        "live-extra-field-only-features-subset",
        2,
        LINE_SHAPE.format(line=2, got=4),
        config=config_with("numeric: [a, b], categorical: [c]", "numeric: [b]"),
        files=live_file(every_row(LIVE_CSV, ",1")),
        db=FAILED,
    ),
    Case(
        "quoted-delimiter-is-one-field",
        0,
        files=live_file(with_row(LIVE_CSV, 3, '1.0,2.0,"x,y"')),
        db=DbState(runs=("succeeded",)),
    ),
    Case(
        "unterminated-quote",
        2,
        r"live.csv' (line \d+ has \d+ fields|is not valid CSV)",
        files=live_file(with_row(LIVE_CSV, 3, '1.0,2.0,"x')),
        db=FAILED,
    ),
    Case(
        "blank-lines-are-skipped",
        0,
        files=live_file(LIVE_CSV.replace("\n", "\n\n", 5)),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "crlf-line-endings",
        0,
        files=live_file(LIVE_CSV.replace("\n", "\r\n")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "no-final-newline",
        0,
        files=live_file(LIVE_CSV.rstrip("\n")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
]

DELIMITERS = [
    Case(
        f"live-{name}-delimited-read-as-comma",
        2,
        rf"has one column 'a{re_sep}b{re_sep}c' in its header: it looks '{shown}'-delimited",
        files=live_file(LIVE_CSV.replace(",", sep)),
        db=FAILED,
    )
    for name, sep, re_sep, shown in [
        ("semicolon", ";", ";", ";"),
        ("tab", "\t", r"\\t", r"\\t"),
        ("pipe", "|", r"\|", r"\|"),
    ]
] + [
    Case(
        "reference-semicolon-delimited-read-as-comma",
        2,
        r"reference: csv file .* it looks ';'-delimited, not ','",
        files=ref_file(REF_CSV.replace(",", ";")),
        db=FAILED,
    ),
    Case(
        # Decimal commas: read with ',' a row has more fields than the header (pandas warns).
        "live-decimal-comma-semicolon-file-read-as-comma",
        2,
        r"has one column 'a;b;c' in its header: it looks ';'-delimited, not ','",
        files=live_file(LIVE_CSV.replace(",", ";").replace(".", ",")),
        db=FAILED,
    ),
    Case(
        "comma-file-read-with-semicolon",
        2,
        r"has one column 'a,b,c' in its header: it looks ','-delimited, not ';'",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, delimiter: ';'}",
        ),
        db=FAILED,
    ),
    Case(
        "semicolon-file-with-semicolon-delimiter",
        0,
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, delimiter: ';'}",
        ),
        files=live_file(LIVE_CSV.replace(",", ";")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "multi-character-delimiter",
        0,
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, delimiter: '::'}",
        ),
        files=live_file(LIVE_CSV.replace(",", "::")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
]

ENCODINGS = [
    Case(
        "latin1-bytes-read-as-utf8",
        2,
        r"is not text in encoding 'utf-8'",
        files=live_file(with_row(LIVE_CSV, 2, "1.0,2.0,caf\xe9").encode("latin-1")),
        db=FAILED,
    ),
    Case(
        "latin1-file-with-latin1-encoding",
        0,
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, encoding: latin-1}",
        ),
        files=live_file(LIVE_CSV.encode("latin-1")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "unknown-encoding-name",
        2,
        r"unknown encoding: utf-99; fix the 'encoding' key",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, encoding: utf-99}",
        ),
        db=FAILED,
    ),
    Case(
        "utf8-byte-order-mark",
        0,
        files=live_file(("\ufeff" + LIVE_CSV).encode("utf-8")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "utf16-file-read-as-utf8",
        2,
        r"is not text in encoding 'utf-8'",
        files=live_file(LIVE_CSV.encode("utf-16")),
        db=FAILED,
    ),
    Case(
        "binary-file-read-as-csv",
        2,
        r"live.csv' does not start with a header row of text",
        files=live_file(bytes(range(256)) * 8),
        db=FAILED,
    ),
]

FILES = [
    Case(
        "empty-live-file",
        2,
        r"live.csv' is empty; it needs a header row",
        files=live_file(""),
        db=FAILED,
    ),
    Case(
        "empty-reference-file",
        2,
        r"ref.csv' is empty; it needs a header row",
        files=ref_file(""),
        db=FAILED,
    ),
    Case(
        "header-only-reference",
        2,
        r"the reference data has no rows",
        files=ref_file("a,b,c\n"),
        db=FAILED,
    ),
    Case(
        "header-only-live-is-no-data",
        0,
        files=live_file("a,b,c\n"),
        db=DbState(runs=("no_data",), features={"a": "no_data", "c": "no_data"}),
    ),
    Case(
        "missing-live-file",
        2,
        r"file '.*nowhere.csv' not found; fix the 'path' key",
        config=config_with("path: live.csv", "path: nowhere.csv"),
        db=FAILED,
    ),
    Case(
        "missing-reference-file",
        2,
        r"reference: file '.*nowhere.csv' not found",
        config=config_with("path: ref.csv", "path: nowhere.csv"),
        db=FAILED,
    ),
    Case(
        "live-path-is-a-directory",
        2,
        r"is a directory, not a CSV file",
        config=config_with("path: live.csv", "path: folder"),
        files=live_file("", **{"folder/x.csv": LIVE_CSV}),
        db=FAILED,
    ),
    Case(
        "parquet-source-given-a-csv-file",
        2,
        r"live.csv",
        config=config_with("live: {type: csv", "live: {type: parquet"),
        db=FAILED,
    ),
    Case(
        "live-parquet-with-a-repeated-column",
        2,
        r"live: parquet file .*live/part-0\.parquet has 2 columns named 'a'; a feature reads one",
        config=PARQUET_LIVE,
        files=live_file(b"", **{"live/part-0.parquet": parquet_bytes(LIVE_FRAME, ["a", "a", "c"])}),
        db=FAILED,
    ),
    Case(
        # Read as nulls it was a moved __missing__ bin (critical), naming no file.
        "live-parquet-folder-with-a-file-lacking-a-column",
        2,
        r"live: parquet file .*live/part-1\.parquet has no column 'b', which the parquet "
        r"directory .*live has; add the column to that file",
        config=PARQUET_LIVE,
        files=live_file(
            b"",
            **{
                "live/part-0.parquet": parquet_bytes(LIVE_FRAME),
                "live/part-1.parquet": parquet_bytes(LIVE_FRAME.drop(columns=["b"])),
            },
        ),
        db=FAILED,
    ),
    Case(
        "live-parquet-folder-of-complete-files",
        0,
        config=PARQUET_LIVE,
        files=live_file(
            b"",
            **{
                "live/part-0.parquet": parquet_bytes(LIVE_FRAME[:100]),
                "live/part-1.parquet": parquet_bytes(LIVE_FRAME[100:]),
            },
        ),
        db=DbState(runs=("succeeded",), features=OK),
    ),
    Case(
        "fewer-rows-than-min-rows-is-no-data",
        0,
        files=live_file(join(lines(LIVE_CSV)[:11])),
        db=DbState(runs=("no_data",), features={"a": "no_data", "b": "no_data", "c": "no_data"}),
    ),
    Case(
        "min-rows-met-exactly",
        0,
        config=config_with("metrics: [js]", "metrics: [js]\n    min_rows: 10"),
        files=live_file(join(lines(LIVE_CSV)[:11])),
        db=DbState(runs=("succeeded",)),
    ),
]

RNG = np.random.default_rng(5)


def ids_csv(reused: float, *, seed: int, rows: int = 1_000) -> str:
    """``rows`` rows: ``a`` as in the base data and ``c`` an id, a ``reused`` share of them ids
    of the reference (``id0`` …), the rest ids it never had."""
    rng = np.random.default_rng(seed)
    old = round(rows * reused)
    ids = [f"id{i}" for i in rng.choice(rows, old, replace=False)]
    ids += [f"new{seed}-{i}" for i in range(rows - old)]
    return csv_text(pd.DataFrame({"a": np.round(rng.normal(size=rows), 6), "c": ids}))


IDS_CONFIG = config_with("numeric: [a, b], categorical: [c]", "numeric: [a], categorical: [c]")
REFERENCE_IDS = csv_text(
    pd.DataFrame({"a": np.round(np.random.default_rng(8).normal(size=1_000), 6)}).assign(
        c=[f"id{i}" for i in range(1_000)]
    )
)
"""1,000 reference rows whose ``c`` values are all distinct (an identifier)."""

VALUES = [
    Case(
        # Good–Turing expects every live id to be new: half of them old ids is the signal.
        "all-distinct-reference-ids-half-reused-is-drift",
        0,
        config=IDS_CONFIG,
        files={"ref.csv": REFERENCE_IDS, "live.csv": ids_csv(0.5, seed=9)},
        args=("run", "--config", "{config}", "--format", "json"),
        db=DbState(runs=("succeeded",), features={"a": "ok", "c": "critical"}),
        stdout=r"decided by live values the reference already had, though its own were all",
    ),
    Case(
        "all-distinct-reference-ids-all-new-is-ok",
        0,
        config=IDS_CONFIG,
        files={"ref.csv": REFERENCE_IDS, "live.csv": ids_csv(0.0, seed=10)},
        db=DbState(runs=("succeeded",), features={"a": "ok", "c": "ok"}),
    ),
    Case(
        "all-missing-reference-column-is-error",
        2,
        r"feature 'a': reference: no finite reference values",
        files=ref_file(frame_with("a", np.nan)),
        db=DbState(runs=("succeeded",), features={"a": "error", "b": "ok", "c": "ok"}),
    ),
    Case(
        "all-missing-reference-categorical-is-error",
        2,
        r"feature 'c': reference",
        files=ref_file(frame_with("c", np.nan)),
        db=DbState(runs=("succeeded",), features={"c": "error", "a": "ok"}),
    ),
    Case(
        "every-reference-column-missing-fails-the-run",
        2,
        r"every feature failed",
        files=ref_file("a,b,c\n" + ",,\n" * 200),
        db=FAILED,
    ),
    Case(
        "all-missing-live-column-is-drift",
        0,
        files=live_file(frame_with("a", np.nan)),
        db=DbState(runs=("succeeded",), features={"a": "critical", "b": "ok"}),
    ),
    Case(
        "drifted-live-column-is-critical",
        0,
        files=live_file(DRIFTED_CSV),
        db=DbState(runs=("succeeded",), features={"a": "critical", "b": "ok", "c": "ok"}),
    ),
    Case(
        "drift-with-fail-on-exits-1",
        1,
        args=("run", "--config", "{config}", "--fail-on", "critical"),
        files=live_file(DRIFTED_CSV),
        db=DbState(runs=("succeeded",), features={"a": "critical"}),
    ),
    Case(
        "infinities-in-live-land-in-the-tails",
        0,
        files=live_file(frame_with("a", np.r_[[np.inf, -np.inf] * 100])),
        db=DbState(runs=("succeeded",), features={"a": "critical", "b": "ok"}),
    ),
    Case(
        "some-infinities-in-reference",
        0,
        files=ref_file(frame_with("a", np.r_[np.inf, -np.inf, REF_FRAME["a"].to_numpy()[2:]])),
        db=DbState(runs=("succeeded",), features={"b": "ok", "c": "ok"}),
    ),
    Case(
        "only-infinities-in-reference-is-error",
        2,
        r"feature 'a': reference: no finite reference values",
        files=ref_file(frame_with("a", np.r_[[np.inf, -np.inf] * 100])),
        db=DbState(runs=("succeeded",), features={"a": "error", "b": "ok"}),
    ),
    Case(
        "values-near-float-max-with-uniform-bins",
        0,
        config=config_with("metrics: [js]", "metrics: [js]\n    binning: {strategy: uniform}"),
        files=ref_file(frame_with("a", np.r_[-1.7e308, 1.7e308, REF_FRAME["a"].to_numpy()[2:]])),
        db=DbState(runs=("succeeded",), features={"b": "ok", "c": "ok"}),
    ),
    Case(
        "huge-values-in-live",
        0,
        files=live_file(frame_with("a", 1e300)),
        db=DbState(runs=("succeeded",), features={"a": "critical"}),
    ),
    Case(
        "text-in-a-numeric-reference-column",
        2,
        r"feature 'a'.*'a'",
        files=ref_file(frame_with("a", ["abc"] * 100 + list(REF_FRAME["a"][100:]))),
        db=DbState(runs=("succeeded",), features={"a": "error", "b": "ok"}),
    ),
    Case(
        "text-in-a-numeric-live-column",
        2,
        r"feature 'a'.*'a'",
        files=live_file(frame_with("a", ["n/a?"] * 5 + list(REF_FRAME["a"][5:]))),
        db=DbState(runs=("succeeded",), features={"a": "error", "b": "ok"}),
    ),
    Case(
        "na-markers-in-live-are-missing",
        0,
        files=live_file(frame_with("a", ["NA"] * 5 + list(REF_FRAME["a"][5:]))),
        db=DbState(runs=("succeeded",), features={"b": "ok"}),
    ),
    Case(
        "new-categories-in-live-are-unseen-drift",
        0,
        files=live_file(frame_with("c", RNG.choice(["p", "q"], 200))),
        db=DbState(runs=("succeeded",), features={"c": "critical", "a": "ok"}),
    ),
    Case(
        "numbers-in-a-categorical-column",
        0,
        files={
            "ref.csv": frame_with("c", RNG.integers(0, 3, 200)),
            "live.csv": frame_with("c", RNG.integers(0, 3, 200)),
        },
        db=DbState(runs=("succeeded",), features={"c": "ok"}),
    ),
    Case(
        "constant-column",
        0,
        files={"ref.csv": frame_with("b", 1.0), "live.csv": frame_with("b", 1.0)},
        db=DbState(runs=("succeeded",), features={"b": "ok"}),
    ),
    Case(
        "boolean-column-as-numeric",
        0,
        files={
            "ref.csv": frame_with("b", RNG.integers(0, 2, 200) == 1),
            "live.csv": frame_with("b", RNG.integers(0, 2, 200) == 1),
        },
        db=DbState(runs=("succeeded",), features={"b": "ok"}),
    ),
    Case(
        "feature-absent-from-live",
        2,
        r"feature 'd': column 'd' is absent from the live data",
        config=config_with("numeric: [a, b]", "numeric: [a, b, d]"),
        files=live_file(LIVE_CSV, **{"ref.csv": frame_with("d", 1.5)}),
        db=DbState(runs=("succeeded",), features={"d": "error", "a": "ok"}),
    ),
    Case(
        "feature-absent-from-reference",
        2,
        r"feature 'd': column 'd' is absent from the reference data",
        config=config_with("numeric: [a, b]", "numeric: [a, b, d]"),
        db=DbState(runs=("succeeded",), features={"d": "error", "a": "ok"}),
    ),
    Case(
        "feature-name-in-another-case",
        2,
        r"column 'A' is absent from the reference data",
        config=config_with("numeric: [a, b]", "numeric: [A, b]"),
        db=DbState(runs=("succeeded",), features={"A": "error", "b": "ok"}),
    ),
    Case(
        # pandas reads the first 'a' and names the second 'a.1': which one is meant is a guess.
        "repeated-header-name",
        2,
        r"reference: csv file '.*ref\.csv' has 2 columns named 'a' in its header \(fields 1, 3\); "
        r"a feature reads one column: rename the repeated ones",
        files={
            "ref.csv": REF_CSV.replace("a,b,c", "a,b,a", 1),
            "live.csv": LIVE_CSV.replace("a,b,c", "a,b,a", 1),
        },
        config=config_with("numeric: [a, b], categorical: [c]", "numeric: [a, b]"),
        db=FAILED,
    ),
    Case(
        "repeated-header-name-in-live-only",
        2,
        r"live: csv file '.*live\.csv' has 2 columns named 'c' in its header \(fields 3, 4\)",
        files=live_file(every_row(LIVE_CSV.replace("a,b,c", "a,b,c,c", 1), ",q")),
        db=FAILED,
    ),
    Case(
        "repeated-header-name-of-no-feature-is-fine",
        0,
        files=live_file(every_row(LIVE_CSV.replace("a,b,c", "a,b,c,x,x", 1), ",1,2")),
        db=DbState(runs=("succeeded",), features=OK),
    ),
]

TIME = [
    Case(
        "timestamps-that-are-not-dates",
        2,
        r"timestamp",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: c, window: 1d}",
        ),
        db=FAILED,
    ),
    Case(
        "timestamp-column-absent",
        2,
        r"'ts'",
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: ts, window: 1d}",
        ),
        db=FAILED,
    ),
    Case(
        "window-with-no-rows-is-no-data",
        0,
        config=config_with(
            "live: {type: csv, path: live.csv}",
            "live: {type: csv, path: live.csv, timestamp_column: ts, start: 2030-01-01}",
        ),
        files=live_file(frame_with("ts", "2020-01-01")),
        db=DbState(runs=("no_data",)),
    ),
]

CASES = SHAPES + DELIMITERS + ENCODINGS + FILES + VALUES + TIME


@pytest.mark.parametrize(("case", "backend"), case_params(CASES))
def test_bad_data(
    case: Case, backend: Backend, check_case: Callable[[Case, Backend], None]
) -> None:
    check_case(case, backend)


def test_the_base_case_runs_clean(check_case: Callable[[Case, Backend], None]) -> None:
    """The config every case changes is itself valid: each case fails for its own reason."""
    check_case(Case("base", 0, db=DbState(runs=("succeeded",), features=OK)), "sqlite")


def test_the_data_area_has_enough_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 60
    assert BASE_CONFIG and pd  # the helpers the cases are built from
