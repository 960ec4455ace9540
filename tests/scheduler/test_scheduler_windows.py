"""Window maths: a schedule's fire times and the live window each fire computes (pure)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from driftwatch import SchedulerError, TimeWindow
from driftwatch.config import MonitorConfig, ScheduleConfig
from driftwatch.config.schedule import build_trigger
from driftwatch.windows import MonitorSchedule, count_fire_times, fire_times, latest_fire_time


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def monitor(schedule: dict[str, Any], **live: Any) -> MonitorConfig:
    return MonitorConfig.model_validate(
        {
            "name": "m",
            "schedule": schedule,
            "reference": {"type": "csv", "path": "ref.csv"},
            "live": {"type": "csv", "path": "live.csv", "timestamp_column": "ts", **live},
            "features": {"numeric": ["x"]},
        }
    )


@pytest.mark.parametrize(
    ("schedule", "fired_at", "expected"),
    [
        pytest.param(
            {"cron": "0 * * * *"}, at(2024, 5, 1, 14), (at(2024, 5, 1, 13), at(2024, 5, 1, 14)),
            id="hourly-cron",
        ),
        pytest.param(
            {"cron": "0 0 1 * *"}, at(2019, 3, 1), (at(2019, 2, 1), at(2019, 3, 1)),
            id="monthly-cron-february",
        ),
        pytest.param(
            {"cron": "0 9 * * 1-5"}, at(2024, 5, 6, 9), (at(2024, 5, 3, 9), at(2024, 5, 6, 9)),
            id="weekday-cron-over-weekend",
        ),
        pytest.param(
            {"interval": "15m"}, at(2024, 5, 1, 14), (at(2024, 5, 1, 13, 45), at(2024, 5, 1, 14)),
            id="interval",
        ),
    ],
)  # fmt: skip
def test_the_window_of_a_fire_ends_at_it_and_starts_at_the_previous_fire(
    schedule: dict[str, Any], fired_at: datetime, expected: tuple[datetime, datetime]
) -> None:
    assert MonitorSchedule(monitor(schedule)).window_ending(fired_at) == TimeWindow(*expected)


def test_live_window_sets_the_window_length_instead_of_the_schedule() -> None:
    schedule = MonitorSchedule(monitor({"cron": "0 * * * *"}, window="24h"))
    assert schedule.window_ending(at(2024, 5, 1, 14)) == TimeWindow(
        at(2024, 4, 30, 14), at(2024, 5, 1, 14)
    )


def test_cron_fire_times_follow_the_schedule_timezone_across_dst() -> None:
    trigger = build_trigger(ScheduleConfig(cron="0 2 * * *", timezone="America/New_York"))
    fires = list(fire_times(trigger, at(2024, 3, 9), at(2024, 3, 12)))
    # 02:00 local is 07:00 UTC in winter; on the DST day 02:00 does not exist (03:00 EDT = 07:00)
    assert [f.hour for f in fires] == [7, 7, 6]


@pytest.mark.parametrize(
    ("zone", "cron", "since", "until", "local_fires", "hours"),
    [
        pytest.param(
            "Europe/London", "30 1 * * *", at(2024, 10, 25), at(2024, 10, 29, 12),
            ["10-25 01:30", "10-26 01:30", "10-27 01:30", "10-28 01:30", "10-29 01:30"],
            [24, 24, 25, 24], id="london-fall-back-repeats-01:30",
        ),
        pytest.param(
            "America/New_York", "30 1 * * *", at(2024, 11, 2), at(2024, 11, 5, 12),
            ["11-02 01:30", "11-03 01:30", "11-04 01:30", "11-05 01:30"],
            [24, 25, 24], id="new-york-fall-back-repeats-01:30",
        ),
        pytest.param(
            "Europe/London", "30 1 * * *", at(2024, 3, 29), at(2024, 4, 1, 12),
            ["03-29 01:30", "03-30 01:30", "03-31 02:30", "04-01 01:30"],
            [24, 24, 23], id="london-spring-forward-skips-01:30",
        ),
        pytest.param(
            "America/New_York", "30 2 * * *", at(2024, 3, 9), at(2024, 3, 11, 12),
            ["03-09 02:30", "03-10 03:30", "03-11 02:30"],
            [24, 23], id="new-york-spring-forward-skips-02:30",
        ),
    ],
)  # fmt: skip
def test_a_daily_cron_fires_once_a_day_across_dst_and_its_windows_are_a_day_long(
    zone: str,
    cron: str,
    since: datetime,
    until: datetime,
    local_fires: list[str],
    hours: list[int],
) -> None:
    """A fall-back repeats 01:00-02:00: a fixed-time cron fires at its first pass only, so the
    day's window is 25 hours (not 24 and 1). A spring-forward skips the time: one fire, late."""
    schedule = MonitorSchedule(monitor({"cron": cron, "timezone": zone}))
    fires = list(fire_times(schedule.trigger, since, until))
    assert [f.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") for f in fires] == local_fires
    windows = schedule.windows_between(since, until, 10)
    assert [w.end for w in windows] == fires[1:]
    assert [(w.end - w.start) / timedelta(hours=1) for w in windows] == hours
    for fire, window in zip(fires[1:], windows, strict=True):
        assert schedule.window_ending(fire) == window
        assert latest_fire_time(schedule.trigger, fire + timedelta(hours=1, minutes=1)) == fire


def test_the_repeated_hour_belongs_to_the_first_pass_of_a_fixed_time_cron() -> None:
    """Between the two passes of 01:30 (Europe/London, 2024-10-27), the latest fire is the first
    pass, the next one is the next day's, and a catch-up owes one 25-hour window."""
    schedule = MonitorSchedule(monitor({"cron": "30 1 * * *", "timezone": "Europe/London"}))
    first_pass, second_pass = at(2024, 10, 27, 0, 30), at(2024, 10, 27, 1, 30)
    assert latest_fire_time(schedule.trigger, second_pass) == first_pass
    assert schedule.trigger.get_next_fire_time(None, second_pass) == at(2024, 10, 28, 1, 30)
    plan = schedule.owed(first_pass, at(2024, 10, 28, 2), max_catchup=24)
    assert plan.windows == (TimeWindow(first_pass, at(2024, 10, 28, 1, 30)),)


def test_hourly_crons_fire_in_both_passes_of_the_repeated_hour() -> None:
    """``*`` in the hour field: every real hour is a window, 25 on the fall-back day (cron(8)
    treats crons that are not at a fixed time the same way)."""
    trigger = build_trigger(ScheduleConfig(cron="0 * * * *", timezone="Europe/London"))
    fires = list(fire_times(trigger, at(2024, 10, 26, 22, 59), at(2024, 10, 27, 23, 59)))
    local = [f.astimezone(ZoneInfo("Europe/London")) for f in fires]
    assert len(fires) == 25 and {t.day for t in local} == {27}
    assert [t.hour for t in local if t.hour == 1] == [1, 1]
    assert {b - a for a, b in itertools.pairwise(fires)} == {timedelta(hours=1)}


def test_interval_fire_times_are_multiples_of_the_interval_since_the_epoch() -> None:
    trigger = build_trigger(ScheduleConfig(interval="1h"))
    assert latest_fire_time(trigger, at(2024, 5, 1, 14, 59, 59)) == at(2024, 5, 1, 14)
    assert build_trigger(ScheduleConfig(interval="1h")).get_next_fire_time(
        None, at(2024, 5, 1, 14, 0, 1)
    ) == at(2024, 5, 1, 15)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at(2019, 3, 15), at(2019, 3, 1), id="between-fires"),
        pytest.param(at(2019, 3, 1), at(2019, 3, 1), id="exactly-at-a-fire"),
    ],
)
def test_latest_fire_time_is_the_last_one_at_or_before(
    moment: datetime, expected: datetime
) -> None:
    trigger = build_trigger(ScheduleConfig(cron="0 0 1 * *"))
    assert latest_fire_time(trigger, moment) == expected


