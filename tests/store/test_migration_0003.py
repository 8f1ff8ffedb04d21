"""Migration 0003 (per-patient, time-ordered indexes) from 0002 with data, and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import EmergencyNumber
from spinestep.services.records import (
    AssignmentRecord,
    AuditEntry,
    FlagSource,
    PatientRecord,
    RedFlagReport,
    ScreeningRecord,
    StoredQuestionnaire,
)
from spinestep.store import current_revision, make_engine, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade
from tests.support.stored import add_easy_session_and_stay

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAYS = 6  # sessions: two a day for six days, per patient

# Written out by hand: table -> its plain (ix_) indexes before and after 0003.
BEFORE = {
    "sessions": {"ix_sessions_patient_id", "ix_sessions_assignment_at"},
    "decisions": {"ix_decisions_patient_id"},
    "red_flag_reports": {"ix_red_flag_reports_patient_id"},
    "screenings": {"ix_screenings_patient_id"},
    "questionnaire_responses": {"ix_questionnaire_responses_patient_id"},
    "audit_log": {"ix_audit_log_patient_id"},
}
AFTER = {
    "sessions": {"ix_sessions_patient_at", "ix_sessions_assignment_at"},
    "decisions": {"ix_decisions_patient_made_at"},
    "red_flag_reports": {"ix_red_flag_reports_patient_resolved"},
    "screenings": {"ix_screenings_patient_at", "ix_screenings_patient_source"},
    "questionnaire_responses": {"ix_questionnaire_responses_patient_taken"},
    "audit_log": {"ix_audit_log_patient_at"},
}
COLUMNS = {
    "ix_sessions_patient_at": ["patient_id", "at_utc"],
    "ix_decisions_patient_made_at": ["patient_id", "made_at"],
    "ix_red_flag_reports_patient_resolved": ["patient_id", "resolved_at"],
    "ix_screenings_patient_at": ["patient_id", "at"],
    "ix_screenings_patient_source": ["patient_id", "source"],
    "ix_questionnaire_responses_patient_taken": ["patient_id", "taken_at"],
    "ix_audit_log_patient_at": ["patient_id", "at"],
}
# 2 patients x (12 sessions, 12 decisions, 2 flags, 3 screenings, 2 questionnaires, 1 audit)
ROWS = {
    "sessions": 24,
    "decisions": 24,
    "red_flag_reports": 4,
    "screenings": 6,
    "questionnaire_responses": 4,
    "audit_log": 2,
}


@pytest.fixture
def engine_at_0002(database_url: str) -> Iterator[Engine]:
    """Records written through today's tables, then the schema taken back to 0002."""
    engine = make_engine(database_url)
    migrate(engine)
    _fill(engine)
    downgrade(engine, "0002")
    yield engine
    engine.dispose()


def _fill(engine: Engine) -> None:
    with unit_of_work_factory(engine)() as uow:
        for name in ("Ann", "Bo"):
            patient = uow.patients.add(PatientRecord(name, "UTC", EmergencyNumber.UK, T0))
            assert patient.id is not None
            pid = patient.id
            assignment = uow.assignments.add(
                AssignmentRecord(pid, "lumbar-flexion", 1, T0, T0, clearance=True)
            )
            assert assignment.id is not None
            for number in range(2 * DAYS):
                at = T0 + timedelta(hours=12 * number)
                add_easy_session_and_stay(
                    uow, pid, assignment.id, at, (3, 3, 2), f"number {number}"
                )
            uow.red_flags.add(RedFlagReport(pid, "saddle_anaesthesia", T0, FlagSource.SESSION))
            uow.red_flags.add(
                RedFlagReport(pid, "major_trauma", T0, FlagSource.SESSION, resolved_at=T0)
            )
            uow.screenings.add(
                ScreeningRecord(pid, T0, FlagSource.ONBOARDING, {"history_of_cancer": False})
            )
            uow.screenings.add(
                ScreeningRecord(
                    pid, T0 + timedelta(days=1), FlagSource.MONTHLY, {"weaker_cancer_risk": False}
                )
            )
            uow.screenings.add(
                ScreeningRecord(
                    pid, T0 + timedelta(days=2), FlagSource.SESSION, {"saddle_anaesthesia": False}
                )
            )
            for days, instrument in ((0, "odi"), (14, "odi")):
                uow.questionnaires.add(
                    StoredQuestionnaire(pid, instrument, T0 + timedelta(days=days), {}, {})
                )
            uow.audit.add(AuditEntry("patient.today", T0, None, pid))
        uow.commit()


