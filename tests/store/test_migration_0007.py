"""Migration 0007: the installation gets a random UUID, and every record that becomes a
FHIR resource gets its own random UUID, on a new database and on one that has rows.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import Decision, Effort, EmergencyNumber, Location, Urgency
from spinestep.errors import Conflict
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    FlagSource,
    PatientRecord,
    ProgrammeEvent,
    RedFlagReport,
    ScreeningRecord,
    StoredDecision,
    StoredQuestionnaire,
    StoredSession,
)
from spinestep.store import current_revision, make_engine, migrate, unit_of_work_factory
from spinestep.store.engine import downgrade

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# Written out by hand: the tables whose rows leave the installation as FHIR resources.
UUID_TABLES = (
    "patients",
    "programme_assignments",
    "sessions",
    "decisions",
    "programme_events",
    "questionnaire_responses",
    "screenings",
    "red_flag_reports",
)
#: More screenings than one batch of the migration's fill (1000 rows).
MANY_SCREENINGS = 2345


def _fill(engine: Engine) -> None:
    with unit_of_work_factory(engine)() as uow:
        for name in ("Ann", "Bo"):
            patient = uow.patients.add(PatientRecord(name, "UTC", EmergencyNumber.UK, T0))
            assert patient.id is not None
            pid = patient.id
            assignment = uow.assignments.add(AssignmentRecord(pid, "lumbar-flexion", 1, T0, T0))
            assert assignment.id is not None
            for day in range(3):
                at = T0 + timedelta(days=day)
                session = uow.sessions.add(
                    StoredSession(
                        pid, assignment.id, at, 1, True, Effort.EASY, 3, 3, 2,
                        Location.BACK, Location.BACK, at, reps=10,
                    )
                )  # fmt: skip
                uow.decisions.add(
                    StoredDecision(
                        pid, at, Decision.STAY, Urgency.ROUTINE, 1, None, [], "", None, {},
                        "2026.12-1", assignment_id=assignment.id, session_id=session.id,
                    )
                )  # fmt: skip
            uow.events.add(ProgrammeEvent(pid, assignment.id, EventKind.PRESCRIBE, T0, "start"))
            uow.questionnaires.add(StoredQuestionnaire(pid, "odi", T0, {}, {"total": 0}))
            uow.screenings.add(ScreeningRecord(pid, T0, FlagSource.ONBOARDING, {"x": False}))
            uow.red_flags.add(RedFlagReport(pid, "major_trauma", T0, FlagSource.SESSION))
        uow.commit()


def _uuids(engine: Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(f"SELECT uuid FROM {table}")).scalars())


def _installation(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, uuid FROM installation")).all()
    return [(row[0], row[1]) for row in rows]


def _is_random_uuid(text: str) -> bool:
    parsed = uuid.UUID(text)
    return str(parsed) == text and parsed.version == 4


def test_existing_rows_each_get_a_distinct_random_uuid(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        _fill(engine)
        downgrade(engine, "0006")
        assert "installation" not in sa.inspect(engine).get_table_names()
        for table in UUID_TABLES:
            columns = {column["name"] for column in sa.inspect(engine).get_columns(table)}
            assert "uuid" not in columns, table
        with engine.begin() as connection:  # many rows at 0006, past one batch
            connection.execute(
                sa.text(
                    "INSERT INTO screenings (patient_id, at, source, answers) "
                    "VALUES (1, :at, 'monthly', '{}')"
                ),
                [{"at": T0 + timedelta(minutes=n)} for n in range(MANY_SCREENINGS)],
            )

        migrate(engine, "0007")
        assert current_revision(engine) == "0007"
        seen: list[str] = []
        for table in UUID_TABLES:
            values = _uuids(engine, table)
            assert values, table
            assert all(_is_random_uuid(value) for value in values), table
            seen.extend(values)
        assert len(_uuids(engine, "screenings")) == MANY_SCREENINGS + 2
        assert len(set(seen)) == len(seen)
        installation = _installation(engine)
        assert len(installation) == 1
        assert installation[0][0] == 1 and _is_random_uuid(installation[0][1])
    finally:
        engine.dispose()


def test_each_new_database_names_a_different_installation(database_url: str) -> None:
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        migrate(first)
        made = _installation(first)
        migrate(second)  # migrating again keeps the row
        assert _installation(second) == made
        downgrade(first, "0006")
        migrate(first)
        remade = _installation(first)
        assert len(remade) == 1 and remade != made
        with unit_of_work_factory(first)() as uow:
            assert uow.installation.uuid() == remade[0][1]
    finally:
        first.dispose()
        second.dispose()


def test_a_stored_record_keeps_its_uuid_and_two_records_cannot_share_one(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        factory = unit_of_work_factory(engine)
        with factory() as uow:
            ann = uow.patients.add(PatientRecord("Ann", "UTC", EmergencyNumber.UK, T0))
            bo = uow.patients.add(PatientRecord("Bo", "UTC", EmergencyNumber.UK, T0))
            assert ann.id is not None and bo.id is not None
            assignment = uow.assignments.add(AssignmentRecord(ann.id, "lumbar-flexion", 1, T0, T0))
            assert assignment.id is not None
            session = uow.sessions.add(
                StoredSession(
                    ann.id, assignment.id, T0, 1, True, Effort.EASY, 3, 3, 2,
                    Location.BACK, Location.BACK, T0,
                )
            )  # fmt: skip
            assert session.id is not None
            uow.commit()
        assert ann.uuid != bo.uuid
        with factory() as uow:
            again = uow.patients.get(ann.id)
            stored = uow.sessions.get(session.id)
            assert again is not None and again.uuid == ann.uuid
            assert stored is not None and stored.uuid == session.uuid
            again.display_name = "Ann B"
            uow.patients.update(again)
            uow.commit()
        with factory() as uow:
            updated = uow.patients.get(ann.id)
            assert updated is not None and updated.uuid == ann.uuid
            with pytest.raises(Conflict):
                uow.patients.add(PatientRecord("Cy", "UTC", EmergencyNumber.UK, T0, uuid=bo.uuid))
    finally:
        engine.dispose()