def test_fire_times_lie_in_the_half_open_range_after_until() -> None:
    trigger = build_trigger(ScheduleConfig(cron="0 0 1 * *"))
    fires = list(fire_times(trigger, at(2019, 1, 1), at(2019, 4, 1)))
    assert fires == [at(2019, 2, 1), at(2019, 3, 1), at(2019, 4, 1)]


@pytest.mark.parametrize(
    "schedule", [pytest.param("cron", id="cron"), pytest.param("interval", id="interval")]
)
def test_count_fire_times_agrees_with_enumeration(schedule: str) -> None:
    config = (
        ScheduleConfig(cron="*/7 * * * *") if schedule == "cron" else ScheduleConfig(interval="7m")
    )
    trigger = build_trigger(config)
    after, until = at(2024, 1, 1, 0, 3), at(2024, 1, 1, 5, 0)
    assert count_fire_times(trigger, after, until) == len(list(fire_times(trigger, after, until)))


class TestOwedWindows:
    schedule = MonitorSchedule(monitor({"interval": "1h"}))

    def test_with_no_run_ever_only_the_latest_window_is_owed(self) -> None:
        plan = self.schedule.owed(None, at(2024, 5, 1, 14, 20), max_catchup=24)
        assert plan.windows == (TimeWindow(at(2024, 5, 1, 13), at(2024, 5, 1, 14)),)
        assert plan.skipped == 0

    def test_windows_missed_since_the_last_one_are_owed_oldest_first(self) -> None:
        plan = self.schedule.owed(at(2024, 5, 1, 10), at(2024, 5, 1, 14, 20), max_catchup=24)
        assert [w.end.hour for w in plan.windows] == [11, 12, 13, 14]
        assert plan.skipped == 0

    def test_nothing_is_owed_when_the_latest_window_is_done(self) -> None:
        plan = self.schedule.owed(at(2024, 5, 1, 14), at(2024, 5, 1, 14, 59), max_catchup=24)
        assert plan.windows == ()

    def test_beyond_max_catchup_the_most_recent_are_owed_and_the_rest_counted(self) -> None:
        plan = self.schedule.owed(at(2024, 5, 1, 0), at(2024, 5, 1, 14, 20), max_catchup=3)
        assert [w.end.hour for w in plan.windows] == [12, 13, 14]
        assert plan.skipped == 11

    def test_a_late_fire_computes_the_window_of_its_schedule_not_of_the_clock(self) -> None:
        late = self.schedule.owed(at(2024, 5, 1, 13), at(2024, 5, 1, 14, 0, 42), max_catchup=24)
        assert late.windows == (TimeWindow(at(2024, 5, 1, 13), at(2024, 5, 1, 14)),)


