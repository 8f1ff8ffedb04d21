"""Reminders as RFC 5545: parsed back and the recurrences expanded by independent code."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from dateutil.tz import tzical
from icalendar import Calendar

from spinestep.errors import InvalidInput
from spinestep.interop.ical import reminders_ics
from spinestep.services.record_types import ReminderPlan
from tests.interop import ical_reader
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
        ({"start": date(1, 1, 1)}, "start: must be in the years 1971-9000"),
        ({"start": date(9999, 1, 1), "until": None}, "start: must be in the years 1971-9000"),
    ],
)
def test_bad_plans_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        reminders_ics(replace(sample_reminders(), **change), NOW)  # type: ignore[arg-type]
    assert str(caught.value) == message


# --- Summer time: the VTIMEZONE is read by two readers that share no code with the writer:
# dateutil's own VTIMEZONE parser (tzical) with its rrule, and tests/interop/ical_reader.py,
# which interprets the observance rules itself. Both are compared with zoneinfo.

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney")
TIMES = (time(7, 30), time(20, 0))
# The 2027 changes, from each country's published rules.
CHANGES_2027 = {
    "Europe/Berlin": (date(2027, 3, 28), date(2027, 10, 31)),
    "America/New_York": (date(2027, 3, 14), date(2027, 11, 7)),
    "Australia/Sydney": (date(2027, 4, 4), date(2027, 10, 3)),
}


def plan_in(zone: str, start: date, until: date | None) -> ReminderPlan:
    return replace(sample_reminders(), time_zone=zone, start=start, until=until, times=TIMES)


def truth(zone: str, at: time, first: date, count: int) -> list[datetime]:
    """Every day's ``at`` in ``zone`` as UTC, straight from zoneinfo."""
    days = [first + timedelta(days=index) for index in range(count)]
    return [datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC) for day in days]


def raw_vtimezone(data: bytes) -> str:
    text = data.decode("utf-8")
    start = text.index("BEGIN:VTIMEZONE")
    end = text.index("END:VTIMEZONE") + len("END:VTIMEZONE")
    return text[start:end] + "\r\n"


def dateutil_occurrences(data: bytes, limit: int) -> list[list[datetime]]:
    """Per event, its UTC instants as dateutil reads the file (at most ``limit``)."""
    zones = tzical(io.StringIO(raw_vtimezone(data)))
    out = []
    for event in Calendar.from_ical(data).walk("VEVENT"):
        start_param = event["DTSTART"]
        zone = zones.get(start_param.params["TZID"])
        start = event.decoded("DTSTART").replace(tzinfo=zone)
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        out.append([moment.astimezone(UTC) for moment in islice(rule, limit)])
    return out


def reader_occurrences(data: bytes, limit: int, last_year: int) -> list[list[datetime]]:
    calendar = ical_reader.parse(data)
    (block,) = calendar.all("VTIMEZONE")
    zone = ical_reader.Zone(block, last_year)
    return [
        list(ical_reader.daily_occurrences(event, zone, limit)) for event in calendar.all("VEVENT")
    ]


@pytest.mark.parametrize("zone", ZONES)
def test_a_year_of_reminders_keeps_its_local_hours_in_two_readers(zone: str) -> None:
    first, last = date(2027, 1, 1), date(2027, 12, 31)
    data = reminders_ics(plan_in(zone, first, last), NOW)
    expected = [truth(zone, at, first, 365) for at in TIMES]
    assert dateutil_occurrences(data, 400) == expected
    assert reader_occurrences(data, 400, 2028) == expected


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("which", [0, 1], ids=["first-change", "second-change"])
def test_a_14_day_series_across_a_change_has_all_its_occurrences(zone: str, which: int) -> None:
    change = CHANGES_2027[zone][which]
    first = change - timedelta(days=7)
    data = reminders_ics(plan_in(zone, first, first + timedelta(days=13)), NOW)
    expected = [truth(zone, at, first, 14) for at in TIMES]
    assert dateutil_occurrences(data, 100) == expected
    assert reader_occurrences(data, 100, 2028) == expected
    local_hours = {moment.astimezone(ZoneInfo(zone)).time() for moment in expected[0]}
    assert local_hours == {TIMES[0]}
    offsets = {moment.astimezone(ZoneInfo(zone)).utcoffset() for moment in expected[0]}
    assert len(offsets) == 2  # the series does cross the change


