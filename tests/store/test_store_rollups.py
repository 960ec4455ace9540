"""Roll-ups of stored windows: sums of live counts that equal the histogram of the rows.

Windows are counted with the engine, saved through ``Store.save_run`` (the real write path) and
added up by :mod:`driftwatch.store.rollups`; the oracle is the engine's histogram of every row of
the span at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftwatch.engine import Bins, Histogram, fit_categorical_bins, fit_numeric_bins
from driftwatch.errors import RollupError
from driftwatch.profile import Profile
from driftwatch.results import FeatureOutcome, MetricOutcome, RunOutcome
from driftwatch.store import Store
from driftwatch.store.rollups import dynamic_reference, rollup, rollup_before
from driftwatch.timeutil import TimeWindow

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

REFERENCE_X = np.linspace(-3.0, 3.0, 200)
REFERENCE_C = np.array(["a", "b", "c", "d"] * 25, dtype=object)
BINS: dict[str, Bins] = {
    "x": fit_numeric_bins(REFERENCE_X, strategy="quantile", bins=6),
    "c": fit_categorical_bins(REFERENCE_C, top_k=3),
}


def day(i: int, j: int | None = None) -> TimeWindow:
    return TimeWindow(T0 + i * DAY, T0 + ((i + 1) if j is None else j) * DAY)


def save_profile(
    store: Store, monitor: str, bins: Mapping[str, Bins] = BINS, *, copies: int = 1
) -> int:
    """A stored profile on ``bins`` of the reference rows repeated ``copies`` times."""
    reference = {"x": np.tile(REFERENCE_X, copies), "c": np.tile(REFERENCE_C, copies)}
    profile = Profile({n: Histogram.of(reference[n], b) for n, b in bins.items()}, {}, 200)
    return store.save_profile(
        monitor=monitor,
        fingerprint=uuid.uuid4().hex,
        config_hash="h",
        source="test",
        n_rows=200,
        features=profile.to_json(),
        created_at=T0,
    )


def save_window(
    store: Store,
    monitor: str,
    window: TimeWindow,
    rows: Mapping[str, np.ndarray],
    profile_id: int,
    bins: Mapping[str, Bins] = BINS,
    status: str = "succeeded",
    errored: str | None = None,
) -> None:
    """One stored run of ``window`` whose live histograms count ``rows`` on ``bins`` (but for
    the ``errored`` feature, stored as an ``error`` without live counts)."""
    n = len(next(iter(rows.values())))
    features = tuple(
        FeatureOutcome(
            name,
            "numeric" if name == "x" else "categorical",
            "ok",
            (),
            reference=Histogram.empty(feature_bins),
            live=Histogram.of(rows[name], feature_bins),
        )
        if name != errored
        else FeatureOutcome(
            name,
            "numeric" if name == "x" else "categorical",
            "error",
            (MetricOutcome("js", None, "bits", "error", reason="column 'x' is absent"),),
            reference=Histogram.empty(feature_bins),
            reason="column 'x' is absent",
        )
        for name, feature_bins in bins.items()
    )
    store.save_run(
        RunOutcome(
            monitor=monitor,
            window=window,
            status=status,  # type: ignore[arg-type]
            started_at=T0,
            finished_at=T0,
            duration_seconds=0.0,
            features=features,
            n_live=n,
            profile_id=profile_id,
        )
    )


rows_of_a_window = st.integers(min_value=0, max_value=40).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "x": st.lists(
                st.one_of(
                    st.floats(-5, 5, allow_nan=False),
                    st.just(float("nan")),
                    st.sampled_from([float("inf"), -3.0, 3.0]),
                ),
                min_size=n,
                max_size=n,
            ),
            "c": st.lists(
                st.one_of(st.sampled_from(["a", "b", "c", "d", "zz"]), st.none()),
                min_size=n,
                max_size=n,
            ),
        }
    )
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(windows=st.lists(rows_of_a_window, min_size=1, max_size=6))
def test_summed_stored_windows_equal_the_histogram_of_their_concatenated_rows(
    store: Store, windows: list[dict[str, list[object]]]
) -> None:
    monitor = f"m-{uuid.uuid4().hex[:8]}"  # one monitor per example: the store is shared
    profile_id = save_profile(store, monitor)
    arrays = [
        {"x": np.asarray(w["x"], dtype=np.float64), "c": np.asarray(w["c"], dtype=object)}
        for w in windows
    ]
    for i, rows in enumerate(arrays):
        save_window(store, monitor, day(i), rows, profile_id)
    rolled = rollup(store, monitor, day(0, len(arrays)))
    for name, feature_bins in BINS.items():
        whole = np.concatenate([rows[name] for rows in arrays])
        assert rolled.live[name] == Histogram.of(whole, feature_bins), name
    assert rolled.n_live == sum(len(rows["x"]) for rows in arrays)


def _rows(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=n), "c": rng.choice(REFERENCE_C, size=n)}


def test_a_span_stored_beside_its_parts_is_summed_from_the_finest_windows(store: Store) -> None:
    profile_id = save_profile(store, "m")
    save_window(store, "m", day(0, 3), _rows(5), profile_id)  # a manual run over the 3 days
    for i in range(3):
        save_window(store, "m", day(i), _rows(10, seed=i), profile_id)
    rolled = rollup(store, "m", day(0, 3))
    assert [w.window for w in rolled.windows] == [day(0), day(1), day(2)]
    assert rolled.n_live == 30


def test_no_data_windows_count_and_failed_ones_are_gaps(store: Store) -> None:
    profile_id = save_profile(store, "m")
    save_window(store, "m", day(0), _rows(10), profile_id)
    save_window(store, "m", day(1), _rows(2), profile_id, status="no_data")
    assert rollup(store, "m", day(0, 2)).n_live == 12
    save_window(store, "m", day(2), _rows(0), profile_id, status="failed")
    with pytest.raises(RollupError, match="no finished stored window for 2024-01-03/2024-01-04"):
        rollup(store, "m", day(0, 3))


def test_a_feature_that_errored_in_one_window_has_no_roll_up_but_a_reason(store: Store) -> None:
    profile_id = save_profile(store, "m")
    save_window(store, "m", day(0), _rows(10), profile_id)
    save_window(store, "m", day(1), _rows(10), profile_id, errored="x")
    rolled = rollup(store, "m", day(0, 2))
    assert "x" not in rolled.live and rolled.live["c"].n == 20
    assert rolled.problems["x"].status == "error"
    assert rolled.problems["x"].reason == (
        "no live histogram in window 2024-01-02/2024-01-03: column 'x' is absent"
    )


def test_gaps_are_listed_with_a_backfill_to_fill_them(store: Store) -> None:
    profile_id = save_profile(store, "m")
    for i in (0, 2, 5):
        save_window(store, "m", day(i), _rows(10), profile_id)
    with pytest.raises(RollupError) as caught:
        rollup(store, "m", day(0, 7))
    message = str(caught.value)
    assert "2024-01-02/2024-01-03, 2024-01-04/2024-01-06, 2024-01-07/2024-01-08" in message
    assert "driftwatch backfill -m m --since 2024-01-02 --until 2024-01-08" in message
    assert "\n" not in message


def test_overlapping_windows_that_do_not_tile_the_span_are_refused(store: Store) -> None:
    profile_id = save_profile(store, "m")
    save_window(store, "m", day(0, 2), _rows(10), profile_id)
    save_window(store, "m", day(1, 3), _rows(10), profile_id)
    with pytest.raises(RollupError, match="overlap without adding up"):
        rollup(store, "m", day(0, 3))


def test_a_profile_change_inside_the_span_is_refused_naming_the_window(store: Store) -> None:
    first = save_profile(store, "m")
    coarse = {**BINS, "x": fit_numeric_bins(REFERENCE_X, strategy="quantile", bins=3)}
    second = save_profile(store, "m", coarse)
    save_window(store, "m", day(0), _rows(10), first)
    save_window(store, "m", day(1), _rows(10), second, bins=coarse)
    with pytest.raises(
        RollupError,
        match=r"changed inside 2024-01-01/2024-01-03: window 2024-01-02/2024-01-03 .*"
        r"\(feature 'x'\)",
    ):
        rollup(store, "m", day(0, 2))


def test_a_reference_that_changed_on_the_same_bins_still_adds_up_but_has_no_one_reference(
    store: Store,
) -> None:
    first, doubled = save_profile(store, "m"), save_profile(store, "m", copies=2)
    save_window(store, "m", day(0), _rows(10), first)
    save_window(store, "m", day(1), _rows(10), doubled)
    rolled = rollup(store, "m", day(0, 2))
    assert rolled.n_live == 20 and rolled.live["x"].n == 20
    assert rolled.reference_changed is not None
    assert "reference data of monitor 'm' changed inside 2024-01-01/2024-01-03" in (
        rolled.reference_changed
    )


def test_windows_before_an_instant_are_the_contiguous_ones_ending_there(store: Store) -> None:
    profile_id = save_profile(store, "m")
    for i in (0, 2, 3):
        save_window(store, "m", day(i), _rows(10, seed=i), profile_id)
    assert [w.window for w in rollup_before(store, "m", day(4).start, 2).windows] == [
        day(2),
        day(3),
    ]
    with pytest.raises(RollupError, match=r"needs 3 .* has only 2 \(none ends at 2024-01-03\)"):
        rollup_before(store, "m", day(4).start, 3)


def test_a_dynamic_reference_skips_gaps_and_windows_on_other_bins(store: Store) -> None:
    first = save_profile(store, "m")
    coarse = {**BINS, "x": fit_numeric_bins(REFERENCE_X, strategy="quantile", bins=3)}
    second = save_profile(store, "m", coarse)
    save_window(store, "m", day(0), _rows(10, 0), first)
    save_window(store, "m", day(1), _rows(10, 1), second, bins=coarse)
    save_window(store, "m", day(3), _rows(10, 3), first)
    save_window(store, "m", day(4), _rows(3, 4), first, status="no_data")
    found = dynamic_reference(store, "m", day(5).start, 5, BINS, "rolling")
    assert found is not None
    histograms, used = found
    assert used.windows == (day(0), day(3)) and used.n_rows == (10, 10)
    expected = np.concatenate([_rows(10, 0)["x"], _rows(10, 3)["x"]])
    assert histograms["x"] == Histogram.of(expected, BINS["x"])


def test_a_dynamic_reference_with_no_window_yet_is_none(store: Store) -> None:
    save_profile(store, "m")
    assert dynamic_reference(store, "m", day(0).start, 3, BINS, "rolling") is None


def test_the_window_histograms_view_adds_up_in_sql(store: Store) -> None:
    profile_id = save_profile(store, "m")
    days = [_rows(10, seed=i) for i in range(3)]
    for i, rows in enumerate(days):
        save_window(store, "m", day(i), rows, profile_id)
    query = sa.text(
        "SELECT bin, label, SUM(live_count) AS live FROM window_histograms "
        "WHERE monitor = 'm' AND feature = 'c' GROUP BY bin, label ORDER BY bin"
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    whole = Histogram.of(np.concatenate([d["c"] for d in days]), BINS["c"])
    assert [r.label for r in rows] == list(BINS["c"].labels)
    assert [int(r.live) for r in rows] == whole.counts.tolist()


def readme_rollup_sql(name: str) -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- rollup-sql: {name} -->\n```sql\n(.*?)```", readme, re.S)
    assert block is not None, name
    return block.group(1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_readme_grafana_query_sums_daily_windows_into_weeks(store: Store) -> None:
    """2024-01-01 is a Monday: fourteen daily windows are two ISO weeks."""
    profile_id = save_profile(store, "m")
    days = [_rows(5 + i, seed=i) for i in range(14)]
    for i, rows in enumerate(days):
        save_window(store, "m", day(i), rows, profile_id)
    sql = (
        readme_rollup_sql("grafana-weeks")
        .replace("$monitor", "m")
        .replace("$feature", "c")
        .replace(
            "$__timeFilter(window_start)",
            "window_start BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-31T00:00:00Z'",
        )
    )
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(sql).all()
    for week in (0, 1):
        start = T0 + week * 7 * DAY
        counts = [int(r.live_rows) for r in rows if r.time == start]
        whole = np.concatenate([d["c"] for d in days[week * 7 : week * 7 + 7]])
        assert counts == Histogram.of(whole, BINS["c"]).counts.tolist()
    assert [r.metric for r in rows[: BINS["c"].n_bins]] == list(BINS["c"].labels)


def test_a_dynamic_reference_counts_a_window_stored_under_two_keys_once(store: Store) -> None:
    profile_id = save_profile(store, "m")
    for i in range(4):
        save_window(store, "m", day(i), _rows(10, seed=i), profile_id)
    save_window(store, "m", day(2, 4), _rows(7), profile_id)  # a manual run over days 2-3
    found = dynamic_reference(store, "m", day(4).start, 3, BINS, "rolling")
    assert found is not None
    assert found[1].windows == (day(1), day(2), day(3))  # the finer windows, once
