"""`driftwatch compare` and `driftwatch.compare_stored`: spans of stored windows, from the store.

The example's car-loan monitor is backfilled month by month; a quarter rolled up from its three
stored months must score exactly as a direct run over the quarter, on both backends, and the
other references (previous, rolling:N, another span) must equal the engine applied to the stored
counts added up by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

import driftwatch
from driftwatch import api
from driftwatch.cli import cli
from driftwatch.config import Config, load_config
from driftwatch.engine import get_metric
from driftwatch.engine.divergences import metric_names
from driftwatch.errors import RollupError, StoreError
from driftwatch.store import queries
from driftwatch.timeutil import TimeWindow
from tests.conftest import EXAMPLE_CONFIG

SINCE = datetime(2018, 10, 1, tzinfo=UTC)
UNTIL = datetime(2019, 9, 1, tzinfo=UTC)
Q1 = TimeWindow(datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 4, 1, tzinfo=UTC))
Q2 = TimeWindow(datetime(2019, 4, 1, tzinfo=UTC), datetime(2019, 7, 1, tzinfo=UTC))


def example_with(tmp_path: Path, **monitor: Any) -> Path:
    """The example config with car-loan's keys replaced, its data paths made absolute."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    for each in data["monitors"]:
        for role in ("reference", "live"):
            each[role]["path"] = str((EXAMPLE_CONFIG.parent / each[role]["path"]).resolve())
    car_loan = next(m for m in data["monitors"] if m["name"] == "car-loan")
    car_loan.update(monitor)
    path = tmp_path / f"example-{len(list(tmp_path.glob('example-*')))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def every_metric(tmp_path: Path) -> Config:
    return load_config(example_with(tmp_path, metrics=list(metric_names())))


@pytest.fixture
def backfilled(every_metric: Config, database_url: str) -> str:
    """car-loan's months 2018-10 .. 2019-08 backfilled into ``database_url``."""
    done = api.backfill(every_metric, "car-loan", SINCE, UNTIL, database=database_url)
    assert done.failed == 0
    return database_url


def _values(frame: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (row.feature, row.metric): (
            row.value, row.status, row.p_value, row.decision_threshold, row.n_live,
            row.n_reference, row.missing_share, row.unseen_share,
        )
        for row in frame.itertuples()
    }  # fmt: skip


def _close(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    def same(x: Any, y: Any) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=0, abs_tol=1e-12) or (math.isnan(x) and math.isnan(y))
        return bool(x == y)

    return all(same(x, y) for x, y in zip(a, b, strict=True))


def test_a_rolled_up_quarter_equals_a_direct_run_over_it_for_every_metric(
    every_metric: Config, backfilled: str
) -> None:
    rolled = driftwatch.compare_stored(every_metric, "car-loan", Q1, database=backfilled)
    direct = api.run(every_metric, ["car-loan"], window=Q1, store=False)
    ours, theirs = _values(rolled.to_frame()), _values(direct.to_frame())
    assert {metric for _, metric in ours} == set(metric_names())
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        assert _close(value, theirs[key]), (key, value, theirs[key])
    assert rolled.outcome.n_live == direct.outcomes[0].n_live
    assert [w for w in rolled.outcome.extra["windows"]] == [
        TimeWindow(datetime(2019, m, 1, tzinfo=UTC), datetime(2019, m + 1, 1, tzinfo=UTC))
        for m in (1, 2, 3)
    ]


def _summed(url: str, windows: list[TimeWindow]) -> dict[str, np.ndarray]:
    """Feature → live counts of ``windows`` added up by hand from queries.runs/histograms."""
    runs = queries.runs(url, "car-loan")
    total: dict[str, np.ndarray] = {}
    for window in windows:
        run_id = int(runs.loc[runs["window_start"] == window.start, "run_id"].iloc[0])
        for feature, rows in queries.histograms(url, run_id).groupby("feature"):
            counts = rows.sort_values("bin")["live_count"].to_numpy(dtype=np.int64)
            total[str(feature)] = total.get(str(feature), 0) + counts
    return total