@pytest.mark.parametrize("zone", ZONES)
def test_reminders_without_an_end_keep_their_hours_decades_later(zone: str) -> None:
    data = reminders_ics(plan_in(zone, date(2027, 1, 1), None), NOW)
    days = (date(2051, 1, 1) - date(2027, 1, 1)).days
    expected = truth(zone, TIMES[0], date(2027, 1, 1), days)[-365:]
    assert dateutil_occurrences(data, days)[0][-365:] == expected
    assert reader_occurrences(data, days, 2051)[0][-365:] == expected


@pytest.mark.parametrize(
    ("zone", "rules"),
    [
        (
            "Europe/Berlin",
            {
                ("DAYLIGHT", "3", "-1SU", "+0100", "+0200"),
                ("STANDARD", "10", "-1SU", "+0200", "+0100"),
            },
        ),
        (
            "America/New_York",
            {
                ("DAYLIGHT", "3", "2SU", "-0500", "-0400"),
                ("STANDARD", "11", "1SU", "-0400", "-0500"),
            },
        ),
        (
            "Australia/Sydney",
            {
                ("DAYLIGHT", "10", "1SU", "+1000", "+1100"),
                ("STANDARD", "4", "1SU", "+1100", "+1000"),
            },
        ),
    ],
)
def test_the_time_zone_is_one_yearly_rule_per_observance(
    zone: str, rules: set[tuple[str, ...]]
) -> None:
    data = reminders_ics(plan_in(zone, date(2027, 1, 1), None), NOW)
    (block,) = ical_reader.parse(data).all("VTIMEZONE")
    found = set()
    for observance in block.children:
        rule = dict(part.split("=") for part in observance.value("RRULE").split(";"))
        assert rule.keys() == {"FREQ", "BYMONTH", "BYDAY"} and rule["FREQ"] == "YEARLY"
        assert not observance.values("RDATE")
        found.add(
            (
                observance.name,
                rule["BYMONTH"],
                rule["BYDAY"],
                observance.value("TZOFFSETFROM"),
                observance.value("TZOFFSETTO"),
            )
        )
    assert found == rules
    assert len(block.children) == 2


def test_a_zone_without_summer_time_has_one_standard_block() -> None:
    data = reminders_ics(plan_in("Asia/Tokyo", date(2027, 1, 1), None), NOW)
    (block,) = ical_reader.parse(data).all("VTIMEZONE")
    (only,) = block.children
    assert only.name == "STANDARD" and not only.values("RRULE")
    assert only.value("TZOFFSETFROM") == only.value("TZOFFSETTO") == "+0900"
    assert reader_occurrences(data, 400, 2028)[0] == truth(
        "Asia/Tokyo", TIMES[0], date(2027, 1, 1), 400
    )


# Zones whose rules are unusual: half-hour saving, weekday-after-a-day rules, negative
# saving, changes driven by a lunar calendar, rules that changed recently or are dropped.
UNUSUAL_ZONES = (
    "Africa/Cairo",
    "Africa/Casablanca",
    "America/Asuncion",
    "America/Havana",
    "America/Nuuk",
    "America/Santiago",
    "America/Sao_Paulo",
    "Asia/Gaza",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Europe/London",
    "Pacific/Auckland",
    "Pacific/Chatham",
    *ZONES,
)


@pytest.mark.parametrize("zone", UNUSUAL_ZONES)
def test_every_onset_in_the_vtimezone_is_a_real_change_and_none_is_missing(zone: str) -> None:
    data = reminders_ics(plan_in(zone, date(2020, 6, 1), None), NOW)
    (block,) = ical_reader.parse(data).all("VTIMEZONE")
    reader = ical_reader.Zone(block, 2041)
    tz = ZoneInfo(zone)
    for onset in reader.onsets:
        if onset.at_utc.year < 2020:
            continue
        assert (onset.at_utc - timedelta(seconds=1)).astimezone(tz).utcoffset() == onset.offset_from
        assert onset.at_utc.astimezone(tz).utcoffset() == onset.offset_to
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    while moment < datetime(2041, 1, 1, tzinfo=UTC):
        assert reader.offset_at(moment) == moment.astimezone(tz).utcoffset(), moment
        moment += timedelta(hours=3)
