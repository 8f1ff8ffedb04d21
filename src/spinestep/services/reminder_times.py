"""When a patient's e-mail reminders are due: pure functions of the plan, the choice and "now".

The session times are the ones the reminder calendar publishes (``record_exports``:
the current stage's sessions a day, spread by ``default_times``), numbered in the order
of the day as the calendar numbers its slots, so an e-mail and a calendar event for the
same session agree.

- A reminder is due from its local time until ``LATE_LIMIT`` after it: a sender that
  runs every minute sends it at once; one that was down for a while does not send
  hours-old reminders.
- A local time is turned into an instant with the patient's zone on that date, so
  reminders follow daylight saving time. A time that does not exist that day (the hour
  skipped in spring) is read with the offset before the change, i.e. an hour later on
  the clock; a time that happens twice (autumn) is due at its first occurrence.
- A time inside the quiet period gets no reminder (it is skipped, not moved).
- ``each_session``: one reminder per session time, except when that session is already
  done: the reminder of the day's *k*-th time is skipped once *k* sessions are recorded
  that local day.
- ``daily_summary``: one e-mail a day, at the first session time outside the quiet
  period; skipped when every session of the day is already done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from spinestep.errors import InvalidInput
from spinestep.services.deciding import effective_dose, protocol_of
from spinestep.services.record_exports import default_times
from spinestep.services.records import AssignmentRecord
from spinestep.services.reminder_ports import SUMMARY_SLOT, ReminderMode

LATE_LIMIT = timedelta(minutes=30)
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def parse_clock(field: str, text: str) -> time:
    """A local ``HH:MM`` time; ``InvalidInput`` naming ``field`` otherwise."""
    value = text.strip()
    if not _CLOCK.fullmatch(value):
        raise InvalidInput(field, "must be a time HH:MM (00:00-23:59)")
    return time(int(value[:2]), int(value[3:]))


def clock_text(at: time) -> str:
    return at.strftime("%H:%M")


def session_times(assignment: AssignmentRecord) -> tuple[time, ...]:
    """The day's session times, as the reminder calendar plans them, in order."""
    protocol = protocol_of(assignment)
    dose = effective_dose(protocol, assignment, assignment.current_stage)
    return tuple(sorted(default_times(dose.sessions_per_day)))


def in_quiet_period(at: time, start: time, end: time) -> bool:
    """Whether the local time ``at`` falls in the quiet period from ``start`` to ``end``
    (``end`` excluded; across midnight when ``start`` is later; none when they are equal)."""
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of the local clock time ``at`` on ``day`` in ``zone``."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DueSlot:
    """One reminder due now: its local date, its slot ("1"... or "summary") and when it
    was due; ``sessions_before`` is how many of the day's sessions come before it."""

    local_date: date
    slot: str
    due_at: datetime
    sessions_before: int
    sessions_in_day: int

    def still_needed(self, sessions_done: int) -> bool:
        """Whether the reminder is still useful with ``sessions_done`` recorded that day."""
        if self.slot == SUMMARY_SLOT:
            return sessions_done < self.sessions_in_day
        return sessions_done <= self.sessions_before


def due_slots(
    mode: ReminderMode,
    times: tuple[time, ...],
    time_zone: str,
    quiet_start: time,
    quiet_end: time,
    now: datetime,
) -> list[DueSlot]:
    """The reminders of ``mode`` due at ``now`` (before checking sessions already done)."""
    if mode is ReminderMode.OFF or not times:
        return []
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    found: list[DueSlot] = []
    for day in (today - timedelta(days=1), today):  # a reminder late in the evening
        awake = [
            (index, at)
            for index, at in enumerate(times)
            if not in_quiet_period(at, quiet_start, quiet_end)
        ]
        if mode is ReminderMode.DAILY_SUMMARY:
            awake = awake[:1]
        for index, at in awake:
            due_at = local_instant(day, at, zone)
            if not due_at <= now < due_at + LATE_LIMIT:
                continue
            slot = SUMMARY_SLOT if mode is ReminderMode.DAILY_SUMMARY else str(index + 1)
            found.append(DueSlot(day, slot, due_at, index, len(times)))
    return found
