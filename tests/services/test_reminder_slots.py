"""Reminder events keep their identity: one per slot, newer versions, cancelled slots."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date, time, timedelta

import pytest
from icalendar import Calendar

from spinestep.domain.model import Dose
from spinestep.errors import InvalidInput
from spinestep.interop.ical import reminders_ics
from spinestep.services.calendar_feed import create_feed
from spinestep.services.clinician import adjust
from spinestep.services.privacy import export_patient_data
from spinestep.services.record_exports import reminder_plan
from spinestep.services.record_types import ReminderEvent
from tests.services.history_builder import LOCAL, Store, build_history, store

__all__ = ["store"]


def calendar_events(events: tuple[ReminderEvent, ...]) -> dict[int, tuple[time, int, bool]]:
    return {e.slot: (e.at, e.sequence, e.cancelled) for e in events}


def vevents(data: bytes) -> dict[str, dict[str, str]]:
    out = {}
    for event in Calendar.from_ical(data).walk("VEVENT"):
        out[str(event["UID"])] = {
            "sequence": str(event["SEQUENCE"]),
            "status": str(event["STATUS"]),
            "start": event["DTSTART"].to_ical().decode(),
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "last_modified": event["LAST-MODIFIED"].to_ical().decode(),
            "alarms": str(len(event.walk("VALARM"))),
        }
    return out


def test_fetching_again_changes_nothing(store: Store) -> None:
    patient_id = build_history(store)
    first = reminder_plan(store.ctx, LOCAL, patient_id)
    store.clock.set(store.clock.now() + timedelta(days=3))
    again = reminder_plan(store.ctx, LOCAL, patient_id)
    assert again.events == first.events
    assert all(e.sequence == 0 and not e.cancelled for e in again.events)
    # The first day stays the one first published, so calendar apps see no change.
    assert again.start != first.start
    assert {e.start for e in again.events} == {first.start}
    before = vevents(reminders_ics(first, store.clock.now()))
    after = vevents(reminders_ics(again, store.clock.now()))
    assert before.keys() == after.keys()
    assert {k: v["sequence"] for k, v in after.items()} == dict.fromkeys(before, "0")


def test_fewer_sessions_update_the_same_events_and_cancel_the_rest(store: Store) -> None:
    patient_id = build_history(store)
    before = reminder_plan(store.ctx, LOCAL, patient_id)
    assert [e.at for e in before.events] == [time(8), time(11), time(14), time(17), time(20)]
    store.clock.set(store.clock.now() + timedelta(days=1))
    # build_history leaves the patient at stage 2.
    adjust(store.ctx, LOCAL, patient_id, doses={2: Dose(12, 1, 3, 3)})
    after = reminder_plan(store.ctx, LOCAL, patient_id)
    assert calendar_events(after.events) == {
        1: (time(8), 1, False),  # wording changed (dose), time kept
        2: (time(11), 1, False),
        3: (time(14), 1, False),
        4: (time(17), 1, True),
        5: (time(20), 1, True),
    }
    assert all(e.modified_at == store.clock.now() for e in after.events)
    old = vevents(reminders_ics(before, store.clock.now()))
    new = vevents(reminders_ics(after, store.clock.now()))
    assert new.keys() == old.keys()  # same UIDs: the calendar updates, never duplicates
    statuses = sorted(v["status"] for v in new.values())
    assert statuses == ["CANCELLED", "CANCELLED", "CONFIRMED", "CONFIRMED", "CONFIRMED"]
    assert all(v["sequence"] == "1" for v in new.values())
    confirmed = [v for v in new.values() if v["status"] == "CONFIRMED"]
    assert all(v["description"].startswith("12 repetitions, hold 1-3 s.") for v in confirmed)
    assert all("3 sessions a day" in v["description"] for v in confirmed)
    assert all(v["summary"].endswith("of 3)") for v in confirmed)
    # A cancelled reminder never rings.
    assert [v["alarms"] for v in new.values() if v["status"] == "CANCELLED"] == ["0", "0"]


def test_changed_times_keep_the_uid_and_a_removed_slot_can_come_back(store: Store) -> None:
    patient_id = build_history(store)
    first = reminder_plan(store.ctx, LOCAL, patient_id, times=(time(7), time(12)))
    second = reminder_plan(store.ctx, LOCAL, patient_id, times=(time(7, 30),))
    third = reminder_plan(store.ctx, LOCAL, patient_id, times=(time(7, 30), time(19)))
    assert calendar_events(first.events) == {1: (time(7), 0, False), 2: (time(12), 0, False)}
    assert calendar_events(second.events) == {1: (time(7, 30), 1, False), 2: (time(12), 1, True)}
    # Slot 1 is reworded too: "session 1 of 1" becomes "session 1 of 2".
    assert calendar_events(third.events) == {1: (time(7, 30), 2, False), 2: (time(19), 2, False)}
    uids = [set(vevents(reminders_ics(p, store.clock.now()))) for p in (first, second, third)]
    assert uids[0] == uids[1] == uids[2]


def test_a_stage_change_renames_the_events(store: Store) -> None:
    patient_id = build_history(store)
    before = reminder_plan(store.ctx, LOCAL, patient_id)
    adjust(store.ctx, LOCAL, patient_id, stage=1)
    after = reminder_plan(store.ctx, LOCAL, patient_id)
    assert all(e.sequence == 1 for e in after.events)
    assert {e.summary.rsplit(" (", 1)[0] for e in after.events} != {
        e.summary.rsplit(" (", 1)[0] for e in before.events
    }
    assert all("Stage 1," in e.description for e in after.events)
    assert all("Stage 2," in e.description for e in before.events)


def test_a_pinned_first_day_is_a_change(store: Store) -> None:
    patient_id = build_history(store)
    reminder_plan(store.ctx, LOCAL, patient_id, start=date(2026, 12, 1))
    moved = reminder_plan(store.ctx, LOCAL, patient_id, start=date(2026, 12, 8))
    assert {(e.start, e.sequence) for e in moved.events} == {(date(2026, 12, 8), 1)}


def test_uids_name_the_patient_record_not_its_row_number(store: Store) -> None:
    patient_id = build_history(store)
    plan = reminder_plan(store.ctx, LOCAL, patient_id)
    with store.ctx.uow() as uow:
        patient = uow.patients.get(patient_id)
    assert patient is not None
    uids = set(vevents(reminders_ics(plan, store.clock.now())))
    assert uids == {f"spinestep-reminder-{patient.uuid}-{slot}@spinestep" for slot in range(1, 6)}


def test_bad_times_are_refused_before_anything_is_stored(store: Store) -> None:
    patient_id = build_history(store)
    with pytest.raises(InvalidInput, match="times: the same time is given twice"):
        reminder_plan(store.ctx, LOCAL, patient_id, times=(time(8), time(8)))
    with store.ctx.uow() as uow:
        assert uow.reminder_slots.for_patient(patient_id) == []


RACERS = 4
ROUNDS = 8


def test_simultaneous_fetches_lose_no_version(store: Store) -> None:
    patient_id = build_history(store)
    failures: list[BaseException] = []

    def fetch(barrier: threading.Barrier, at: time) -> None:
        barrier.wait()
        try:
            reminder_plan(store.ctx, LOCAL, patient_id, times=(at,))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            failures.append(error)

    for round_number in range(ROUNDS):
        barrier = threading.Barrier(RACERS)
        threads = [
            threading.Thread(target=fetch, args=(barrier, time(5 + index, round_number)))
            for index in range(RACERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == []
    with store.ctx.uow() as uow:
        (slot,) = uow.reminder_slots.for_patient(patient_id)
    # Every call published a different time: each one is exactly one newer version.
    assert slot.sequence == RACERS * ROUNDS - 1


def test_the_patients_export_holds_their_reminders_and_no_feed_secret(store: Store) -> None:
    patient_id = build_history(store)
    reminder_plan(store.ctx, LOCAL, patient_id, times=(time(9),), start=date(2026, 12, 1))
    token = create_feed(store.ctx, LOCAL, patient_id)
    exported = export_patient_data(store.ctx, LOCAL, patient_id)
    (slot,) = exported["reminders"]
    assert (slot["slot"], slot["at"], slot["start"], slot["sequence"]) == (
        1,
        "09:00",
        "2026-12-01",
        0,
    )
    assert exported["calendar_subscription"] == {"created_at": store.clock.now().isoformat()}
    text = json.dumps(exported)
    assert token not in text and hashlib.sha256(token.encode()).hexdigest() not in text


@pytest.mark.parametrize("start", [date(1999, 12, 31), date(2028, 1, 1), date(9999, 12, 31)])
def test_a_first_day_out_of_range_is_refused(store: Store, start: date) -> None:
    patient_id = build_history(store)
    with pytest.raises(InvalidInput, match="start: must be from 2000-01-01 to a year from today"):
        reminder_plan(store.ctx, LOCAL, patient_id, start=start)
