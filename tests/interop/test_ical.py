"""Reminders as RFC 5545: parsed back and the recurrences expanded by independent code."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from spinestep.errors import InvalidInput
from spinestep.interop.ical import reminders_ics
from tests.interop.sample_records import sample_reminders

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def events(data: bytes) -> list[dict[str, object]]:
    calendar = Calendar.from_ical(data)
    return [
        {
            "uid": str(event["UID"]),
            "start": event.decoded("DTSTART"),
            "rrule": event["RRULE"].to_ical().decode(),
            "duration": event.decoded("DURATION"),
            "alarms": [a for a in event.walk("VALARM")],
        }
        for event in calendar.walk("VEVENT")
    ]


def test_one_daily_event_per_planned_time_in_the_patients_time_zone() -> None:
    data = reminders_ics(sample_reminders(), NOW)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"VERSION:2.0\r\n" in data and b"PRODID:" in data
    found = events(data)
    assert [e["start"] for e in found] == [
        datetime(2026, 11, 2, 8, 0, tzinfo=BERLIN),
        datetime(2026, 11, 2, 10, 30, tzinfo=BERLIN),
        datetime(2026, 11, 2, 13, 0, tzinfo=BERLIN),
        datetime(2026, 11, 2, 15, 30, tzinfo=BERLIN),
        datetime(2026, 11, 2, 18, 0, tzinfo=BERLIN),
    ]
    assert all(str(e["rrule"]).startswith("FREQ=DAILY") for e in found)
    assert all(e["duration"].total_seconds() == 600 for e in found)
    assert all(len(e["alarms"]) == 1 for e in found)
    assert len({e["uid"] for e in found}) == 5
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in data


def test_recurrence_expands_to_every_day_until_the_last_date() -> None:
    data = reminders_ics(sample_reminders(), NOW)
    first = events(data)[0]
    rule = rrulestr(str(first["rrule"]), dtstart=first["start"])
    days = list(rule)
    # 2 to 29 November inclusive: 28 days of the 08:00 session.
    assert len(days) == 28
    assert days[0] == datetime(2026, 11, 2, 8, 0, tzinfo=BERLIN)
    assert days[-1].astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 11, 29, 8, 0)


def test_without_a_last_date_the_reminders_repeat_indefinitely() -> None:
    data = reminders_ics(replace(sample_reminders(), until=None), NOW)
    assert all(e["rrule"] == "FREQ=DAILY" for e in events(data))


def test_times_keep_their_wall_clock_across_the_daylight_saving_change() -> None:
    plan = replace(sample_reminders(), start=date(2026, 10, 20), until=date(2026, 10, 30))
    first = events(reminders_ics(plan, NOW))[0]
    rule = rrulestr(str(first["rrule"]), dtstart=first["start"])
    local_hours = {d.astimezone(BERLIN).time() for d in rule}
    assert local_hours == {time(8, 0)}  # summer time ends on 25 October 2026


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone: unknown time zone 'Mars/Olympus'"),
        ({"times": ()}, "times: at least one session time is needed"),
        ({"until": date(2026, 11, 1)}, "until: must not be before the start date"),
        ({"times": (time(8, 0), time(8, 0))}, "times: the same time is given twice"),
    ],
)
def test_bad_plans_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        reminders_ics(replace(sample_reminders(), **change), NOW)  # type: ignore[arg-type]
    assert str(caught.value) == message
