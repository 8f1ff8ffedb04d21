"""Migration 0005: programmes on the old defaults (3 sessions on 2 days) get the defaults
of rules 2026.12-1 (6 on 3), with an event in their timeline; other numbers are kept.
On SQLite and PostgreSQL, from 0004 with data.
"""

from __future__ import annotations

from datetime import UTC, datetime

from spinestep.domain.model import EmergencyNumber
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    PatientRecord,
    ProgrammeStatus,
)
from spinestep.store import current_revision, make_engine, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# name -> (progress_after_sessions, min_days_at_stage) stored before 0005
STORED = {"old_defaults": (3, 2), "clinician_choice": (4, 2), "one_a_day": (3, 3)}
# written out by hand: what 0005 must leave
EXPECTED = {"old_defaults": (6, 3), "clinician_choice": (4, 2), "one_a_day": (3, 3)}


def test_old_defaults_are_raised_and_the_change_is_in_the_timeline(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        ids: dict[str, tuple[int, int]] = {}
        with unit_of_work_factory(engine)() as uow:
            for name, (sessions, days) in STORED.items():
                patient = uow.patients.add(PatientRecord(name, "UTC", EmergencyNumber.EU, T0))
                assert patient.id is not None
                assignment = uow.assignments.add(
                    AssignmentRecord(
                        patient.id,
                        "lumbar-flexion",
                        2,
                        T0,
                        T0,
                        progress_after_sessions=sessions,
                        min_days_at_stage=days,
                        status=ProgrammeStatus.ACTIVE,
                    )
                )
                assert assignment.id is not None
                ids[name] = (patient.id, assignment.id)
            uow.commit()
        # Written through today's tables, then the schema taken back to 0004.
        downgrade(engine, "0004")

        started = datetime.now(UTC)
        migrate(engine, "0005")
        assert current_revision(engine) == "0005"
        migrate(engine)  # read through today's tables
        with unit_of_work_factory(engine)() as uow:
            for name, (patient_id, assignment_id) in ids.items():
                record = uow.assignments.get(assignment_id)
                assert record is not None
                stored = (record.progress_after_sessions, record.min_days_at_stage)
                assert stored == EXPECTED[name], name
                events = uow.events.for_patient(patient_id)
                if name == "old_defaults":
                    assert [event.kind for event in events] == [EventKind.SETTINGS_CHANGE]
                    assert "6 sessions on 3 days" in events[0].reason
                    assert events[0].actor_user_id is None
                    assert events[0].at >= started.replace(microsecond=0)
                else:
                    assert events == []
    finally:
        engine.dispose()
