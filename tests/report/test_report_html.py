"""The HTML report: self-contained, every feature named and plotted, from a run or the store."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from report_helpers import EXAMPLE, anatomy, example_features, remote

import driftwatch
from driftwatch import DriftwatchError, api, parse_config
from driftwatch.cli import cli
from driftwatch.data import DATA_DIR
from driftwatch.report import feature_figure, render_run_html, render_store_html, write_html
from driftwatch.report.figures import feature_spec
from driftwatch.report.model import FeatureView, Series
from driftwatch.results import RunOutcome
from driftwatch.store import queries

RNG = np.random.default_rng(13)


def frames_outcome(n_features: int = 3, rows: int = 2_000) -> RunOutcome:
    """The outcome of one monitor over two DataFrames (nothing stored): numeric, shifted, colour."""
    numeric = [f"x{i}" for i in range(n_features - 1)]
    reference = pd.DataFrame({name: RNG.normal(size=rows) for name in numeric})
    shift = {name: 0.3 * (i % 2) for i, name in enumerate(numeric)}
    live = pd.DataFrame({name: RNG.normal(loc=shift[name], size=rows) for name in numeric})
    reference["colour"] = RNG.choice(["red", "green", "blue"], size=rows)
    live["colour"] = RNG.choice(["red", "green", "blue", "violet"], size=rows)
    live.loc[live.index[:100], "colour"] = None
    config = parse_config(
        {
            "defaults": {"metrics": ["js", "kl"]},
            "monitors": [
                {
                    "name": "frames",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": numeric, "categorical": ["colour"]},
                }
            ],
        }
    )
    report = api.run(config, frames={"reference": reference, "live": live}, store=False)
    return report.outcomes[0]


def assert_self_contained(html: str, features: list[str]) -> None:
    parsed = anatomy(html)
    assert remote(parsed.urls) == []
    assert parsed.scripts_with_src == 0
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html.split("<script>")[0])  # CSS
    assert html.count("<script>") == 2  # plotly.js once, the page script once
    assert sorted(parsed.sections) == sorted(features)
    assert sorted(parsed.plots) == sorted(features)  # one plot per feature


def test_report_html_of_the_example_is_self_contained_with_one_plot_per_feature(
    example_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        ["report", "--config", str(EXAMPLE), "--database", example_database, "--html", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (")
    features = [f for names in example_features().values() for f in names]
    assert_self_contained(out.read_text(encoding="utf-8"), features)


def test_render_run_html_of_two_dataframes_is_self_contained(tmp_path: Path) -> None:
    outcome = frames_outcome()
    path = write_html(render_run_html(outcome, title="two frames"), tmp_path / "run.html")
    html = path.read_text(encoding="utf-8")
    assert "<title>two frames</title>" in html
    assert_self_contained(html, ["x0", "x1", "colour"])


def test_report_html_on_a_missing_database_is_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "absent.db"
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["report", "--database", f"sqlite:///{database}", "--html", str(out)]
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not database.exists()
    assert not out.exists()


def test_report_html_to_an_unwritable_path_is_one_line(
    example_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "no-such-dir" / "report.html"
    result = CliRunner().invoke(cli, ["report", "--database", example_database, "--html", str(out)])
    assert result.exit_code == 2
    assert "cannot write the report to" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_features_beyond_the_first_n_are_listed_and_drawn_when_opened() -> None:
    outcome = frames_outcome(n_features=6)
    parsed = anatomy(render_run_html(outcome, eager=2))
    assert parsed.open_sections == 2
    assert len(parsed.plots) == 6  # every section keeps its plot, drawn on opening
    assert parsed.islands == 6


def test_overview_lists_features_most_severe_first() -> None:
    outcome = frames_outcome(n_features=6)
    html = render_run_html(outcome)
    overview = html.split('<table class="overview">')[1].split("</table>")[0]
    shown = re.findall(r'<a href="#m0-f\d+">([^<]+)</a>', overview)
    order = {"critical": 0, "warn": 1, "error": 2, "no_data": 3, "ok": 4}
    ranks = [order[next(f.status for f in outcome.features if f.name == n)] for n in shown]
    assert sorted(shown) == sorted(f.name for f in outcome.features)
    assert ranks == sorted(ranks)


def test_histograms_show_shares_and_name_missing_and_unseen_bins() -> None:
    figure = feature_figure(frames_outcome(), "colour")
    reference, live = figure.data[0], figure.data[1]
    assert list(live.x)[-2:] == ["unseen (new)", "missing"]
    assert sum(reference.y) == pytest.approx(1.0)
    assert sum(live.y) == pytest.approx(1.0)
    assert live.y[-1] == pytest.approx(100 / 2_000)


def test_numeric_tails_are_named_as_outside_the_reference_range() -> None:
    x = list(feature_figure(frames_outcome(), "x0").data[0].x)
    assert x[0].startswith("below range (-inf,")
    assert x[-2].startswith("above range (") and x[-2].endswith("+inf)")


def test_feature_figure_of_an_unknown_feature_names_the_features() -> None:
    with pytest.raises(DriftwatchError, match=r"no feature 'nope'.*x0, x1, colour"):
        feature_figure(frames_outcome(), "nope")


def history_view(decision: tuple[float | None, ...]) -> FeatureView:
    series = Series(
        metric="js",
        unit="bits",
        window_end=("2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"),
        value=(0.01, 0.05),
        status=("warn", "critical"),
        warn=(0.001, 0.001),
        critical=(0.04, 0.04),
        decision_threshold=decision,
    )
    return FeatureView(
        name="f",
        kind="numeric",
        status="critical",
        reason=None,
        n_reference=10,
        n_live=10,
        missing_share=0.0,
        unseen_share=0.0,
        labels=("a", "__missing__"),
        reference_shares=(1.0, 0.0),
        live_shares=(0.5, 0.5),
        metrics=(),
        moved=(),
        history=series,
    )


@pytest.mark.parametrize(
    ("decision", "drawn"),
    [
        pytest.param((0.002, 0.003), True, id="moving-decision-threshold-is-a-step-line"),
        pytest.param((0.002, 0.002), True, id="constant-decision-threshold-is-a-line"),
        pytest.param((None, None), False, id="no-decision-threshold-stored"),
    ],
)
def test_history_draws_the_thresholds_and_the_decision_threshold_when_stored(
    decision: tuple[float | None, ...], drawn: bool
) -> None:
    spec = feature_spec(history_view(decision))
    names = [t["name"] for t in spec["data"]] + [a["text"] for a in spec["layout"]["annotations"]]
    assert {"warn", "critical"} <= set(names)
    assert ("decision threshold" in names) is drawn


def test_store_report_draws_each_feature_over_the_stored_runs(
    example_database: str, tmp_path: Path
) -> None:
    # A second, earlier window of the car-loan data: two stored runs to draw.
    window = (datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 2, 1, tzinfo=UTC))
    api.run(EXAMPLE, ["car-loan"], window=window, database=example_database, dispatch=False)
    html = render_store_html(example_database, ["car-loan"])
    specs = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html)
    assert len(specs) == len(example_features()["car-loan"])
    for text in specs:
        history = [t for t in json.loads(text)["data"] if t.get("xaxis") == "x2"]
        assert len(history[0]["y"]) == 2


def test_monitor_history_reads_every_feature_and_a_decision_threshold_column(
    example_database: str,
) -> None:
    frame = queries.monitor_history(example_database, "car-loan")
    assert set(frame["feature"]) == set(example_features()["car-loan"])
    assert "decision_threshold" in frame.columns


def test_a_100_feature_report_stays_under_10_mb(tmp_path: Path) -> None:
    outcome = frames_outcome(n_features=100)
    html = render_run_html(outcome)
    size = len(html.encode("utf-8"))
    assert size < 10_000_000, f"{size / 1e6:.1f} MB"
    assert len(anatomy(html).plots) == 100


def test_report_html_of_one_monitor_shows_only_its_features(
    example_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "car-loan.html"
    result = CliRunner().invoke(
        cli, ["report", "--database", example_database, "--monitor", "car-loan", "--html", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "1 monitors, 8 features" in result.output
    assert sorted(anatomy(out.read_text(encoding="utf-8")).sections) == sorted(
        example_features()["car-loan"]
    )


def _compare_report() -> driftwatch.DriftReport:
    weather = pd.read_csv(DATA_DIR / "seattle-weather.csv", parse_dates=["date"])
    year = weather["date"].dt.year
    return driftwatch.compare(weather[year == 2012], weather[year == 2015])


def test_compare_to_html_writes_the_same_self_contained_page(tmp_path: Path) -> None:
    report = _compare_report()
    out = tmp_path / "compare.html"
    html = report.to_html(out)
    assert out.read_text(encoding="utf-8") == html
    assert_self_contained(html, list(report.features))


def test_compare_repr_html_isolates_the_page_in_an_iframe() -> None:
    shown = _compare_report()._repr_html_()
    assert shown.startswith("<iframe ")
    assert "srcdoc=" in shown
    assert "<script>" not in shown  # escaped into the attribute, not run in the notebook's page


def test_compare_plot_returns_the_features_figure() -> None:
    figure = _compare_report().plot("weather")
    assert figure.data, "the figure has traces"
    with pytest.raises(DriftwatchError, match="weather"):
        _compare_report().plot("no-such-feature")
