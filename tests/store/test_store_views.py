"""The dashboard views and the query API answer the two questions on the example database.

The example (tests/store/store_helpers.py): three monitors, several windows, a rerun, a failed
run, a no_data run and a feature dropped from a monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from store_helpers import (
    EXPECTED_CREDIT_AGE_JS,
    EXPECTED_LATEST,
    T0,
    count_rows,
    outcome,
    window,
)

from driftwatch import parse_config
from driftwatch.errors import StoreError
from driftwatch.monitor import MonitorRunner
from driftwatch.store import Store, queries


def view_rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def as_utc(value: Any) -> datetime:
    """A view's timestamp as an aware datetime (SQLite hands back its stored UTC text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def test_latest_view_holds_each_monitors_latest_finished_run(example_store: Store) -> None:
    rows = view_rows(
        example_store,
        "SELECT monitor, feature, metric, value, status FROM latest_feature_results",
    )
    assert len(rows) == len(EXPECTED_LATEST)
    assert set(rows) == EXPECTED_LATEST


@pytest.mark.parametrize(
    ("monitor", "window_index", "why"),
    [
        pytest.param("credit", 2, "window 3 failed: window 2 is latest", id="failed-run-excluded"),
        pytest.param("churn", 1, "a no_data run is finished: it is the state", id="no-data-counts"),
        pytest.param("legacy", 1, "only the features of the latest run", id="dropped-feature-gone"),
    ],
)
def test_latest_view_window_per_monitor(
    example_store: Store, monitor: str, window_index: int, why: str
) -> None:
    rows = view_rows(
        example_store,
        f"SELECT DISTINCT window_end FROM latest_feature_results WHERE monitor = '{monitor}'",
    )
    assert [as_utc(end) for (end,) in rows] == [window(window_index)[1]], why


def test_timeseries_view_is_one_point_per_finished_window(example_store: Store) -> None:
    rows = view_rows(
        example_store,
        "SELECT window_end, value FROM feature_timeseries "
        "WHERE monitor = 'credit' AND feature = 'age' AND metric = 'js' ORDER BY window_end",
    )
    assert [(as_utc(end), value) for end, value in rows] == EXPECTED_CREDIT_AGE_JS


def test_timeseries_view_leaves_out_failed_runs_and_replaced_results(example_store: Store) -> None:
    finished = view_rows(
        example_store,
        "SELECT count(*) FROM runs WHERE status IN ('succeeded', 'no_data')",
    )
    assert finished == [(7,)]  # 8 windows saved, 1 failed; the rerun replaced, not added
    assert view_rows(example_store, "SELECT count(*) FROM feature_timeseries") == [
        (count_rows(example_store, "feature_results"),)
    ]
    assert view_rows(example_store, "SELECT max(value) FROM feature_timeseries") == [(0.3,)]


def test_a_running_run_is_not_visible(example_store: Store) -> None:
    saved = example_store.save_run(outcome("credit", 9, {"age": {"js": 0.9}}))
    with example_store.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE runs SET status = 'running' WHERE id = :id"), {"id": saved.run_id}
        )
    latest = queries.latest(example_store, "credit")
    assert set(latest["window_end"]) == {window(2)[1]}


# --- the Python query API ------------------------------------------------------------------------


def test_latest_matches_the_view_most_severe_first(example_store: Store) -> None:
    frame = queries.latest(example_store)
    assert list(frame.columns) == queries.LATEST_COLUMNS
    rows = set(frame[["monitor", "feature", "metric", "value", "status"]].itertuples(index=False))
    assert {tuple(None if v != v else v for v in row) for row in rows} == EXPECTED_LATEST
    assert frame["status"].tolist() == [
        "critical", "critical", "warn", "warn", "no_data", "ok",
    ]  # fmt: skip
    assert str(frame["window_end"].dt.tz) == "UTC"


def test_latest_filters_by_monitor_and_metric(example_store: Store) -> None:
    frame = queries.latest(example_store, "credit", metric="js")
    assert frame[["feature", "value"]].values.tolist() == [["age", 0.12], ["cat_state", 0.06]]
    both = queries.latest(example_store, ["churn", "legacy"])
    assert sorted(both["monitor"]) == ["churn", "legacy"]


