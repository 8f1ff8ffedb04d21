"""Session reminders as an iCalendar file (RFC 5545) that calendar apps import.

One VEVENT per planned time of day, repeating daily (``RRULE:FREQ=DAILY``) from the
start date, optionally until a last date, in the patient's own time zone, each with a
display alarm at the start. The zone travels as a rule-based VTIMEZONE
(``interop.ical_zones``), so summer times keep their hour in every reader. UIDs are
stable, so importing a newer file updates the events instead of duplicating them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event

from spinestep.errors import InvalidInput
from spinestep.interop.ical_zones import vtimezone
from spinestep.services.record_types import ReminderPlan

PRODID = "-//spinestep//session reminders//EN"


def reminders_ics(plan: ReminderPlan, generated_at: datetime) -> bytes:
    """The reminders of ``plan`` as iCalendar bytes (CRLF lines, UTF-8)."""
    try:
        zone = ZoneInfo(plan.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("time_zone", f"unknown time zone {plan.time_zone!r}") from None
    if not plan.times:
        raise InvalidInput("times", "at least one session time is needed")
    if plan.until is not None and plan.until < plan.start:
        raise InvalidInput("until", "must not be before the start date")
    if len(set(plan.times)) != len(plan.times):
        raise InvalidInput("times", "the same time is given twice")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "spinestep exercise sessions")
    calendar.add_component(vtimezone(plan.time_zone, plan.start.year))
    for index, at in enumerate(sorted(plan.times), start=1):
        start = datetime.combine(plan.start, at, tzinfo=zone)
        event = Event()
        event.add("uid", f"spinestep-{plan.patient_id}-{at.strftime('%H%M')}@spinestep")
        event.add("dtstamp", generated_at.astimezone(UTC))
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=plan.duration_min))
        event.add("summary", f"{plan.title} (session {index} of {len(plan.times)})")
        if plan.description:
            event.add("description", plan.description)
        rule: dict[str, object] = {"freq": "daily"}
        if plan.until is not None:
            last = datetime.combine(plan.until, at, tzinfo=zone)
            rule["until"] = last.astimezone(UTC)
        event.add("rrule", rule)
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", plan.title)
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
