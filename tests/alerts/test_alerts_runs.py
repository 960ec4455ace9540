"""The lifecycle over real runs and a real store: exactly the expected notifications are queued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from driftwatch.api import run_monitors
from driftwatch.config import Config
from driftwatch.store import Store
from driftwatch.store.alerts import add_silence, alerts_frame, end_silences
from driftwatch.store.models import Alert, Notification
from tests.alerts.conftest import REFERENCE, live_frame, run_levels
from tests.helpers import FakeClock


def queued(store: Store) -> list[tuple[str, str | None]]:
    """(event, feature) of every notification in the outbox, oldest first."""
    with store.session() as session:
        rows = session.execute(
            sa.select(Notification.event, Notification.feature).order_by(Notification.id)
        ).all()
    return [(e, f) for e, f in rows]


def take(store: Store, seen: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The notifications queued since the last call."""
    now = queued(store)
    new = now[len(seen) :]
    seen[:] = now
    return new


def test_a_sequence_of_runs_queues_exactly_the_expected_notifications(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(alerts={"repeat_interval": "6h"})
    seen: list[tuple[str, str | None]] = []
    script: list[tuple[str, list[tuple[str, str | None]]]] = [
        ("ok", []),
        ("warn", [("firing", "x")]),
        ("warn", []),
        ("critical", [("escalated", "x")]),
        ("ok", [("resolved", "x")]),
        ("no_data", []),
        ("ok", []),
    ]
    for level, expected in script:
        run_levels(config, store, clock, x=level)
        assert take(store, seen) == expected, level


def test_still_firing_repeats_after_the_interval_only(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(alerts={"repeat_interval": "6h"})
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="warn")
    assert take(store, seen) == [("firing", "x")]
    for _ in range(5):  # 5 more hourly windows: quiet
        run_levels(config, store, clock, x="warn")
    assert take(store, seen) == []
    run_levels(config, store, clock, x="warn")  # 6h after the first notification
    assert take(store, seen) == [("repeat", "x")]


def test_alert_row_records_state_severity_value_and_threshold(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    run_levels(alert_config(), store, clock, x="critical")
    frame = alerts_frame(store, state="firing")
    assert frame[["feature", "metric", "state", "severity"]].values.tolist() == [
        ["x", "js", "firing", "critical"]
    ]
    assert frame.loc[0, "threshold"] == 0.25
    assert frame.loc[0, "value"] == pytest.approx(0.311, abs=1e-3)


def test_a_silence_mutes_a_feature_until_it_ends(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config()
    seen: list[tuple[str, str | None]] = []
    add_silence(store, "model", timedelta(hours=6), feature="x", reason="known", clock=clock)
    run_levels(config, store, clock, x="warn", y="warn")
    assert take(store, seen) == [("firing", "y")]
    run_levels(config, store, clock, x="critical")  # still silenced: escalation muted too
    assert take(store, seen) == [("resolved", "y")]
    end_silences(store, "model", clock=clock)
    run_levels(config, store, clock, x="critical")
    assert take(store, seen) == [("firing", "x")]


def test_a_silence_from_the_config_mutes_the_whole_monitor(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(
        alerts={"silences": [{"monitor": "model", "until": "2026-01-01T03:00:00"}]}
    )
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="warn", y="warn")  # 01:00, silenced
    assert take(store, seen) == []
    run_levels(config, store, clock, step=timedelta(hours=3), x="warn", y="warn")  # 04:00
    assert sorted(take(store, seen)) == [("firing", "x"), ("firing", "y")]


def test_for_n_queues_only_after_n_breaching_runs(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(for_=2)
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="warn")
    assert take(store, seen) == []
    assert alerts_frame(store, state="pending")["feature"].tolist() == ["x"]
    run_levels(config, store, clock, x="warn")
    assert take(store, seen) == [("firing", "x")]


def test_no_data_alerts_only_when_configured(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(alerts={"notify_no_data": True})
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="no_data")  # 5 live rows < min_rows: both features
    assert sorted(take(store, seen)) == [("no_data", "x"), ("no_data", "y")]
    assert set(alerts_frame(store)["state"]) == {"no_data"}


def test_dataset_drift_replaces_feature_alerts_with_one(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(dataset_drift={"enabled": True, "share": 0.5})
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="warn", y="critical")
    ((event, feature),) = take(store, seen)
    assert (event, feature) == ("firing", "*")
    with store.session() as session:
        payload = session.scalars(sa.select(Notification.payload)).one()
    assert payload["severity"] == "critical"
    assert payload["value"] == 1.0 and payload["threshold"] == 0.5
    assert [f["feature"] for f in payload["top_drifted_features"]] == ["y", "x"]
    run_levels(config, store, clock)
    assert take(store, seen) == [("resolved", "*")]


def test_below_the_dataset_share_feature_alerts_still_fire(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config(dataset_drift={"enabled": True, "share": 1.0})
    seen: list[tuple[str, str | None]] = []
    run_levels(config, store, clock, x="warn")
    assert take(store, seen) == [("firing", "x")]


def test_a_skipped_rerun_does_not_advance_the_lifecycle(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config().model_copy(
        update={"defaults": alert_config().defaults.model_copy(update={"on_rerun": "skip"})}
    )
    frames: dict[str, Any] = {"reference": REFERENCE, "live": live_frame(x="warn")}
    run_monitors(config, store, clock=clock, frames=frames)
    with store.session() as session:
        before = session.execute(sa.select(Alert.updated_at, Alert.breach_count)).all()
    run_monitors(config, store, clock=clock, frames=frames)  # same instant: same window key
    with store.session() as session:
        after = session.execute(sa.select(Alert.updated_at, Alert.breach_count)).all()
    assert after == before
    assert queued(store) == [("firing", "x")]


def test_monitor_without_sinks_tracks_state_but_queues_nothing(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    run_levels(alert_config(monitor_alerts=[]), store, clock, x="warn")
    assert queued(store) == []
    assert alerts_frame(store, state="firing")["feature"].tolist() == ["x"]
    run_levels(alert_config(), store, clock, x="warn")  # a sink is added: told once
    assert queued(store) == [("firing", "x")]


def test_notifications_are_written_in_the_runs_transaction(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    outcome = run_levels(alert_config(), store, clock, x="warn")
    with store.session() as session:
        run_ids = set(session.scalars(sa.select(Notification.run_id)))
    assert run_ids == {outcome.run_id}


def test_an_older_window_computed_later_does_not_move_the_lifecycle(
    store: Store, clock: FakeClock, alert_config: Callable[..., Config]
) -> None:
    config = alert_config()
    run_levels(config, store, clock, step=timedelta(hours=5))  # the newest window: ok
    run_levels(config, store, clock, step=timedelta(hours=-2), x="critical")  # a backfill
    assert queued(store) == []
    assert set(alerts_frame(store)["state"]) == {"ok"}


def _two_metric_config(decide_on: list[str]) -> Config:
    """js never breaches (warn 0.5); tvd breaches at the ``warn`` level (0.2 ≥ 0.01)."""
    from driftwatch.config import parse_config
    from tests.alerts.conftest import config_dict

    raw = config_dict()
    monitor = raw["monitors"][0]
    monitor["metrics"] = ["js", "tvd"]
    monitor["decide_on"] = decide_on
    monitor["thresholds"] = {
        "js": {"kind": "constant", "warn": 0.5, "critical": 0.9},
        "tvd": {"kind": "constant", "warn": 0.01, "critical": 0.9},
    }
    return parse_config(raw)


def test_a_metric_that_does_not_decide_never_notifies(store: Store, clock: FakeClock) -> None:
    config = _two_metric_config(["js"])
    seen: list[tuple[str, str | None]] = []
    outcome = run_levels(config, store, clock, x="warn")
    (x,) = [f for f in outcome.features if f.name == "x"]
    (tvd,) = [m for m in x.metrics if m.metric == "tvd"]
    assert tvd.status == "warn"  # recorded as computed ...
    assert take(store, seen) == []  # ... but the feature's decision (js: ok) is what alerts
    assert alerts_frame(store, state="firing").empty


def test_a_metric_named_in_decide_on_notifies(store: Store, clock: FakeClock) -> None:
    run_levels(_two_metric_config(["tvd"]), store, clock, x="warn")
    assert alerts_frame(store, state="firing")[["feature", "metric"]].values.tolist() == [
        ["x", "tvd"]
    ]


def test_an_episode_of_a_metric_that_stops_deciding_resolves(
    store: Store, clock: FakeClock
) -> None:
    seen: list[tuple[str, str | None]] = []
    run_levels(_two_metric_config(["tvd"]), store, clock, x="warn")
    assert take(store, seen) == [("firing", "x")]
    run_levels(_two_metric_config(["js"]), store, clock, x="warn")  # tvd still at warn
    assert take(store, seen) == [("resolved", "x")]
