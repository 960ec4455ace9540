"""Monitors whose reference is their own stored windows: rolling, expanding, previous.

The example's car-loan monitor with ``reference: {type: rolling, ...}`` is backfilled month by
month: the first month is compared with the bootstrap source, each later one with the sum of the
stored months before it; every stored value can be recomputed from the store alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
import yaml

import driftwatch
from driftwatch import api
from driftwatch.config import Config, load_config
from driftwatch.engine import get_metric
from driftwatch.errors import ConfigError
from driftwatch.store import Store, queries
from driftwatch.store.models import FeatureResult, HistogramRow, Notification, Run
from driftwatch.timeutil import TimeWindow
from tests.conftest import EXAMPLE_CONFIG

SINCE = datetime(2018, 10, 1, tzinfo=UTC)
UNTIL = datetime(2019, 9, 1, tzinfo=UTC)


def car_loan(tmp_path: Path, reference: dict[str, Any], **extra: Any) -> Path:
    """The example's car-loan monitor alone, its reference source moved under ``bootstrap``."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    monitor = next(m for m in data["monitors"] if m["name"] == "car-loan")
    for role in ("reference", "live"):
        monitor[role]["path"] = str((EXAMPLE_CONFIG.parent / monitor[role]["path"]).resolve())
    if reference:
        monitor["reference"] = {**reference, "bootstrap": monitor["reference"]}
    monitor.update(extra)
    data["monitors"] = [monitor]
    path = tmp_path / "dynamic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def stored_runs(url: str) -> list[Any]:
    store = Store.open(url)
    try:
        with store.session() as session:
            return list(session.scalars(sa.select(Run).order_by(Run.window_start)))
    finally:
        store.close()


# --- config ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "kind", "wanted"),
    [
        pytest.param({"type": "rolling", "windows": 3}, "rolling", 3, id="rolling"),
        pytest.param({"type": "rolling"}, "rolling", 7, id="rolling-default"),
        pytest.param({"type": "expanding"}, "expanding", None, id="expanding"),
        pytest.param({"type": "previous"}, "previous", 1, id="previous"),
    ],
)
def test_a_dynamic_reference_fits_its_bins_on_the_bootstrap(
    tmp_path: Path, reference: dict[str, Any], kind: str, wanted: int | None
) -> None:
    monitor = load_config(car_loan(tmp_path, reference)).monitor("car-loan")
    assert monitor.dynamic_reference is not None
    assert monitor.dynamic_reference.type == kind
    assert monitor.dynamic_reference.windows_wanted == wanted
    assert monitor.reference_source.type == "csv"


