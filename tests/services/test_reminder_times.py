"""When e-mail reminders are due: the patient's local clock in every time zone, across
daylight saving changes, outside the quiet period; one a day for the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from spinestep.errors import InvalidInput
from spinestep.services.reminder_ports import SUMMARY_SLOT, ReminderMode
from spinestep.services.reminder_times import (
    LATE_LIMIT,
    DueSlot,
    due_slots,
    in_quiet_period,
    parse_clock,
)

EACH = ReminderMode.EACH_SESSION
SUMMARY = ReminderMode.DAILY_SUMMARY
QUIET = (time(21, 0), time(8, 0))
NO_QUIET = (time(0, 0), time(0, 0))


def _due(mode: ReminderMode, times: tuple[time, ...], zone: str, now: datetime,
         quiet: tuple[time, time] = QUIET) -> list[tuple[date, str]]:  # fmt: skip
    return [(slot.local_date, slot.slot) for slot in due_slots(mode, times, zone, *quiet, now)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# (zone, local date, the UTC instant of 09:00 local that day), worked out by hand.
ZONES = [
    ("Europe/London", date(2026, 12, 3), utc(2026, 12, 3, 9, 0)),
    ("America/New_York", date(2026, 12, 3), utc(2026, 12, 3, 14, 0)),
    ("Asia/Kolkata", date(2026, 12, 3), utc(2026, 12, 3, 3, 30)),
    ("Pacific/Auckland", date(2026, 12, 4), utc(2026, 12, 3, 20, 0)),  # UTC+13 in summer
]


@pytest.mark.parametrize(("zone", "local_date", "nine_local"), ZONES, ids=[z[0] for z in ZONES])
def test_a_reminder_is_due_at_the_local_session_time(
    zone: str, local_date: date, nine_local: datetime
) -> None:
    times = (time(9, 0), time(15, 0))
    assert _due(EACH, times, zone, nine_local - timedelta(minutes=1)) == []
    assert _due(EACH, times, zone, nine_local) == [(local_date, "1")]
    assert _due(EACH, times, zone, nine_local + LATE_LIMIT - timedelta(seconds=1)) == [
        (local_date, "1")
    ]
    assert _due(EACH, times, zone, nine_local + LATE_LIMIT) == []
    assert _due(EACH, times, zone, nine_local + timedelta(hours=6)) == [(local_date, "2")]


def test_reminders_follow_the_clock_across_the_spring_change() -> None:
    # Berlin moves from UTC+1 to UTC+2 on 29 March 2026 at 02:00 local.
    times = (time(8, 0),)
    assert _due(EACH, times, "Europe/Berlin", utc(2026, 3, 28, 7, 0)) == [(date(2026, 3, 28), "1")]
    assert _due(EACH, times, "Europe/Berlin", utc(2026, 3, 29, 7, 0)) == []
    assert _due(EACH, times, "Europe/Berlin", utc(2026, 3, 29, 6, 0)) == [(date(2026, 3, 29), "1")]


def test_reminders_follow_the_clock_across_the_autumn_change() -> None:
    # New York moves from UTC-4 to UTC-5 on 1 November 2026 at 02:00 local.
    times = (time(8, 0),)
    zone = "America/New_York"
    assert _due(EACH, times, zone, utc(2026, 10, 31, 12, 0)) == [(date(2026, 10, 31), "1")]
    assert _due(EACH, times, zone, utc(2026, 11, 1, 12, 0)) == []
    assert _due(EACH, times, zone, utc(2026, 11, 1, 13, 0)) == [(date(2026, 11, 1), "1")]


def test_a_time_skipped_by_the_spring_change_is_due_an_hour_later_on_the_clock() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: read at UTC+1, i.e. 03:30 local.
    times = (time(2, 30),)
    found = due_slots(EACH, times, "Europe/Berlin", *NO_QUIET, utc(2026, 3, 29, 1, 30))
    assert [(s.local_date, s.slot) for s in found] == [(date(2026, 3, 29), "1")]
    assert due_slots(EACH, times, "Europe/Berlin", *NO_QUIET, utc(2026, 3, 29, 0, 30)) == []


def test_a_late_evening_reminder_is_still_sent_after_midnight() -> None:
    times = (time(23, 50),)
    now = utc(2026, 12, 4, 0, 10)  # London: 00:10 on the next day
    assert _due(EACH, times, "Europe/London", now, NO_QUIET) == [(date(2026, 12, 3), "1")]


def test_no_reminder_in_the_quiet_period() -> None:
    times = (time(8, 0), time(20, 0), time(22, 0))
    london = "Europe/London"
    assert _due(EACH, times, london, utc(2026, 12, 3, 22, 0)) == []  # quiet from 21:00
    assert _due(EACH, times, london, utc(2026, 12, 3, 20, 0)) == [(date(2026, 12, 3), "2")]
    assert _due(EACH, times, london, utc(2026, 12, 3, 8, 0)) == [(date(2026, 12, 3), "1")]
    morning = (time(7, 0), time(9, 0))
    assert _due(EACH, times, london, utc(2026, 12, 3, 8, 0), morning) == []
    assert _due(EACH, times, london, utc(2026, 12, 3, 22, 0), NO_QUIET) == [
        (date(2026, 12, 3), "3")
    ]


@pytest.mark.parametrize(
    ("at", "start", "end", "quiet"),
    [
        (time(23, 0), time(21, 0), time(8, 0), True),
        (time(3, 0), time(21, 0), time(8, 0), True),
        (time(8, 0), time(21, 0), time(8, 0), False),
        (time(21, 0), time(21, 0), time(8, 0), True),
        (time(12, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
        (time(11, 59), time(12, 0), time(14, 0), False),
        (time(3, 0), time(5, 0), time(5, 0), False),
    ],
)
def test_the_quiet_period(at: time, start: time, end: time, quiet: bool) -> None:
    assert in_quiet_period(at, start, end) is quiet


def test_the_daily_summary_comes_once_at_the_first_time_outside_the_quiet_period() -> None:
    times = (time(7, 0), time(11, 0), time(14, 0))
    london = "Europe/London"
    assert _due(SUMMARY, times, london, utc(2026, 12, 3, 7, 0)) == []  # 07:00 is quiet
    assert _due(SUMMARY, times, london, utc(2026, 12, 3, 11, 0)) == [
        (date(2026, 12, 3), SUMMARY_SLOT)
    ]
    assert _due(SUMMARY, times, london, utc(2026, 12, 3, 14, 0)) == []


def test_off_sends_nothing() -> None:
    assert _due(ReminderMode.OFF, (time(9, 0),), "UTC", utc(2026, 12, 3, 9, 0)) == []


def test_a_session_already_done_needs_no_reminder() -> None:
    second = DueSlot(date(2026, 12, 3), "2", utc(2026, 12, 3, 11), 1, 3)
    assert second.still_needed(0) and second.still_needed(1)
    assert not second.still_needed(2)
    summary = DueSlot(date(2026, 12, 3), SUMMARY_SLOT, utc(2026, 12, 3, 8), 0, 3)
    assert summary.still_needed(2) and not summary.still_needed(3)


@pytest.mark.parametrize("text", ["8:00", "24:00", "08:60", "08:00:00", "", "noon", "08.00"])
def test_a_quiet_time_must_be_hh_mm(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_clock("quiet_start", text)
    assert raised.value.path == "quiet_start"
