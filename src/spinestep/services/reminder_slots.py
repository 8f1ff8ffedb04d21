"""Reminder events that stay the same events: one per slot of the day, kept in the store.

A calendar app recognises an event by its UID and takes a copy with a higher
``SEQUENCE`` as the newer one. The UID therefore names the slot (the day's first,
second... session), never the time, and the store remembers what each slot last said:

- a slot that is new is published with sequence 0;
- a slot whose time, wording (stage, dose), length or last day changed is published
  again with the next sequence, starting from the day of the change;
- a slot the plan no longer has (fewer sessions a day) is published as cancelled, with
  the next sequence, so the calendar removes it; it stays cancelled in later files.

Unless the caller pins the first day, an unchanged slot keeps the first day it was
published with, so fetching the calendar again changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time

from spinestep.services.ports import UnitOfWork
from spinestep.services.record_types import ReminderEvent, ReminderPlan
from spinestep.services.records import ReminderSlotRecord


def planned_events(plan: ReminderPlan) -> tuple[ReminderEvent, ...]:
    """The events ``plan``'s times make, one per slot, in the order of the day."""
    count = len(plan.times)
    return tuple(
        ReminderEvent(
            slot=index,
            at=at,
            start=plan.start,
            until=plan.until,
            summary=f"{plan.title} (session {index} of {count})",
            description=plan.description,
            duration_min=plan.duration_min,
        )
        for index, at in enumerate(sorted(plan.times), start=1)
    )


def _clock(at: time) -> str:
    return at.strftime("%H:%M")


def _unchanged(stored: ReminderSlotRecord, event: ReminderEvent, *, pinned_start: bool) -> bool:
    return (
        not stored.cancelled
        and stored.at == _clock(event.at)
        and stored.until == event.until
        and stored.summary == event.summary
        and stored.description == event.description
        and stored.duration_min == event.duration_min
        and (not pinned_start or stored.start == event.start)
    )


def _event(stored: ReminderSlotRecord) -> ReminderEvent:
    return ReminderEvent(
        slot=stored.slot,
        at=time.fromisoformat(stored.at),
        start=stored.start,
        until=stored.until,
        summary=stored.summary,
        description=stored.description,
        duration_min=stored.duration_min,
        sequence=stored.sequence,
        modified_at=stored.modified_at,
        cancelled=stored.cancelled,
    )


def _restate(stored: ReminderSlotRecord, event: ReminderEvent, now: datetime) -> None:
    stored.at = _clock(event.at)
    stored.start = event.start
    stored.until = event.until
    stored.summary = event.summary
    stored.description = event.description
    stored.duration_min = event.duration_min
    stored.sequence += 1
    stored.modified_at = now
    stored.cancelled = False


def publish(
    uow: UnitOfWork,
    patient_id: int,
    wanted: tuple[ReminderEvent, ...],
    now: datetime,
    *,
    pinned_start: bool,
) -> tuple[ReminderEvent, ...]:
    """Store what the calendar says now; every slot ever published, by slot number.

    The caller holds the patient's lock (``uow.lock_patient``) and commits.
    """
    stored = {record.slot: record for record in uow.reminder_slots.for_patient(patient_id)}
    for event in wanted:
        record = stored.get(event.slot)
        if record is None:
            record = ReminderSlotRecord(
                patient_id=patient_id,
                slot=event.slot,
                at=_clock(event.at),
                start=event.start,
                until=event.until,
                summary=event.summary,
                description=event.description,
                duration_min=event.duration_min,
                sequence=0,
                modified_at=now,
            )
            stored[event.slot] = uow.reminder_slots.add(record)
        elif not _unchanged(record, event, pinned_start=pinned_start):
            _restate(record, event, now)
            uow.reminder_slots.update(record)
    planned = {event.slot for event in wanted}
    for record in stored.values():
        if record.slot not in planned and not record.cancelled:
            record.cancelled = True
            record.sequence += 1
            record.modified_at = now
            uow.reminder_slots.update(record)
    return tuple(_event(stored[slot]) for slot in sorted(stored))
