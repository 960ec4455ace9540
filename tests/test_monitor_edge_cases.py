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
            "error",  # nothing to compare against can never be computed (issue 17)
            "no finite reference values",
            id="all-nan-reference",
        ),
        pytest.param(
            list(NORMAL[:50]),
            [np.nan] * 40,
            "numeric",
            "critical",
            "significant",
            id="all-nan-live-is-drift",
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


# --- issue 11: verdicts without blind spots -------------------------------------------------


def _flag(share: float, n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < share).astype(np.int64)


@pytest.mark.parametrize(
    "as_bool", [pytest.param(False, id="0-1-integers"), pytest.param(True, id="bool-dtype")]
)
def test_a_flag_declared_numeric_gets_a_bin_per_value_and_its_shift_is_drift(
    as_bool: bool,
) -> None:
    reference, live = _flag(0.3, 10_000, 1), _flag(0.6, 5_000, 2)
    frames = (
        pd.DataFrame({"x": reference.astype(bool) if as_bool else reference}),
        pd.DataFrame({"x": live.astype(bool) if as_bool else live}),
    )
    row = js_row(run(*frames, ["x"], []), "x")
    assert row.status == "critical"
    assert "distribution within the reference's range" in row.reason


def test_a_small_integer_column_moving_from_one_value_to_another_is_drift() -> None:
    rng = np.random.default_rng(3)
    reference = rng.choice([0, 1, 2], 5_000, p=[0.2, 0.6, 0.2])
    live = rng.choice([0, 1, 2], 2_000, p=[0.2, 0.2, 0.6])
    row = js_row(run(pd.DataFrame({"x": reference}), pd.DataFrame({"x": live}), ["x"], []), "x")
    assert row.status == "critical"


def test_values_beyond_the_reference_range_are_named_as_the_decisive_component() -> None:
    rng = np.random.default_rng(4)
    reference = rng.normal(size=10_000)
    live = rng.normal(size=1_000)
    live[:50] = 999_999.0  # a 5 % sentinel
    row = js_row(run(pd.DataFrame({"x": reference}), pd.DataFrame({"x": live}), ["x"], []), "x")
    assert row.status in ("warn", "critical")
    assert "values above the reference's maximum" in row.reason


def test_a_new_category_is_named_as_unseen() -> None:
    rng = np.random.default_rng(5)
    reference = rng.choice(list("abcde"), 10_000)
    live = np.concatenate([rng.choice(list("abcde"), 700), ["new"] * 300])
    row = js_row(run(pd.DataFrame({"x": reference}), pd.DataFrame({"x": live}), [], ["x"]), "x")
    assert row.status == "critical"
    assert "categories the reference never had" in row.reason


def test_an_all_null_live_categorical_column_is_critical() -> None:
    rng = np.random.default_rng(6)
    reference = pd.DataFrame({"x": rng.choice(list("abc"), 1_000)})
    live = pd.DataFrame({"x": [None] * 200})
    row = js_row(run(reference, live, [], ["x"]), "x")
    assert row.status == "critical"
    assert row.missing_share == 1.0


def _decide_on_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    # A +0.04σ shift on 100,000 rows: significant, above a strict tvd magnitude (0.001), below
    # js's (0.0007 bits after the bias correction).
    rng = np.random.default_rng(7)
    reference = rng.normal(size=100_000)
    live = rng.normal(0.04, size=100_000)
    return pd.DataFrame({"x": reference}), pd.DataFrame({"x": live})


def test_decide_on_keeps_another_metric_from_changing_the_feature_verdict() -> None:
    reference, live = _decide_on_frames()
    settings = {"metrics": ["js", "tvd"], "thresholds": {"tvd": {"warn": 0.001}}}
    outcome = MonitorRunner(
        config_for(["x"], [], **settings), frames={"reference": reference, "live": live}
    ).compute(parse_monitor(settings))
    (feature,) = outcome.features
    statuses = {m.metric: m.status for m in feature.metrics}
    assert statuses["tvd"] == "warn" and statuses["js"] == "ok"
    assert feature.status == "ok"


def test_decide_on_names_the_metrics_that_decide() -> None:
    reference, live = _decide_on_frames()
    settings = {
        "metrics": ["js", "tvd"],
        "decide_on": ["js", "tvd"],
        "thresholds": {"tvd": {"warn": 0.001}},
    }
    outcome = MonitorRunner(
        config_for(["x"], [], **settings), frames={"reference": reference, "live": live}
    ).compute(parse_monitor(settings))
    assert outcome.features[0].status == "warn"


def parse_monitor(settings: dict[str, Any]) -> MonitorConfig:
    return config_for(["x"], [], **settings).monitor("m")


def test_decide_on_must_name_known_metrics() -> None:
    with pytest.raises(Exception, match="unknown metric 'jss'"):
        config_for(["x"], [], decide_on=["jss"])


def test_a_run_whose_features_all_error_is_failed_with_the_real_row_count() -> None:
    reference = pd.DataFrame({"x": NORMAL[:100], "y": NORMAL[:100]})
    live = pd.DataFrame({"z": NORMAL[:70]})  # neither feature is there
    config = config_for(["x", "y"], [])
    outcome = MonitorRunner(config, frames={"reference": reference, "live": live}).compute(
        config.monitor("m")
    )
    assert outcome.status == "failed"
    assert outcome.n_live == 70
    assert outcome.error is not None and "every feature failed" in outcome.error
    assert "absent from the live data" in outcome.error


def test_a_run_with_one_good_feature_still_succeeds() -> None:
    reference = pd.DataFrame({"x": NORMAL[:100], "y": NORMAL[:100]})
    live = pd.DataFrame({"x": NORMAL[100:170]})
    config = config_for(["x", "y"], [])
    outcome = MonitorRunner(config, frames={"reference": reference, "live": live}).compute(
        config.monitor("m")
    )
    assert outcome.status == "succeeded"


TIMES = pd.date_range("2024-01-01", periods=200, freq="h", tz="UTC")


def test_a_timestamp_column_declared_numeric_is_refused_with_what_to_do() -> None:
    reference = pd.DataFrame({"x": NORMAL[:200]})
    row = js_row(run(reference, pd.DataFrame({"x": TIMES}), ["x"], []), "x")
    assert row.status == "error"
    assert "declared numeric but holds timestamps" in row.reason
    assert "list it under 'datetime' in the features" in row.reason
