"""Round trips through the SQL repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine

from spinestep.domain.model import (
    Decision,
    DirectionalPreference,
    Effort,
    EmergencyNumber,
    Location,
    Urgency,
)
from spinestep.errors import Conflict
from spinestep.services.ports import UnitOfWork, UnitOfWorkFactory
from spinestep.services.records import (
    AssignmentRecord,
    AuditEntry,
    FlagSource,
    PatientRecord,
    ProgrammeStatus,
    RedFlagReport,
    Role,
    ScreeningRecord,
    StoredDecision,
    StoredSession,
    UserRecord,
)
from spinestep.store import integrity_ok

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
AUCKLAND_SUMMER = timezone(timedelta(hours=13))


def _patient(uow: UnitOfWork, name: str = "Ann") -> tuple[int, int]:
    patient = uow.patients.add(PatientRecord(name, "Pacific/Auckland", EmergencyNumber.UK, T0))
    assert patient.id is not None
    assignment = uow.assignments.add(
        AssignmentRecord(patient.id, "lumbar-flexion", 1, T0, T0, clearance=True)
    )
    assert assignment.id is not None
    return patient.id, assignment.id


def _session(patient_id: int, assignment_id: int, at: datetime, pain_after: int) -> StoredSession:
    return StoredSession(
        patient_id=patient_id,
        assignment_id=assignment_id,
        at=at,
        stage=1,
        completed=True,
        effort=Effort.EASY,
        pain_before=3,
        pain_during=3,
        pain_after=pain_after,
        location_before=Location.THIGH,
        location_after=Location.BUTTOCK,
        created_at=T0,
        reps=10,
    )


def test_user_round_trip_and_duplicate_email_is_refused(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        user = work.users.add(UserRecord("a@example.org", "A", Role.CLINICIAN, T0, "hash"))
        work.commit()
    with uow() as work:
        again = work.users.by_email("a@example.org")
        assert again is not None
        assert (again.id, again.role, again.password_hash, again.active) == (
            user.id,
            Role.CLINICIAN,
            "hash",
            True,
        )
        assert again.created_at == T0
        assert again.created_at.tzinfo is not None
    with uow() as work, pytest.raises(Conflict, match="users"):
        work.users.add(UserRecord("a@example.org", "B", Role.PATIENT, T0))
    with uow() as work:
        assert [u.display_name for u in work.users.list_all()] == ["A"]


def test_session_keeps_its_original_offset_and_local_date(uow: UnitOfWorkFactory) -> None:
    at = datetime(2026, 11, 21, 9, 30, tzinfo=AUCKLAND_SUMMER)  # 20:30 UTC the day before
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        work.sessions.add(_session(patient_id, assignment_id, at, 2))
        work.commit()
    with uow() as work:
        (stored,) = work.sessions.recent(assignment_id, 5)
    assert stored.at == at
    assert stored.at.utcoffset() == timedelta(hours=13)
    assert stored.at.date().isoformat() == "2026-11-21"
    assert stored.location_after is Location.BUTTOCK
    assert stored.effort is Effort.EASY


def test_recent_is_a_bounded_window_in_time_order(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        # stored out of time order; two share an instant (stored order breaks the tie)
        for hours, pain_after in [(5, 5), (1, 1), (3, 3), (3, 4), (2, 2)]:
            work.sessions.add(
                _session(patient_id, assignment_id, T0 + timedelta(hours=hours), pain_after)
            )
        work.commit()
    with uow() as work:
        window = work.sessions.recent(assignment_id, 3)
        everything = work.sessions.for_patient(patient_id)
    assert [s.pain_after for s in window] == [3, 4, 5]
    assert [s.pain_after for s in everything] == [1, 2, 3, 4, 5]


def test_for_patient_filters_by_instant(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        for hours in range(4):
            work.sessions.add(
                _session(patient_id, assignment_id, T0 + timedelta(hours=hours), hours)
            )
        work.commit()
    with uow() as work:
        middle = work.sessions.for_patient(
            patient_id, T0 + timedelta(hours=1), T0 + timedelta(hours=3)
        )
    assert [s.pain_after for s in middle] == [1, 2]


def test_leaving_without_commit_rolls_back(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        _patient(work)
    with uow() as work:
        assert work.patients.list_all() == []


def test_assignment_update_round_trip(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        work.commit()
    with uow() as work:
        assignment = work.assignments.current_for(patient_id)
        assert assignment is not None
        assignment.status = ProgrammeStatus.PAUSED
        assignment.paused_reason = "stop (R4)"
        assignment.dose_overrides = {"2": {"reps": 8, "hold_s": [1, 2], "sessions_per_day": 4}}
        assignment.directional_preference = DirectionalPreference.FLEXION
        work.assignments.update(assignment)
        work.commit()
    with uow() as work:
        again = work.assignments.get(assignment_id)
    assert again is not None
    assert again.status is ProgrammeStatus.PAUSED
    assert again.paused_reason == "stop (R4)"
    assert again.dose_overrides["2"]["hold_s"] == [1, 2]
    assert again.directional_preference is DirectionalPreference.FLEXION


def test_decision_with_inputs_round_trip(uow: UnitOfWorkFactory) -> None:
    inputs = {
        "request": {"current_stage": 1, "sessions": [{"pain_after": 2}]},
        "emergency_number": "999",
    }
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        session = work.sessions.add(_session(patient_id, assignment_id, T0, 2))
        work.decisions.add(
            StoredDecision(
                patient_id=patient_id,
                made_at=T0,
                decision=Decision.STAY,
                urgency=Urgency.NONE,
                current_stage=1,
                next_stage=1,
                reasons=[{"rule": "R9", "text": "keep going"}],
                message="Keep going",
                dose={"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5},
                inputs=inputs,
                rules_version="test-1",
                assignment_id=assignment_id,
                session_id=session.id,
            )
        )
        work.commit()
    with uow() as work:
        assert session.id is not None
        stored = work.decisions.for_session(session.id)
        latest = work.decisions.latest_for(patient_id)
    assert stored is not None and latest is not None
    assert stored.id == latest.id
    assert stored.inputs == inputs
    assert stored.reasons == [{"rule": "R9", "text": "keep going"}]
    assert (stored.decision, stored.urgency, stored.rules_version) == (
        Decision.STAY,
        Urgency.NONE,
        "test-1",
    )


def test_red_flags_and_screenings(uow: UnitOfWorkFactory) -> None:
    with uow() as work:
        patient_id, _ = _patient(work)
        open_flag = work.red_flags.add(
            RedFlagReport(patient_id, "history_of_cancer", T0, FlagSource.ONBOARDING)
        )
        work.red_flags.add(
            RedFlagReport(
                patient_id,
                "major_trauma",
                T0,
                FlagSource.ONBOARDING,
                resolved_at=T0 + timedelta(days=1),
                outcome="x-ray clear",
            )
        )
        work.screenings.add(
            ScreeningRecord(patient_id, T0, FlagSource.ONBOARDING, {"weaker_cancer_risk": False})
        )
        work.screenings.add(
            ScreeningRecord(
                patient_id,
                T0 + timedelta(days=3),
                FlagSource.SESSION,
                {"saddle_anaesthesia": False},
            )
        )
        work.commit()
    with uow() as work:
        unresolved = work.red_flags.unresolved_for(patient_id)
        assert [r.id for r in unresolved] == [open_flag.id]
        assert len(work.red_flags.for_patient(patient_id)) == 2
        assert work.screenings.last_asked(patient_id, "weaker_cancer_risk") == T0
        assert work.screenings.last_asked(patient_id, "saddle_anaesthesia") == T0 + timedelta(
            days=3
        )
        assert work.screenings.last_asked(patient_id, "major_trauma") is None


def test_deleting_a_patient_removes_their_records_and_keeps_the_audit_anonymous(
    uow: UnitOfWorkFactory, engine: Engine
) -> None:
    with uow() as work:
        patient_id, assignment_id = _patient(work)
        other_id, other_assignment = _patient(work, "Bob")
        work.sessions.add(_session(patient_id, assignment_id, T0, 2))
        work.sessions.add(_session(other_id, other_assignment, T0, 2))
        work.audit.add(AuditEntry("session.record", T0, patient_id=patient_id))
        work.commit()
    with uow() as work:
        work.patients.delete(patient_id)
        work.commit()
    with uow() as work:
        assert work.patients.get(patient_id) is None
        assert work.sessions.for_patient(patient_id) == []
        assert work.assignments.get(assignment_id) is None
        assert len(work.sessions.for_patient(other_id)) == 1
        (entry,) = work.audit.recent(10)
        assert entry.patient_id is None and entry.action == "session.record"
    assert integrity_ok(engine)