def _indexes(engine: Engine, table: str) -> dict[str, list[str]]:
    return {
        str(ix["name"]): [str(c) for c in ix["column_names"]]
        for ix in sa.inspect(engine).get_indexes(table)
        if str(ix["name"]).startswith("ix_")  # PostgreSQL lists unique constraints too
    }


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(
                sa.select(sa.func.count()).select_from(sa.table(table))
            ).scalar_one()
            for table in ROWS
        }


def test_from_0002_with_data_replaces_the_indexes_and_keeps_every_row(
    engine_at_0002: Engine,
) -> None:
    engine = engine_at_0002
    assert {t: set(_indexes(engine, t)) for t in BEFORE} == BEFORE
    migrate(engine, "0003")
    assert current_revision(engine) == "0003"
    assert {t: set(_indexes(engine, t)) for t in AFTER} == AFTER
    for table in AFTER:
        found = _indexes(engine, table)
        for name in AFTER[table] & COLUMNS.keys():
            assert found[name] == COLUMNS[name]
    assert _counts(engine) == ROWS


def test_from_0002_the_reads_give_the_same_answers(engine_at_0002: Engine) -> None:
    engine = engine_at_0002
    migrate(engine)
    with unit_of_work_factory(engine)() as uow:
        ann = uow.patients.first()
        assert ann is not None and ann.id is not None
        day3 = T0 + timedelta(days=3)
        sessions = uow.sessions.for_patient(ann.id, day3, day3 + timedelta(days=1))
        assert [s.at for s in sessions] == [day3, day3 + timedelta(hours=12)]
        latest = uow.decisions.latest_for(ann.id)
        assert latest is not None
        assert latest.reasons == [{"rule": "R9", "text": "number 11"}]
        assert [f.code for f in uow.red_flags.unresolved_for(ann.id)] == ["saddle_anaesthesia"]
        assert uow.screenings.any_from(ann.id, FlagSource.ONBOARDING)
        assert uow.screenings.last_asked(ann.id, "weaker_cancer_risk") == T0 + timedelta(days=1)
        after = T0 + timedelta(days=1)  # strictly later answers only
        assert uow.screenings.last_asked(ann.id, "weaker_cancer_risk", after=after) is None
        taken = [q.taken_at for q in uow.questionnaires.for_patient(ann.id)]
        assert taken == [T0, T0 + timedelta(days=14)]
        assert [a.action for a in uow.audit.for_patient(ann.id)] == ["patient.today"]


def test_downgrade_to_0002_restores_the_single_column_indexes(engine_at_0002: Engine) -> None:
    engine = engine_at_0002
    migrate(engine, "0003")
    downgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    assert {t: set(_indexes(engine, t)) for t in BEFORE} == BEFORE
    assert _indexes(engine, "sessions")["ix_sessions_patient_id"] == ["patient_id"]
    assert _counts(engine) == ROWS
    migrate(engine, "0003")
    assert current_revision(engine) == "0003"
    assert {t: set(_indexes(engine, t)) for t in AFTER} == AFTER


def test_the_patients_sessions_of_a_day_are_read_through_the_new_index(
    engine_at_0002: Engine,
) -> None:
    """The planner's choice, read back from EXPLAIN on each backend."""
    engine = engine_at_0002
    migrate(engine)
    query = (
        "SELECT * FROM sessions WHERE patient_id = 1 AND at_utc >= '2026-11-03' "
        "AND at_utc < '2026-11-04' ORDER BY at_utc"
    )
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all()
            plan = " ".join(str(row[-1]) for row in rows)
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            rows = connection.exec_driver_sql("EXPLAIN " + query).all()
            plan = " ".join(str(row[0]) for row in rows)
    assert "ix_sessions_patient_at" in plan