@pytest.mark.parametrize(
    ("reference", "extra", "message"),
    [
        pytest.param(
            {"type": "rolling", "windows": 0},
            {},
            r"monitors\[0\]\.reference\.windows: expected greater",
            id="zero-names-the-key-as-written",
        ),
        pytest.param(
            {"type": "rolling", "windows": 3, "bootstrap": None}, {}, "bootstrap", id="no-source"
        ),
        pytest.param({"type": "rollng"}, {}, "unknown type 'rollng'", id="typo"),
    ],
)
def test_a_bad_dynamic_reference_is_one_config_error(
    tmp_path: Path, reference: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    path = car_loan(tmp_path, {"type": "rolling"})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["monitors"][0]["reference"] = {**data["monitors"][0]["reference"], **reference}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_dynamic_reference_needs_a_live_timestamp_column(tmp_path: Path) -> None:
    path = car_loan(tmp_path, {"type": "previous"})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    monitor = data["monitors"][0]
    del monitor["schedule"], monitor["live"]["timestamp_column"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="previous reference, built from its stored windows"):
        load_config(path)


def test_validate_says_what_the_reference_is_built_from(tmp_path: Path) -> None:
    checked = api.validate(car_loan(tmp_path, {"type": "rolling", "windows": 3}))
    reference = checked.monitors[0].sources[0]
    assert checked.ok and reference.description is not None
    assert reference.description.startswith(
        "the last 3 stored windows before each window (bootstrap: csv file"
    )


# --- runs -----------------------------------------------------------------------------------------


@pytest.fixture
def rolling_with_sink(tmp_path: Path) -> Config:
    path = car_loan(tmp_path, {"type": "rolling", "windows": 3}, alerts=["audit"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["alerts"] = {"sinks": [{"name": "audit", "type": "log"}]}
    data["monitors"][0]["metrics"] = ["js", "kl", "psi", "hellinger", "tvd"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path)


@pytest.fixture
def backfilled(rolling_with_sink: Config, database_url: str) -> str:
    done = api.backfill(rolling_with_sink, "car-loan", SINCE, UNTIL, database=database_url)
    assert done.failed == 0
    return database_url


def test_the_first_windows_use_the_bootstrap_then_the_last_n_stored_ones(backfilled: str) -> None:
    runs = stored_runs(backfilled)
    assert {r.reference_kind for r in runs} == {"rolling"}
    # October 2018 holds two days of data (no_data): it is not a reference window
    assert [r.status for r in runs[:2]] == ["no_data", "succeeded"]
    assert [len(r.reference_windows) for r in runs] == [0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3]
    assert runs[0].n_reference == runs[1].n_reference == 5000  # the bootstrap's rows
    may = runs[7]
    assert [w["window_start"][:7] for w in may.reference_windows] == [
        "2019-02",
        "2019-03",
        "2019-04",
    ]
    assert may.n_reference == sum(w["n_live"] for w in may.reference_windows)


def test_queries_runs_lists_the_reference_of_each_run(backfilled: str) -> None:
    runs = queries.runs(backfilled, "car-loan").sort_values("window_start")
    assert set(runs["reference_kind"]) == {"rolling"}
    assert [len(w) for w in runs["reference_windows"]][-3:] == [3, 3, 3]


def test_every_stored_value_is_recomputed_from_the_store_alone(backfilled: str) -> None:
    store = Store.open(backfilled)
    with store.session() as session:
        live = {
            (start, feature): counts
            for start, feature, counts in session.execute(
                sa.select(Run.window_start, HistogramRow.feature, HistogramRow.live_counts).join(
                    Run, Run.id == HistogramRow.run_id
                )
            )
        }
        stored = session.execute(
            sa.select(Run, HistogramRow, FeatureResult)
            .join(HistogramRow, HistogramRow.run_id == Run.id)
            .join(
                FeatureResult,
                (FeatureResult.run_id == Run.id) & (FeatureResult.feature == HistogramRow.feature),
            )
            .where(FeatureResult.value.is_not(None))
        ).all()
    store.close()
    recomputed = 0
    for run, histogram, result in stored:
        if not run.reference_windows:
            continue
        summed = sum(
            np.asarray(
                live[(datetime.fromisoformat(w["window_start"]), histogram.feature)],
                dtype=np.int64,
            )
            for w in run.reference_windows
        )
        assert np.array_equal(summed, histogram.reference_counts), histogram.feature
        value = get_metric(result.metric).compute(
            np.asarray(histogram.live_counts), np.asarray(histogram.reference_counts), 0.5
        )
        assert float(value) == pytest.approx(result.value, abs=1e-12), result.metric
        recomputed += 1
    assert recomputed == 9 * 8 * 5  # 9 windows with stored references, 8 features, 5 metrics


def test_a_rolling_monitor_alerts_when_the_drift_arrives_and_resolves_as_it_adapts(
    backfilled: str,
) -> None:
    store = Store.open(backfilled)
    with store.session() as session:
        events = session.execute(
            sa.select(Notification.event, Run.window_start)
            .join(Run, Run.id == Notification.run_id)
            .order_by(Notification.id)
        ).all()
    store.close()
    fired = {(e.event, e.window_start.month) for e in events}
    # The drift injected in the second half of the analysis period moves April against
    # January-March; once the reference holds drifted months, the features resolve.
    assert ("firing", 4) in fired
    assert any(event == "resolved" for event, _ in fired)
    assert all(month >= 4 for event, month in fired if event == "firing")


def test_compare_against_rolling_reproduces_a_stored_rolling_run(
    rolling_with_sink: Config, backfilled: str
) -> None:
    april = TimeWindow(datetime(2019, 4, 1, tzinfo=UTC), datetime(2019, 5, 1, tzinfo=UTC))
    again = driftwatch.compare_stored(
        rolling_with_sink, "car-loan", april, "rolling:3", database=backfilled
    )
    stored = api.history(rolling_with_sink, "car-loan", "car_value", "js", since=None,
                         database=backfilled).frame  # fmt: skip
    april_value = stored.loc[stored["window_start"] == april.start, "value"].iloc[0]
    ours = again.to_frame()
    value = ours.loc[(ours["feature"] == "car_value") & (ours["metric"] == "js"), "value"].iloc[0]
    assert value == pytest.approx(april_value, abs=1e-12)


@pytest.mark.parametrize(
    ("reference", "lengths"),
    [
        pytest.param({"type": "expanding"}, [0, 0, 1, 2, 3, 4, 5], id="expanding"),
        pytest.param({"type": "previous"}, [0, 0, 1, 1, 1, 1, 1], id="previous"),
    ],
)
def test_expanding_and_previous_sum_all_or_one_window_before(
    tmp_path: Path, sqlite_database: str, reference: dict[str, Any], lengths: list[int]
) -> None:
    config = load_config(car_loan(tmp_path, reference))
    until = datetime(2019, 5, 1, tzinfo=UTC)
    api.backfill(config, "car-loan", SINCE, until, database=sqlite_database)
    runs = stored_runs(sqlite_database)
    assert [len(r.reference_windows) for r in runs] == lengths
    assert {r.reference_kind for r in runs} == {reference["type"]}


def test_a_source_reference_is_stored_as_source_with_no_windows(
    tmp_path: Path, sqlite_database: str
) -> None:
    config = load_config(car_loan(tmp_path, {}))
    api.backfill(config, "car-loan", SINCE, datetime(2018, 12, 1, tzinfo=UTC),
                 database=sqlite_database)  # fmt: skip
    assert {(r.reference_kind, r.reference_windows) for r in stored_runs(sqlite_database)} == {
        ("source", None)
    }
