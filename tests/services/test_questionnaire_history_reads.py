"""The questionnaire history reads of the sessions only what the NPRS needs.

The NPRS line of the history (baseline = first session's pain before, then the most
recent session of each 14-day period) used to read every session of the patient as a
whole row; three years of sessions made the clinician's patient page slow. It now reads
each session's time, offset and pain before only, and must give the same history as the
whole rows gave, ties and offsets included (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import Effort, EmergencyNumber, Location
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.deciding import session_record
from spinestep.services.patient_records import stored_questionnaires
from spinestep.services.questionnaire_scores import history
from spinestep.services.questionnaire_tracking import questionnaire_history
from spinestep.services.record_types import SessionEntry
from spinestep.services.records import AssignmentRecord, PatientRecord, StoredSession
from spinestep.store import open_store

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
START = NOW - timedelta(days=70)
ZONES = (timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[tuple[Engine, ServiceContext]]:
    engine, uow = open_store(database_url)
    yield engine, ServiceContext(uow=uow, clock=FixedClock(NOW))
    engine.dispose()


def _patient_with_sessions(ctx: ServiceContext) -> int:
    """70 days of sessions at varied offsets, pains and times; some share one instant, and
    one falls exactly on a 14-day boundary from the first."""
    with ctx.uow() as uow:
        patient = uow.patients.add(
            PatientRecord("Quill", "Europe/London", EmergencyNumber("112"), START, True)
        )
        assert patient.id is not None
        assignment = uow.assignments.add(
            AssignmentRecord(patient.id, "lumbar-flexion", 1, START, START, clearance=True)
        )
        assert assignment.id is not None
        instants = [START + timedelta(hours=7 * n + n % 3) for n in range(240)]
        instants += [instants[10], instants[10], START + timedelta(days=14)]
        for n, at in enumerate(instants):
            uow.sessions.add(
                StoredSession(
                    patient_id=patient.id,
                    assignment_id=assignment.id,
                    at=at.astimezone(ZONES[n % 3]),
                    stage=1,
                    completed=n % 5 != 0,
                    effort=Effort.EASY,
                    pain_before=(n * 7) % 11,
                    pain_during=2,
                    pain_after=1,
                    location_before=Location.BACK,
                    location_after=Location.THIGH,
                    created_at=at,
                    reps=10,
                    motion={"note": "not needed for the NPRS"},
                )
            )
        uow.commit()
        return patient.id


def test_the_history_reads_only_time_offset_and_pain_and_is_unchanged(
    store: tuple[Engine, ServiceContext],
) -> None:
    engine, ctx = store
    patient_id = _patient_with_sessions(ctx)
    with ctx.uow() as uow:  # what the history was worked out from before: whole rows
        whole = [
            SessionEntry(str(s.id), session_record(s)) for s in uow.sessions.for_patient(patient_id)
        ]
        expected = history(stored_questionnaires(uow, patient_id), whole)
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(str(a[2])))
    found = questionnaire_history(ctx, Actor.local_person(), patient_id)
    assert found == expected
    nprs, before = found.measures[0], expected.measures[0]
    assert len(nprs.follow_ups) == 5  # 70 days: periods 1..5 after the first session
    # Equal instants compare equal whatever their offsets: compare the clock times too.
    shown = [p.at.isoformat() for p in (nprs.baseline, *(f.point for f in nprs.follow_ups))]
    assert shown == [
        p.at.isoformat() for p in (before.baseline, *(f.point for f in before.follow_ups))
    ]
    assert len({p[-6:] for p in shown}) > 1  # the sessions' own offsets came back
    session_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "sessions" in s]
    assert len(session_reads) == 1
    selected = session_reads[0].upper().split("FROM")[0]
    assert "PAIN_BEFORE" in selected and "AT_OFFSET_MIN" in selected
    for unneeded in ("MOTION", "PAIN_DURING", "LOCATION_BEFORE", "EFFORT", "UUID"):
        assert unneeded not in selected, unneeded