def _months(start: int, stop: int) -> list[TimeWindow]:
    return [
        TimeWindow(datetime(2019, m, 1, tzinfo=UTC), datetime(2019, m + 1, 1, tzinfo=UTC))
        for m in range(start, stop)
    ]


@pytest.mark.parametrize(
    ("against", "reference_months"),
    [
        pytest.param("previous", (1, 4), id="previous"),
        pytest.param("rolling:2", (2, 4), id="rolling-2"),
        pytest.param("2019-01-01/2019-03-01", (1, 3), id="span"),
    ],
)
def test_other_references_are_the_engine_on_the_stored_counts_added_up(
    every_metric: Config, backfilled: str, against: str, reference_months: tuple[int, int]
) -> None:
    report = driftwatch.compare_stored(every_metric, "car-loan", Q2, against, database=backfilled)
    reference = _summed(backfilled, _months(*reference_months))
    live = _summed(backfilled, _months(4, 7))
    used = report.outcome.reference_used
    assert used is not None and list(used.windows) == _months(*reference_months)
    assert report.outcome.n_reference == sum(used.n_rows)
    for row in report.to_frame().itertuples():
        expected = get_metric(row.metric).compute(live[row.feature], reference[row.feature], 0.5)
        assert row.value == pytest.approx(float(expected), abs=1e-12), (row.feature, row.metric)
        assert row.n_reference == reference[row.feature].sum()


def test_previous_counts_windows_not_seconds(every_metric: Config, backfilled: str) -> None:
    """A quarter's previous is the three months before it, though they are not 90 days long."""
    report = driftwatch.compare_stored(
        every_metric, "car-loan", Q1, "previous", database=backfilled
    )
    used = report.outcome.reference_used
    assert used is not None
    assert [w.start.month for w in used.windows] == [10, 11, 12]


def test_compare_writes_nothing(every_metric: Config, backfilled: str) -> None:
    engine = sa.create_engine(backfilled)
    tables = ("runs", "feature_results", "histograms", "reference_profiles", "alerts")

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {t: connection.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                    for t in tables}  # fmt: skip

    before = counts()
    driftwatch.compare_stored(every_metric, "car-loan", Q1, "previous", database=backfilled)
    assert counts() == before
    engine.dispose()