def test_backfill_windows_lie_inside_the_range() -> None:
    schedule = MonitorSchedule(monitor({"cron": "0 0 1 * *"}))
    windows = schedule.windows_between(at(2018, 11, 1), at(2019, 9, 1), max_windows=100)
    assert len(windows) == 10
    assert windows[0] == TimeWindow(at(2018, 11, 1), at(2018, 12, 1))
    assert windows[-1] == TimeWindow(at(2019, 8, 1), at(2019, 9, 1))


def test_backfill_refuses_more_windows_than_allowed() -> None:
    schedule = MonitorSchedule(monitor({"interval": "1s"}))
    with pytest.raises(SchedulerError, match=r"more than 100 windows.*--max-windows"):
        schedule.windows_between(at(2024, 1, 1), at(2024, 1, 2), max_windows=100)


def test_a_monitor_without_a_schedule_cannot_be_scheduled() -> None:
    config = monitor({"interval": "1h"}).model_copy(update={"schedule": None})
    with pytest.raises(SchedulerError, match=r"monitor 'm' has no schedule; add `schedule:"):
        MonitorSchedule(config)


def test_a_scheduled_live_source_needs_a_timestamp_column() -> None:
    """Refused when the config is validated, before any scheduler starts."""
    with pytest.raises(ValidationError, match=r"no 'timestamp_column'.*set live.timestamp_column"):
        MonitorConfig.model_validate(
            {
                "name": "m",
                "schedule": {"interval": "1h"},
                "reference": {"type": "csv", "path": "ref.csv"},
                "live": {"type": "csv", "path": "live.csv"},
                "features": {"numeric": ["x"]},
            }
        )


def test_apscheduler_is_imported_only_by_the_trigger_builder_and_the_scheduler() -> None:
    package = Path(__file__).resolve().parents[2] / "driftwatch"
    importers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if any(
            line.lstrip().startswith(("import apscheduler", "from apscheduler"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importers == ["config/schedule.py", "scheduler/service.py"]


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        pytest.param("0", ["Sun"], id="zero-is-sunday"),
        pytest.param("7", ["Sun"], id="seven-is-sunday"),
        pytest.param("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"], id="range"),
        pytest.param("*/3", ["Sun", "Wed", "Sat"], id="step"),
        pytest.param("sat,sun", ["Sat", "Sun"], id="names"),
    ],
)
def test_cron_weekdays_mean_what_crontab_means(weekdays: str, expected: list[str]) -> None:
    trigger = build_trigger(ScheduleConfig(cron=f"0 12 * * {weekdays}"))
    fires = fire_times(trigger, at(2024, 5, 5), at(2024, 5, 12))  # Sunday to Sunday
    assert sorted({f.strftime("%a") for f in fires}, key=expected.index) == expected
