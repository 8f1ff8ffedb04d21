"""The clinician's patient list and alerts read the whole caseload in a fixed number of
statements (no query per patient), and still order and word every patient as the rules
of ``services.dashboard`` say.

Rows are written straight through the repositories (fast); the SQL statements of one
call are counted with a SQLAlchemy cursor event, for a caseload of 3 patients and one of
40 with histories, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import Decision, EmergencyNumber, Urgency
from spinestep.services import dashboard
from spinestep.services.adherence import adherence_in
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.dashboard import Attention
from spinestep.services.messages_port import MessageRecord, ThreadRecord
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    FlagSource,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    RedFlagReport,
    Role,
    StoredDecision,
    UserRecord,
)
from spinestep.store import open_store
from tests.support.cheap_hash import CheapArgon2id
from tests.support.schema_copy import at_newest_schema
from tests.support.stored import add_easy_session_and_stay

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
CREATED = NOW - timedelta(days=40)
#: Reads of the patient list: patients with programme, last session and regression;
#: open flags; sessions of the last 15 days; programme events; unread messages per
#: patient; then the audit entry.
LIST_STATEMENTS = 6
#: Reads of the alerts: the patients' names, flags and stops of 30 days; the audit entry.
ALERT_STATEMENTS = 4


@dataclass
class Store:
    engine: Engine
    ctx: ServiceContext


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    at_newest_schema(database_url)
    engine, uow = open_store(database_url)
    yield Store(engine, ServiceContext(uow=uow, clock=FixedClock(NOW), hasher=CheapArgon2id()))
    engine.dispose()


def _clinician(store: Store, email: str) -> Actor:
    with store.ctx.uow() as uow:
        user = uow.users.add(UserRecord(email, "Dr " + email[:3], Role.CLINICIAN, CREATED))
        uow.commit()
    return Actor.for_user(user)


def _patient(
    store: Store, clinician: Actor, name: str, *, sessions_per_day: int = 5, **programme: object
) -> tuple[int, int]:
    """A patient with a cleared programme since ``CREATED`` and ``sessions_per_day``
    completed sessions on each of the last 10 days (stage 1: 5 planned a day)."""
    with store.ctx.uow() as uow:
        patient = uow.patients.add(
            PatientRecord(
                name,
                "Europe/London",
                EmergencyNumber("112"),
                CREATED,
                False,
                clinician_id=clinician.user_id,
            )
        )
        assert patient.id is not None
        values: dict[str, object] = {
            "clearance": True,
            "cleared_at": CREATED,
        }
        values.update(programme)
        assignment = uow.assignments.add(
            AssignmentRecord(patient.id, "lumbar-flexion", 1, CREATED, CREATED, **values)  # type: ignore[arg-type]
        )
        assert assignment.id is not None
        for day in range(10):
            for n in range(sessions_per_day):
                at = NOW - timedelta(days=day, hours=1 + 2 * n)
                add_easy_session_and_stay(uow, patient.id, assignment.id, at, (2, 2, 1), "stay")
        uow.commit()
    return patient.id, assignment.id


def _flag(
    store: Store, patient_id: int, code: str, at: datetime, *, resolved: bool = False
) -> None:
    with store.ctx.uow() as uow:
        uow.red_flags.add(
            RedFlagReport(
                patient_id, code, at, FlagSource.SESSION, resolved_at=at if resolved else None
            )
        )
        uow.commit()


def _decision(
    store: Store, patient_id: int, assignment_id: int, kind: Decision, at: datetime
) -> None:
    with store.ctx.uow() as uow:
        uow.decisions.add(
            StoredDecision(
                patient_id=patient_id,
                made_at=at,
                decision=kind,
                urgency=Urgency.EMERGENCY if kind is Decision.STOP else Urgency.NONE,
                current_stage=2,
                next_stage=1,
                reasons=[],
                message="",
                dose=None,
                inputs={},
                rules_version="test",
                assignment_id=assignment_id,
            )
        )
        uow.commit()


def _patient_message(store: Store, patient_id: int, at: datetime) -> None:
    """A message from the patient (no account: the author is gone) that nobody has read."""
    with store.ctx.uow() as uow:
        thread = uow.messages.add_thread(ThreadRecord(patient_id, "A question", None, at, at))
        assert thread.id is not None
        uow.messages.add(MessageRecord(thread.id, patient_id, None, Role.PATIENT, "Hello", at))
        uow.commit()


def _count(store: Store, call: object) -> tuple[int, object]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        result = call()  # type: ignore[operator]
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    return len(seen), result


def test_attention_order_puts_flags_then_stops_regressions_and_falling_adherence_first(
    store: Store,
) -> None:
    doctor = _clinician(store, "doc@clinic.example")
    steady, _ = _patient(store, doctor, "Steady")
    lapsing, _ = _patient(store, doctor, "Lapsing", sessions_per_day=1)
    review, _ = _patient(store, doctor, "Review")
    _flag(store, review, "night_pain_unremitting", NOW - timedelta(days=1))
    emergency, _ = _patient(store, doctor, "Emergency")
    _flag(store, emergency, "saddle_anaesthesia", NOW - timedelta(days=2))
    urgent, _ = _patient(store, doctor, "Urgent")
    _flag(store, urgent, "major_trauma", NOW - timedelta(days=1))
    _flag(store, steady, "saddle_anaesthesia", NOW - timedelta(days=3), resolved=True)
    paused, paused_programme = _patient(
        store, doctor, "Paused", status=ProgrammeStatus.PAUSED, paused_at=NOW - timedelta(hours=5)
    )
    _decision(store, paused, paused_programme, Decision.STOP, NOW - timedelta(hours=5))
    regressed, regressed_programme = _patient(store, doctor, "Regressed")
    _decision(store, regressed, regressed_programme, Decision.REGRESS, NOW - timedelta(days=2))
    old_regress, old_programme = _patient(store, doctor, "Old regress")
    _decision(store, old_regress, old_programme, Decision.REGRESS, NOW - timedelta(days=9))
    waiting, _ = _patient(store, doctor, "Waiting", sessions_per_day=0, clearance=False)
    writing, _ = _patient(store, doctor, "Writing")
    _patient_message(store, writing, NOW - timedelta(days=4))
    _patient_message(store, writing, NOW - timedelta(days=3))
    _patient_message(store, paused, NOW - timedelta(hours=1))  # the stop still comes first
    other = _clinician(store, "other@clinic.example")
    elsewhere, _ = _patient(store, other, "Someone else's")
    _patient_message(store, elsewhere, NOW - timedelta(hours=1))

    rows = dashboard.attention_list(store.ctx, doctor)

    got = [(r.patient_id, r.attention, r.reason) for r in rows]
    # Within the "none" level, the newest last session first (then the id): "Waiting" has none.
    assert got == [
        (emergency, Attention.FLAG_EMERGENCY, "emergency red flag open"),
        (urgent, Attention.FLAG_URGENT, "urgent red flag open"),
        (review, Attention.FLAG_REVIEW, "red flag awaiting review"),
        (paused, Attention.STOPPED, "programme paused after a stop"),
        (writing, Attention.UNREAD_MESSAGES, "unread messages"),
        (regressed, Attention.REGRESSED, "moved back a stage this week"),
        (lapsing, Attention.FALLING_ADHERENCE, "fewer sessions than planned"),
        (steady, Attention.NONE, "on track"),
        (old_regress, Attention.NONE, "on track"),
        (waiting, Attention.NONE, "awaiting your clearance"),
    ]
    by_id = {r.patient_id: r for r in rows}
    assert (by_id[writing].unread_messages, by_id[paused].unread_messages) == (2, 1)
    assert by_id[steady].unread_messages == 0
    assert by_id[steady].last_session_at == NOW - timedelta(hours=1)
    assert by_id[waiting].last_session_at is None
    assert by_id[waiting].adherence_7d_percent is None
    # The one definition of adherence (services.adherence), patient by patient.
    with store.ctx.uow() as uow:
        for row in rows:
            assignment = uow.assignments.current_for(row.patient_id)
            assert assignment is not None
            expected = adherence_in(uow, assignment, "Europe/London", NOW).percent
            assert row.adherence_7d_percent == expected
    assert by_id[lapsing].adherence_7d_percent == 20  # 7 of 35
    assert by_id[steady].adherence_7d_percent == 100


def test_adherence_counts_only_the_current_programme_and_its_pauses(store: Store) -> None:
    doctor = _clinician(store, "doc@clinic.example")
    patient, old = _patient(store, doctor, "Switched")
    with store.ctx.uow() as uow:
        # A new programme from yesterday: the old one's sessions no longer count.
        new = uow.assignments.add(
            AssignmentRecord(
                patient,
                "lumbar-flexion",
                1,
                NOW - timedelta(days=1),
                NOW - timedelta(days=1),
                clearance=True,
                cleared_at=NOW - timedelta(days=1),
            )
        )
        uow.events.add(
            ProgrammeEvent(patient, old, EventKind.PAUSE, NOW - timedelta(days=3), "old")
        )
        uow.commit()
    (row,) = dashboard.attention_list(store.ctx, doctor)
    with store.ctx.uow() as uow:
        expected = adherence_in(uow, new, "Europe/London", NOW)
    assert row.adherence_7d_percent == expected.percent == 0
    assert row.last_session_at is None


def test_the_patient_list_costs_the_same_few_statements_for_3_and_40_patients(
    store: Store,
) -> None:
    small = _clinician(store, "small@clinic.example")
    for n in range(3):
        _patient(store, small, f"S{n}", sessions_per_day=1)
    large = _clinician(store, "large@clinic.example")
    for n in range(40):
        patient, programme = _patient(store, large, f"L{n}", sessions_per_day=2)
        if n % 5 == 0:
            _flag(store, patient, "history_of_cancer", NOW - timedelta(days=1))
        if n % 7 == 0:
            _decision(store, patient, programme, Decision.REGRESS, NOW - timedelta(days=1))
        if n % 3 == 0:
            _patient_message(store, patient, NOW - timedelta(hours=n))
    dashboard.attention_list(store.ctx, small)  # warm: pools and compiled statements

    few, small_rows = _count(store, lambda: dashboard.attention_list(store.ctx, small))
    many, large_rows = _count(store, lambda: dashboard.attention_list(store.ctx, large))

    assert len(small_rows) == 3 and len(large_rows) == 40  # type: ignore[arg-type]
    assert few == many == LIST_STATEMENTS


def test_alerts_list_the_caseloads_urgent_flags_and_stops_of_30_days_in_a_few_statements(
    store: Store,
) -> None:
    doctor = _clinician(store, "doc@clinic.example")
    first, first_programme = _patient(store, doctor, "First", sessions_per_day=1)
    second, _ = _patient(store, doctor, "Second", sessions_per_day=1)
    _flag(store, first, "saddle_anaesthesia", NOW - timedelta(days=1), resolved=True)
    _flag(store, first, "major_trauma", NOW - timedelta(days=2))
    _flag(store, second, "night_pain_unremitting", NOW - timedelta(days=1))  # soon: no alert
    _flag(store, second, "saddle_anaesthesia", NOW - timedelta(days=31))  # too old
    _decision(store, first, first_programme, Decision.STOP, NOW - timedelta(days=3))
    _decision(store, first, first_programme, Decision.STOP, NOW - timedelta(days=40))
    other = _clinician(store, "other@clinic.example")
    theirs, _ = _patient(store, other, "Theirs", sessions_per_day=0)
    _flag(store, theirs, "saddle_anaesthesia", NOW - timedelta(hours=1))
    dashboard.alerts(store.ctx, doctor)  # warm

    statements, found = _count(store, lambda: dashboard.alerts(store.ctx, doctor))

    assert statements == ALERT_STATEMENTS
    assert [(a.patient_id, a.display_name, a.kind, a.urgency, a.resolved) for a in found] == [  # type: ignore[attr-defined]
        (first, "First", "stop", Urgency.EMERGENCY, False),
        (first, "First", "red_flag", Urgency.URGENT, False),
        (first, "First", "red_flag", Urgency.EMERGENCY, True),
    ]
    for _ in range(20):
        _patient(store, doctor, "More", sessions_per_day=0)
    assert _count(store, lambda: dashboard.alerts(store.ctx, doctor))[0] == ALERT_STATEMENTS


def test_only_a_clinician_has_a_patient_list(store: Store) -> None:
    from spinestep.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        dashboard.attention_list(store.ctx, Actor.local_person())
    with pytest.raises(PermissionDenied):
        dashboard.alerts(store.ctx, Actor.local_person())