def test_compare_refuses_a_missing_database_and_creates_none(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    config = load_config(example_with(tmp_path))
    with pytest.raises(StoreError, match="no results database at"):
        driftwatch.compare_stored(config, "car-loan", Q1, database=f"sqlite:///{typo}")
    assert not typo.exists()


@pytest.mark.parametrize(
    ("window", "against", "message"),
    [
        pytest.param(
            Q1, "reference", "no finished stored window for 2019-02-01/2019-03-01", id="gap"
        ),
        pytest.param(
            TimeWindow(Q1.start, datetime(2019, 12, 1, tzinfo=UTC)),
            "reference",
            "2019-09-01/2019-12-01",
            id="beyond-the-stored-windows",
        ),
        pytest.param(
            _months(3, 4)[0], "rolling:2", "needs 2 finished stored window", id="rolling-gap"
        ),
    ],
)
def test_a_span_with_a_gap_is_refused_naming_the_missing_windows(
    tmp_path: Path, sqlite_database: str, window: TimeWindow, against: str, message: str
) -> None:
    config = load_config(example_with(tmp_path))
    api.backfill(config, "car-loan", SINCE, UNTIL, database=sqlite_database)
    engine = sa.create_engine(sqlite_database)
    with engine.begin() as connection:  # February's run is lost
        connection.execute(sa.text("DELETE FROM runs WHERE window_start LIKE '2019-02-01%'"))
    engine.dispose()
    with pytest.raises(RollupError, match=message):
        driftwatch.compare_stored(config, "car-loan", window, against, database=sqlite_database)


# --- the command ----------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("driftwatch: error:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def cli_example(tmp_path: Path, sqlite_database: str) -> Callable[..., Any]:
    """``driftwatch compare`` over car-loan's backfilled months, in a SQLite database."""
    config = example_with(tmp_path)
    api.backfill(config, "car-loan", SINCE, UNTIL, database=sqlite_database)

    def compare(*args: str) -> Any:
        return invoke(
            "compare", "--config", str(config), "--database", sqlite_database, "-m", "car-loan",
            *args,
        )  # fmt: skip

    return compare


@pytest.mark.parametrize("against", ["reference", "previous", "rolling:3", "2018-11-01/2019-01-01"])
def test_the_command_prints_the_run_table_of_the_span(
    cli_example: Callable[..., Any], against: str
) -> None:
    result = cli_example("--window", "2019-01-01/2019-04-01", "--against", against)
    assert result.exit_code == 0, result.output
    assert "monitor car-loan" in result.output and "car_value" in result.output
    assert "live: 3 stored windows summed\nreference: " in result.output


def test_the_command_json_is_the_run_document_with_what_it_was_compared_against(
    cli_example: Callable[..., Any],
) -> None:
    result = cli_example("--window", "2019-04-01/2019-07-01", "--against", "rolling:2",
                         "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["schema"] == "driftwatch.run/1" and document["run_id"] is None
    assert [w["window_start"][:10] for w in document["against"]["windows"]] == [
        "2019-02-01", "2019-03-01",
    ]  # fmt: skip
    assert len(document["live_windows"]) == 3 and len(document["features"]) == 8


def test_the_command_csv_is_the_tidy_result_frame(cli_example: Callable[..., Any]) -> None:
    result = cli_example("--window", "2019-01-01/2019-04-01", "--format", "csv")
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split(",")
    assert header[:6] == ["monitor", "window_start", "window_end", "feature", "kind", "metric"]
    assert len(result.output.splitlines()) == 1 + 8 * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--window", "2019-06-01/2019-10-01"),
            "no finished stored window for 2019-09-01/2019-10-01",
            id="gap",
        ),
        pytest.param(
            ("--window", "2019-01-01/2019-04-01", "--against", "rolling:5"),
            "needs 5 finished stored window(s)",
            id="too-few-before",
        ),
    ],
)
def test_a_gap_is_one_line_exit_2(
    cli_example: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    result = cli_example(*args)
    assert result.exit_code == 2
    assert message in one_error_line(result.output)


def test_a_bin_change_inside_the_span_is_one_line_exit_2(
    tmp_path: Path, sqlite_database: str
) -> None:
    ten, five = example_with(tmp_path), example_with(tmp_path, binning={"bins": 5})
    api.backfill(ten, "car-loan", SINCE, UNTIL, database=sqlite_database)
    march = _months(3, 4)[0]
    api.backfill(five, "car-loan", march.start, march.end, database=sqlite_database, rerun=True)
    result = invoke("compare", "--config", str(ten), "--database", sqlite_database,
                    "-m", "car-loan", "--window", "2019-01-01/2019-04-01")  # fmt: skip
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "reference profile of monitor 'car-loan' changed inside 2019-01-01/2019-04-01" in line
    assert "window 2019-03-01/2019-04-01" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("--window", "2019-04-01/2019-01-01"), "START before END", id="reversed"),
        pytest.param(("--window", "2019-01-01"), "is not START/END", id="one-date"),
        pytest.param(
            ("--window", "2019-01-01/2019-04-01", "--against", "rolling"),
            "choose one of reference, previous, rolling:N",
            id="rolling-without-n",
        ),
    ],
)
def test_a_malformed_window_or_against_is_a_usage_error(
    cli_example: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    result = cli_example(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_previous_on_the_example_finds_the_injected_drift_and_only_it(
    every_metric: Config, backfilled: str
) -> None:
    """NannyML's analysis period drifts from its middle on: Q2 against Q1 shows it, while the
    features the data set leaves alone stay ok."""
    report = driftwatch.compare_stored(
        every_metric, "car-loan", Q2, "previous", database=backfilled
    )
    assert {"car_value", "loan_length", "salary_range"} <= set(report.drifted)
    quiet = {"debt_to_income_ratio", "driver_tenure", "size_of_downpayment"}
    assert {report.status[name] for name in quiet} == {"ok"}
