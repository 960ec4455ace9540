"""One monitor run on awkward data: every feature gets a result or a reason, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftwatch import parse_config, run_monitor
from driftwatch.config import Config, MonitorConfig
from driftwatch.monitor import MonitorRunner
from driftwatch.timeutil import TimeWindow


def config_for(numeric: list[str], categorical: list[str], **monitor: Any) -> Config:
    return parse_config(
        {
            "defaults": {"min_rows": 1, "metrics": ["js", "kl"]},
            "monitors": [
                {
                    "name": "m",
                    "reference": {"type": "dataframe", "name": "reference"},
                    "live": {"type": "dataframe", "name": "live"},
                    "features": {"numeric": numeric, "categorical": categorical},
                    **monitor,
                }
            ],
        }
    )


def run(
    reference: pd.DataFrame, live: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> pd.DataFrame:
    config = config_for(numeric, categorical)
    return run_monitor(config, "m", frames={"reference": reference, "live": live}, store=False)


def js_row(results: pd.DataFrame, feature: str) -> pd.Series:
    row = results[(results.feature == feature) & (results.metric == "js")]
    assert len(row) == 1
    return row.iloc[0]


RNG = np.random.default_rng(7)
NORMAL = RNG.normal(size=500)


@pytest.mark.parametrize(
    ("reference", "live", "kind", "status", "reason"),
    [
        pytest.param([3.0] * 50, [3.0] * 40, "numeric", "ok", None, id="constant-column"),
        pytest.param([3.0] * 50, [4.0] * 40, "numeric", "critical", None, id="constant-then-moved"),
        pytest.param(
            [np.nan] * 50,
            [1.0] * 40,
            "numeric",
            "no_data",
            "no finite reference values",
            id="all-nan-reference",
        ),
        pytest.param(
            list(NORMAL[:50]),
            [np.nan] * 40,
            "numeric",
            "no_data",
            "all 40 rows are missing",
            id="all-nan-live",
        ),
        pytest.param(
            list(NORMAL[:100]),
            [np.inf, -np.inf] * 20,
            "numeric",
            "critical",
            None,
            id="infinities-land-in-tails",
        ),
        pytest.param(
            list(range(100)), list(range(100)), "numeric", "ok", None, id="integer-column"
        ),
        pytest.param(
            [True, False] * 50,
            [True] * 90 + [False] * 10,
            "numeric",
            "critical",
            None,
            id="boolean-as-numeric",
        ),
        pytest.param(
            [True, False] * 50,
            [True, False] * 40,
            "categorical",
            "ok",
            None,
            id="boolean-as-categorical",
        ),
        pytest.param(["a"] * 50, ["a"] * 40, "categorical", "ok", None, id="single-category"),
        pytest.param(
            ["a", "b"] * 50,
            ["c", "d"] * 20,
            "categorical",
            "critical",
            None,
            id="unseen-live-categories",
        ),
        pytest.param(
            [f"c{i}" for i in range(200)],
            [f"c{i}" for i in range(200)],
            "categorical",
            "ok",
            None,
            id="high-cardinality-pooled",
        ),
        pytest.param(
            list(NORMAL[:100]),
            [str(v) for v in NORMAL[100:200]],
            "numeric",
            "ok",
            None,
            id="numeric-strings-are-converted",
        ),
        pytest.param(
            list(NORMAL[:100]),
            ["abc"] * 50,
            "numeric",
            "error",
            "non-numeric values such as 'abc'",
            id="non-numeric-strings",
        ),
    ],
)
def test_edge_case_feature_gets_status_and_reason(
    reference: list[Any], live: list[Any], kind: str, status: str, reason: str | None
) -> None:
    numeric, categorical = (["x"], []) if kind == "numeric" else ([], ["x"])
    results = run(pd.DataFrame({"x": reference}), pd.DataFrame({"x": live}), numeric, categorical)
    row = js_row(results, "x")
    assert row.status == status
    if reason is None:
        assert row.value is not None and np.isfinite(row.value)
    else:
        assert reason in row.reason


def test_empty_live_window_is_no_data_not_drift() -> None:
    results = run(
        pd.DataFrame({"x": NORMAL}), pd.DataFrame({"x": pd.Series([], dtype=float)}), ["x"], []
    )
    row = js_row(results, "x")
    assert (row.status, row.value) == ("no_data", None)
    assert "fewer than min_rows" in row.reason or "no rows" in row.reason


def test_live_window_below_min_rows_is_no_data() -> None:
    config = config_for(["x"], [])
    config = config.model_copy(
        update={"defaults": config.defaults.model_copy(update={"min_rows": 30})}
    )
    frames = {"reference": pd.DataFrame({"x": NORMAL}), "live": pd.DataFrame({"x": NORMAL[:10]})}
    results = run_monitor(config, "m", frames=frames, store=False)
    row = js_row(results, "x")
    assert row.status == "no_data"
    assert "10 rows, fewer than min_rows=30" in row.reason


def test_column_absent_from_live_errors_that_feature_only() -> None:
    reference = pd.DataFrame({"x": NORMAL, "y": NORMAL})
    live = pd.DataFrame({"x": NORMAL + 5})
    results = run(reference, live, ["x", "y"], [])
    assert js_row(results, "y").status == "error"
    assert "column 'y' is absent from the live data" in js_row(results, "y").reason
    assert js_row(results, "x").status == "critical"


def test_one_bad_feature_does_not_stop_the_others() -> None:
    reference = pd.DataFrame({"good": NORMAL, "bad": NORMAL})
    live = pd.DataFrame({"good": NORMAL, "bad": ["oops"] * len(NORMAL)})
    results = run(reference, live, ["good", "bad"], [])
    assert js_row(results, "bad").status == "error"
    assert js_row(results, "good").status == "ok"


def test_results_are_independent_of_row_order() -> None:
    reference = pd.DataFrame({"x": NORMAL, "c": RNG.choice(list("abc"), size=500)})
    live = pd.DataFrame({"x": NORMAL * 1.3, "c": RNG.choice(list("abcd"), size=500)})
    first = run(reference, live, ["x"], ["c"])
    shuffled = run(
        reference.sample(frac=1, random_state=1), live.sample(frac=1, random_state=2), ["x"], ["c"]
    )
    key = ["feature", "metric"]
    pd.testing.assert_frame_equal(
        first.sort_values(key).reset_index(drop=True)[["feature", "metric", "value", "status"]],
        shuffled.sort_values(key).reset_index(drop=True)[["feature", "metric", "value", "status"]],
    )


def test_identical_data_gives_zero_divergence() -> None:
    frame = pd.DataFrame({"x": NORMAL, "c": RNG.choice(list("abc"), size=500)})
    results = run(frame, frame.copy(), ["x"], ["c"])
    assert (results.value.abs() < 1e-12).all()
    assert (results.status == "ok").all()


# --- windows ------------------------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 12, 34, tzinfo=UTC)
HOUR = timedelta(hours=1)


def runner(**live: Any) -> tuple[MonitorRunner, MonitorConfig]:
    config = config_for(["x"], [])
    monitor = config.monitor("m")
    monitor = monitor.model_copy(update={"live": monitor.live.model_copy(update=live)})
    config = config.model_copy(update={"monitors": (monitor,)})
    frames = {"reference": pd.DataFrame({"x": NORMAL}), "live": pd.DataFrame({"x": NORMAL})}
    return MonitorRunner(config, clock=lambda: NOW, frames=frames), monitor


def test_a_run_without_a_window_has_none_and_a_zero_width_key_at_its_start() -> None:
    run_, monitor = runner()
    outcome = run_.compute(monitor)
    assert run_.default_window(monitor, NOW) is None
    assert outcome.status == "succeeded" and outcome.window is None
    assert outcome.window_start == outcome.window_end == outcome.started_at == NOW


def test_a_live_window_defaults_to_the_aligned_window_ending_now() -> None:
    run_, monitor = runner(timestamp_column="ts", window=timedelta(hours=1))
    assert run_.default_window(monitor, NOW) == TimeWindow(
        NOW.replace(minute=0) - HOUR, NOW.replace(minute=0)
    )


def test_a_fixed_live_range_is_the_window_unless_it_is_empty() -> None:
    start = NOW - 2 * HOUR
    run_, monitor = runner(timestamp_column="ts", start=start)
    assert run_.default_window(monitor, NOW) == TimeWindow(start, NOW)
    assert run_.default_window(monitor, start) is None


def test_a_failed_run_keeps_the_window_it_was_asked_for() -> None:
    run_, monitor = runner()
    run_.frames = {}  # the reference frame is missing: the run fails
    window = TimeWindow(NOW - HOUR, NOW)
    outcome = run_.compute(monitor, window=window)
    assert outcome.status == "failed" and outcome.error
    assert outcome.window == window
