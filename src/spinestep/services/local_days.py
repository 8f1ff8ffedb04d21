"""The patient's local days as instants: "today" and "sessions per day" follow the
patient's time zone (SPEC §3.5)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_bounds(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """The start and end of the local ``day`` in ``zone``, as instants (end exclusive)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def local_day_bounds(time_zone: str, instant: datetime) -> tuple[date, datetime, datetime]:
    """The patient's local date at ``instant`` and that day's start and end as instants."""
    zone = ZoneInfo(time_zone)
    local_date = instant.astimezone(zone).date()
    return (local_date, *day_bounds(zone, local_date))
