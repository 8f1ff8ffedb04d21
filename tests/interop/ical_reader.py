"""A small iCalendar reader written for the tests, sharing no code with the writer.

It reads the raw text (unfolding lines itself), interprets the VTIMEZONE observances
(yearly rules with BYMONTH, BYDAY, BYMONTHDAY and UNTIL, or a single onset) by
enumerating days of the month, and expands daily events (UNTIL or COUNT) into UTC
instants through that VTIMEZONE only: it never looks the TZID up in a time zone
database, so what it returns is what the text says.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

_WEEKDAY = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


@dataclass
class Component:
    name: str
    properties: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def value(self, name: str) -> str:
        found = [value for key, _params, value in self.properties if key == name]
        assert len(found) == 1, f"{self.name} has {len(found)} {name}"
        return found[0]

    def values(self, name: str) -> list[str]:
        return [value for key, _params, value in self.properties if key == name]

    def params(self, name: str) -> dict[str, str]:
        return next(params for key, params, _value in self.properties if key == name)

    def all(self, name: str) -> list[Component]:
        return [child for child in self.children if child.name == name]


def parse(data: bytes) -> Component:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "lines must end in CRLF"
    lines = text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
    root = Component("ROOT")
    stack = [root]
    for line in lines:
        if not line:
            continue
        head, _, value = line.partition(":")
        name, *raw_params = head.split(";")
        params = dict(item.split("=", 1) for item in raw_params)
        if name == "BEGIN":
            child = Component(value)
            stack[-1].children.append(child)
            stack.append(child)
        elif name == "END":
            assert stack.pop().name == value, f"unbalanced END:{value}"
        else:
            stack[-1].properties.append((name, params, value))
    assert stack == [root]
    (only,) = root.children
    return only


def _offset(text: str) -> timedelta:
    match = re.fullmatch(r"([+-])(\d\d)(\d\d)(\d\d)?", text)
    assert match, text
    sign = -1 if match[1] == "-" else 1
    return sign * timedelta(hours=int(match[2]), minutes=int(match[3]), seconds=int(match[4] or 0))


def _local(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S")


def _utc(text: str) -> datetime:
    assert text.endswith("Z"), f"{text} is not UTC"
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _rule(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";"))


def _days_of_rule(rule: dict[str, str], year: int) -> list[date]:
    """The days of ``year`` a yearly BYMONTH rule names."""
    assert rule["FREQ"] == "YEARLY"
    assert set(rule) <= {"FREQ", "BYMONTH", "BYDAY", "BYMONTHDAY", "UNTIL"}, rule
    month = int(rule["BYMONTH"])
    days = [date(year, month, day) for day in range(1, calendar.monthrange(year, month)[1] + 1)]
    if "BYMONTHDAY" in rule:
        wanted = {int(day) for day in rule["BYMONTHDAY"].split(",")}
        days = [day for day in days if day.day in wanted]
    if "BYDAY" in rule:
        match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", rule["BYDAY"])
        assert match, rule["BYDAY"]
        days = [day for day in days if day.weekday() == _WEEKDAY[match[2]]]
        if match[1]:
            position = int(match[1])
            days = [days[position - 1 if position > 0 else position]]
    return days


@dataclass(frozen=True)
class Onset:
    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    kind: str


class Zone:
    """A VTIMEZONE read from its text: onsets until ``last_year``."""

    def __init__(self, block: Component, last_year: int) -> None:
        assert block.name == "VTIMEZONE"
        self.tzid = block.value("TZID")
        onsets = []
        for observance in block.children:
            assert observance.name in {"STANDARD", "DAYLIGHT"}
            start = _local(observance.value("DTSTART"))
            offset_from = _offset(observance.value("TZOFFSETFROM"))
            offset_to = _offset(observance.value("TZOFFSETTO"))
            assert not observance.values("RDATE")
            locals_ = [start]
            rules = observance.values("RRULE")
            until = None
            if rules:
                (text,) = rules
                rule = _rule(text)
                until = _utc(rule["UNTIL"]) if "UNTIL" in rule else None
                locals_ = [
                    datetime.combine(day, start.time())
                    for year in range(start.year, last_year + 1)
                    for day in _days_of_rule(rule, year)
                ]
                locals_ = [moment for moment in locals_ if moment >= start]
                if start.year <= last_year:
                    assert locals_[0] == start, "DTSTART must be the first onset of its rule"
            for moment in locals_:
                at_utc = (moment - offset_from).replace(tzinfo=UTC)
                if until is not None and at_utc > until:
                    break
                onsets.append(Onset(at_utc, offset_from, offset_to, observance.name))
        onsets.sort(key=lambda onset: onset.at_utc)
        self.onsets = onsets
        self._instants = [onset.at_utc for onset in onsets]
        self.offsets = {onset.offset_to for onset in onsets}

    def offset_at(self, at_utc: datetime) -> timedelta:
        index = bisect.bisect_right(self._instants, at_utc)
        assert index > 0, f"{at_utc} is before the first observance"
        return self.onsets[index - 1].offset_to

    def to_utc(self, local: datetime) -> datetime:
        """The instant of a wall-clock time (the earlier one when the clock repeats)."""
        for offset in sorted(self.offsets, reverse=True):
            candidate = (local - offset).replace(tzinfo=UTC)
            if self.offset_at(candidate) == offset:
                return candidate
        raise AssertionError(f"{local} does not exist in {self.tzid}")


def daily_occurrences(event: Component, zone: Zone, limit: int) -> Iterator[datetime]:
    """The UTC instants of a daily event, at most ``limit`` of them."""
    assert event.params("DTSTART") == {"TZID": zone.tzid}
    start = _local(event.value("DTSTART"))
    rule = _rule(event.value("RRULE"))
    assert rule["FREQ"] == "DAILY" and set(rule) <= {"FREQ", "UNTIL", "COUNT"}, rule
    until = _utc(rule["UNTIL"]) if "UNTIL" in rule else None
    count = int(rule.get("COUNT", limit))
    for index in range(min(count, limit)):
        at_utc = zone.to_utc(start + timedelta(days=index))
        if until is not None and at_utc > until:
            return
        yield at_utc
