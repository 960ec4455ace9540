"""The lifecycle decision, driven directly with a fake clock: exactly the expected events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftwatch.alerts.lifecycle import LifecycleSettings, decide
from driftwatch.results import AlertState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
DEFAULT = LifecycleSettings(repeat_interval=timedelta(hours=24))


def events(
    statuses: Sequence[str],
    settings: LifecycleSettings = DEFAULT,
    *,
    step: timedelta = HOUR,
    muted: Sequence[bool] | None = None,
) -> list[str | None]:
    """The event of each window when the statuses arrive one window (``step``) apart."""
    state, out = AlertState(), []
    for i, status in enumerate(statuses):
        decision = decide(state, status, T0 + i * step, settings, muted=bool(muted and muted[i]))
        state = decision.state
        out.append(decision.event)
    return out


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param(["ok", "ok", "ok"], [None, None, None], id="quiet-when-ok"),
        pytest.param(
            ["ok", "warn", "warn", "critical", "ok", "no_data"],
            [None, "firing", None, "escalated", "resolved", None],
            id="fire-stay-escalate-resolve",
        ),
        pytest.param(["warn"] * 6, ["firing", None, None, None, None, None], id="no-spam"),
        pytest.param(
            ["critical", "warn", "critical"],
            ["firing", None, "escalated"],
            id="de-escalation-is-quiet-re-escalation-notifies",
        ),
        pytest.param(["warn", "ok", "warn"], ["firing", "resolved", "firing"], id="new-episode"),
        pytest.param(
            ["warn", "no_data", "warn", "ok"],
            ["firing", None, None, "resolved"],
            id="no-data-gap-keeps-the-episode",
        ),
        pytest.param(["no_data", "ok"], [None, None], id="no-data-silent-by-default"),
        pytest.param(["error", "warn"], [None, "firing"], id="error-counts-as-no-data"),
    ],
)
def test_event_sequence(statuses: list[str], expected: list[str | None]) -> None:
    assert events(statuses) == expected


def test_repeat_only_after_the_repeat_interval() -> None:
    settings = LifecycleSettings(repeat_interval=timedelta(hours=6))
    # One window an hour: firing at 0h, then quiet until 6h after the last notification.
    got = events(["warn"] * 14, settings)
    assert got == ["firing", *[None] * 5, "repeat", *[None] * 5, "repeat", None]


@pytest.mark.parametrize(
    ("for_", "expected"),
    [
        pytest.param(1, ["firing", None, None], id="for-1"),
        pytest.param(2, [None, "firing", None], id="for-2"),
        pytest.param(3, [None, None, "firing"], id="for-3"),
    ],
)
def test_for_n_needs_n_consecutive_breaching_windows(for_: int, expected: list[str | None]) -> None:
    assert events(["warn"] * 3, LifecycleSettings(for_=for_)) == expected


def test_for_n_counter_resets_on_an_ok_window() -> None:
    got = events(["warn", "ok", "warn", "warn"], LifecycleSettings(for_=2))
    assert got == [None, None, None, "firing"]


def test_pending_state_is_recorded_before_firing() -> None:
    decision = decide(AlertState(), "warn", T0, LifecycleSettings(for_=2))
    assert decision.state.state == "pending" and decision.state.breach_count == 1


def test_no_data_notifies_once_when_configured_and_resolves_after() -> None:
    settings = LifecycleSettings(notify_no_data=True)
    assert events(["no_data", "no_data", "ok"], settings) == ["no_data", None, "resolved"]


def test_a_muted_alert_changes_state_but_sends_nothing() -> None:
    got = events(["warn", "critical", "warn"], muted=[True, True, True])
    assert got == [None, None, None]


def test_an_episode_muted_at_its_start_notifies_once_unmuted() -> None:
    got = events(["warn", "warn", "warn"], muted=[True, False, False])
    assert got == [None, "firing", None]


def test_never_notified_episode_resolves_silently() -> None:
    assert events(["warn", "ok"], muted=[True, False]) == [None, None]


def test_resolved_is_sent_even_when_muted_after_a_notified_firing() -> None:
    assert events(["warn", "ok"], muted=[False, True]) == ["firing", "resolved"]


def test_decide_is_pure() -> None:
    before = AlertState()
    first = decide(before, "warn", T0, LifecycleSettings())
    second = decide(before, "warn", T0, LifecycleSettings())
    assert first == second and before == AlertState()


STATUSES = st.lists(st.sampled_from(["ok", "warn", "critical", "no_data", "error"]), max_size=40)


@given(STATUSES)
def test_property_one_firing_per_episode_and_one_resolved_per_closed_episode(
    statuses: list[str],
) -> None:
    never = LifecycleSettings(repeat_interval=timedelta(days=10_000))
    got = [e for e in events(statuses, never) if e is not None]
    opened = closed = 0
    episode = False
    for status in statuses:  # the model: a breach opens an episode, only ok closes it
        if status in ("warn", "critical") and not episode:
            opened, episode = opened + 1, True
        elif status == "ok" and episode:
            closed, episode = closed + 1, False
    assert got.count("firing") == opened
    assert got.count("resolved") == closed
    lifecycle = [e for e in got if e in ("firing", "resolved")]
    assert lifecycle == ["firing", "resolved"] * closed + ["firing"] * (opened - closed)
    assert set(got) <= {"firing", "resolved", "escalated"}


@given(STATUSES)
def test_property_an_always_muted_alert_never_notifies(statuses: list[str]) -> None:
    got = events(statuses, muted=[True] * len(statuses))
    assert [e for e in got if e is not None] == []
