"""Session reminders as an iCalendar file (RFC 5545) that calendar apps import.

One VEVENT per planned time of day, repeating daily (``RRULE:FREQ=DAILY``) from the
start date, optionally until a last date, in the patient's own time zone, each with a
display alarm at the start. The zone travels as a rule-based VTIMEZONE
(``interop.ical_zones``), so summer times keep their hour in every reader. Each UID
names the slot of the day (not its time), so importing a newer file or refreshing a
subscription updates the events instead of duplicating them; ``SEQUENCE`` and
``LAST-MODIFIED`` say which copy is newer, and a slot the plan no longer has is sent
as ``STATUS:CANCELLED`` (``services.reminder_slots``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event

from spinestep.errors import InvalidInput
from spinestep.interop.ical_zones import vtimezone
from spinestep.services.record_types import ReminderEvent, ReminderPlan
from spinestep.services.reminder_slots import planned_events

PRODID = "-//spinestep//session reminders//EN"
#: First days a calendar is written for (the time-zone rules are studied from there on).
MIN_YEAR, MAX_YEAR = 1971, 9000


def reminders_ics(plan: ReminderPlan, generated_at: datetime) -> bytes:
    """The reminders of ``plan`` as iCalendar bytes (CRLF lines, UTF-8)."""
    try:
        zone = ZoneInfo(plan.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("time_zone", f"unknown time zone {plan.time_zone!r}") from None
    if not MIN_YEAR <= plan.start.year <= MAX_YEAR:
        raise InvalidInput("start", f"must be in the years {MIN_YEAR}-{MAX_YEAR}")
    if not plan.times:
        raise InvalidInput("times", "at least one session time is needed")
    if plan.until is not None and plan.until < plan.start:
        raise InvalidInput("until", "must not be before the start date")
    if len(set(plan.times)) != len(plan.times):
        raise InvalidInput("times", "the same time is given twice")
    events = plan.events or planned_events(plan)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "spinestep exercise sessions")
    calendar.add_component(vtimezone(plan.time_zone, min(event.start for event in events).year))
    key = plan.calendar_key or plan.patient_id
    for reminder in events:
        calendar.add_component(_event(reminder, zone, key, plan.title, generated_at))
    data: bytes = calendar.to_ical()
    return data


def _event(
    reminder: ReminderEvent, zone: ZoneInfo, key: str, title: str, generated_at: datetime
) -> Event:
    event = Event()
    event.add("uid", f"spinestep-reminder-{key}-{reminder.slot}@spinestep")
    event.add("sequence", reminder.sequence)
    event.add("dtstamp", generated_at.astimezone(UTC))
    event.add("last-modified", (reminder.modified_at or generated_at).astimezone(UTC))
    event.add("dtstart", datetime.combine(reminder.start, reminder.at, tzinfo=zone))
    event.add("duration", timedelta(minutes=reminder.duration_min))
    event.add("summary", reminder.summary)
    if reminder.description:
        event.add("description", reminder.description)
    rule: dict[str, object] = {"freq": "daily"}
    if reminder.until is not None:
        last = datetime.combine(reminder.until, reminder.at, tzinfo=zone)
        rule["until"] = last.astimezone(UTC)
    event.add("rrule", rule)
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if reminder.cancelled else "CONFIRMED")
    if not reminder.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
    return event