def test_history_is_the_time_series_oldest_first(example_store: Store) -> None:
    frame = queries.history(example_store, "credit", "age", "js")
    assert list(zip(frame["window_end"], frame["value"], strict=True)) == EXPECTED_CREDIT_AGE_JS
    assert frame["status"].tolist() == ["ok", "ok", "critical"]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        pytest.param(window(1)[1], None, [0.04, 0.12], id="since-datetime"),
        pytest.param(None, window(2)[1], [0.01, 0.04], id="until-exclusive"),
        pytest.param(timedelta(hours=2), None, [0.04, 0.12], id="since-timedelta-from-clock"),
    ],
)
def test_history_bounds_the_windows(
    example_store: Store, since: Any, until: Any, expected: list[float]
) -> None:
    clock = lambda: T0 + timedelta(hours=4)  # noqa: E731
    frame = queries.history(example_store, "credit", "age", since=since, until=until, clock=clock)
    assert frame["value"].tolist() == expected


def test_runs_lists_every_window_newest_first_with_errors(example_store: Store) -> None:
    frame = queries.runs(example_store, "credit")
    assert frame["window_end"].tolist() == [window(i)[1] for i in (3, 2, 1, 0)]
    assert frame["status"].tolist() == ["failed", "succeeded", "succeeded", "succeeded"]
    assert frame["error"].iloc[0] == "live file missing"
    assert frame["n_live"].isna().tolist() == [True, False, False, False]
    assert queries.runs(example_store, status="no_data")["monitor"].tolist() == ["churn"]
    assert len(queries.runs(example_store, limit=2)) == 2


def test_histograms_of_a_run_give_counts_and_shares_per_bin(example_store: Store) -> None:
    run_id = int(queries.latest(example_store, "credit")["run_id"].iloc[0])
    frame = queries.histograms(example_store, run_id, "cat_state")
    assert frame["label"].tolist() == ["a", "b", "c", "__unseen__", "__missing__"]
    assert frame["reference_count"].tolist() == [1, 2, 3, 4, 5]
    assert frame["live_count"].tolist() == [0, 200, 0, 0, 0]
    assert frame["reference_share"].sum() == pytest.approx(1.0)
    assert frame["live_share"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]


def test_histograms_of_an_unknown_run_is_an_error(example_store: Store) -> None:
    with pytest.raises(StoreError, match="no run with id 12345"):
        queries.histograms(example_store, 12345)


def test_queries_accept_a_database_url(database_url: str) -> None:
    opened = Store.open(database_url)
    try:
        opened.save_run(outcome("credit", 0, {"age": {"js": 0.07}}))
    finally:
        opened.close()
    assert queries.latest(database_url)["status"].tolist() == ["warn"]


def test_the_query_module_exports_a_sorted_all() -> None:
    assert queries.__all__ == sorted(queries.__all__)
    assert all(hasattr(queries, n) for n in queries.__all__)


def test_both_views_expose_the_stored_decision_threshold(store: Store) -> None:
    config = parse_config(
        {
            "defaults": {"metrics": ["js", "tvd"]},
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": ["x"]},
                }
            ],
        }
    )
    rng = np.random.default_rng(11)
    frames = {
        "reference": pd.DataFrame({"x": rng.normal(size=2_000)}),
        "live": pd.DataFrame({"x": rng.normal(size=400)}),
    }
    outcome = MonitorRunner(config, store=store, frames=frames).run("m")
    js = next(m for m in outcome.features[0].metrics if m.metric == "js")
    assert js.verdict is not None and js.verdict.decision_threshold is not None
    for view in ("latest_feature_results", "feature_timeseries"):
        rows = dict(view_rows(store, f"SELECT metric, decision_threshold FROM {view}"))
        assert rows["js"] == pytest.approx(js.verdict.decision_threshold, rel=1e-12), view
        assert rows["tvd"] is None, f"{view}: tvd has no formula for its noise"
    assert queries.latest(store)["decision_threshold"].notna().sum() == 1
