"""A time zone as a rule-based VTIMEZONE block (RFC 5545 section 3.6.5).

Calendar apps expect each observance (STANDARD, DAYLIGHT) to carry a yearly RRULE such as
``FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``; several readers ignore or misread a block that
lists every change as a separate date, and such a list has to stop somewhere while the
reminders never end. The rules are not copied from anywhere: they are recovered from the
zone's own changes in ``zoneinfo``:

1. every change of UTC offset (or abbreviation) over a window of years is found by
   stepping a day at a time and bisecting to the second;
2. changes are grouped into series with the same offsets, abbreviation and kind;
3. within a series, consecutive yearly changes that one rule describes (same month and
   local time; the n-th or last weekday, a weekday on or after a day, or a fixed date)
   become one observance with an RRULE. The last rule of the window stays open-ended,
   earlier ones end with ``UNTIL``; a change no rule describes is an observance of its
   own.

A zone that currently has summer time thus gets one STANDARD and one DAYLIGHT block, a
zone without it one STANDARD block, and a zone that changes its rules within the window
gets one pair per era. Southern-hemisphere zones need nothing special: their DAYLIGHT
rule simply starts in the second half of the year.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

WINDOW_YEARS = 30
"""Years of changes studied, from the year before the first event."""

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class _Change:
    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def local(self) -> datetime:
        """The wall-clock time of the change, read on the clock before it (RFC 5545)."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)

    @property
    def series(self) -> tuple[timedelta, timedelta, str, bool]:
        return (self.offset_from, self.offset_to, self.name, self.daylight)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A yearly date rule inside one month, at one local time."""

    month: int
    at: tuple[int, int, int]
    weekday: int | None  # 0 = Monday; None for a fixed date
    nth: int | None = None  # 1-4 or -1 (last)
    first_day: int | None = None  # weekday on or after this day of the month
    day: int | None = None  # fixed day of the month

    def rrule(self, until: datetime | None) -> dict[str, object]:
        rule: dict[str, object] = {"freq": "yearly", "bymonth": self.month}
        if self.weekday is not None:
            code = _WEEKDAYS[self.weekday]
            rule["byday"] = f"{self.nth}{code}" if self.nth is not None else code
        if self.first_day is not None:
            rule["bymonthday"] = list(range(self.first_day, self.first_day + 7))
        if self.day is not None:
            rule["bymonthday"] = self.day
        if until is not None:
            rule["until"] = until
        return rule


def _rules_matching(local: datetime) -> list[_Rule]:
    """Every rule this one change satisfies, the most conventional first."""
    month_length = calendar.monthrange(local.year, local.month)[1]
    at = (local.hour, local.minute, local.second)
    weekday = local.weekday()
    out = []
    nth = (local.day - 1) // 7 + 1
    if nth <= 4:
        out.append(_Rule(local.month, at, weekday, nth=nth))
    if local.day + 7 > month_length:
        out.append(_Rule(local.month, at, weekday, nth=-1))
    for first in range(max(1, local.day - 6), local.day + 1):
        if first + 6 <= month_length and (first - 1) % 7:  # multiples of 7 are n-th rules
            out.append(_Rule(local.month, at, weekday, first_day=first))
    out.append(_Rule(local.month, at, None, day=local.day))
    return out


def _state(zone: ZoneInfo, at_utc: datetime) -> tuple[timedelta, str, timedelta]:
    """The UTC offset, the abbreviation and the daylight saving in force at ``at_utc``."""
    local = at_utc.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.tzname() or "", local.dst() or timedelta(0)


def _changes(zone: ZoneInfo, first_year: int, last_year: int) -> list[_Change]:
    out = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    state = _state(zone, moment)
    while moment < end:
        following = moment + _DAY
        if _state(zone, following)[:2] == state[:2]:
            moment = following
            continue
        low, high = moment, following  # the state holds at low and not at high
        while high - low > _SECOND:
            middle = (low + (high - low) / 2).replace(microsecond=0)
            if _state(zone, middle)[:2] == state[:2]:
                low = middle
            else:
                high = middle
        changed = _state(zone, high)
        # Zones whose winter time is the "saving" (negative, as Europe/Dublin) still
        # have a summer and a winter observance: into summer is DAYLIGHT.
        daylight = changed[2] > timedelta(0) or state[2] < timedelta(0)
        out.append(_Change(high, state[0], changed[0], changed[1], daylight))
        moment, state = high, changed
    return out


def _observance(
    change: _Change, rule: _Rule | None, until: _Change | None
) -> TimezoneStandard | TimezoneDaylight:
    block = TimezoneDaylight() if change.daylight else TimezoneStandard()
    block.add("dtstart", change.local)
    if rule is not None:
        block.add("rrule", rule.rrule(None if until is None else until.at_utc))
    block.add("tzoffsetfrom", change.offset_from)
    block.add("tzoffsetto", change.offset_to)
    if change.name:
        block.add("tzname", change.name)
    return block


def _series_observances(
    changes: list[_Change], last_year: int
) -> list[TimezoneStandard | TimezoneDaylight]:
    """One observance per run of consecutive yearly changes that share a rule."""
    out = []
    index = 0
    while index < len(changes):
        first = changes[index]
        candidates = _rules_matching(first.local)
        end = index
        while end + 1 < len(changes):
            following = changes[end + 1]
            if following.local.year != changes[end].local.year + 1:
                break
            shared = [rule for rule in candidates if rule in _rules_matching(following.local)]
            if not shared:
                break
            candidates, end = shared, end + 1
        last = changes[end]
        if end == index:
            out.append(_observance(first, None, None))
        else:
            open_ended = last.local.year >= last_year - 1
            out.append(_observance(first, candidates[0], None if open_ended else last))
        index = end + 1
    return out


@lru_cache(maxsize=64)
def _vtimezone_text(zone_name: str, first_year: int) -> bytes:
    zone = ZoneInfo(zone_name)
    last_year = first_year + WINDOW_YEARS
    changes = _changes(zone, first_year, last_year)
    block = Timezone()
    block.add("tzid", zone_name)
    if not changes or changes[0].local.year > first_year:
        start = datetime(first_year, 1, 1, tzinfo=UTC)
        offset, name, saving = _state(zone, start)
        steady = _Change(start - offset, offset, offset, name, saving > timedelta(0))
        block.add_component(_observance(steady, None, None))
    series: dict[tuple[timedelta, timedelta, str, bool], list[_Change]] = {}
    for change in changes:
        series.setdefault(change.series, []).append(change)
    observances = [
        observance
        for members in series.values()
        for observance in _series_observances(members, last_year)
    ]
    observances.sort(key=lambda item: (item.decoded("DTSTART"), item.name))
    for observance in observances:
        block.add_component(observance)
    text: bytes = block.to_ical()
    return text


def vtimezone(zone_name: str, first_year: int) -> Timezone:
    """The VTIMEZONE of ``zone_name`` for events from ``first_year`` on, as rules.

    The observances start in the year before ``first_year`` so that every event lies
    after the first of them; the block does not stop at any year.
    """
    parsed = Timezone.from_ical(_vtimezone_text(zone_name, first_year - 1))
    assert isinstance(parsed, Timezone)
    return parsed
