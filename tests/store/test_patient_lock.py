"""UnitOfWork.lock_patient: one writer about a patient at a time (SPEC §3.5).

PostgreSQL: the patient's programme rows (or the patient row) are held ``FOR UPDATE``;
another writer asking with ``NOWAIT`` is refused until the holder ends. SQLite: the
holder began with ``BEGIN IMMEDIATE``, so no other connection can begin a write.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from spinestep.domain.model import EmergencyNumber
from spinestep.services.ports import UnitOfWorkFactory
from spinestep.services.records import AssignmentRecord, PatientRecord

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _patient(uow: UnitOfWorkFactory, *, programme: bool = True) -> int:
    with uow() as work:
        patient = work.patients.add(PatientRecord("Ann", "UTC", EmergencyNumber.UK, T0))
        assert patient.id is not None
        if programme:
            work.assignments.add(AssignmentRecord(patient.id, "lumbar-flexion", 1, T0, T0))
        work.commit()
    return patient.id


def _other_writer_refused(engine: Engine, table: str, row_id: int) -> bool:
    """Whether another connection, not waiting, is refused the write lock on this row."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database is not None
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            assert "locked" in str(error)
            return True
        finally:
            other.close()
        return False
    with engine.connect() as connection:
        try:
            connection.exec_driver_sql(
                f"SELECT id FROM {table} WHERE id = {row_id} FOR UPDATE NOWAIT"
            )
        except sa.exc.OperationalError as error:
            assert "could not obtain lock" in str(error)
            return True
        finally:
            connection.rollback()
        return False


def test_the_lock_is_held_until_the_unit_of_work_ends(
    engine: Engine, uow: UnitOfWorkFactory
) -> None:
    patient_id = _patient(uow)
    with uow() as work:
        assignment = work.assignments.current_for(patient_id)
        assert assignment is not None and assignment.id is not None
    assert not _other_writer_refused(engine, "programme_assignments", assignment.id)
    with uow() as work:
        work.lock_patient(patient_id)
        assert _other_writer_refused(engine, "programme_assignments", assignment.id)
        with uow() as reader:  # readers are not blocked
            assert reader.assignments.current_for(patient_id) is not None
        work.commit()
    assert not _other_writer_refused(engine, "programme_assignments", assignment.id)
    with uow() as work:
        work.lock_patient(patient_id)
        assert _other_writer_refused(engine, "programme_assignments", assignment.id)
    # left without commit: rolled back, and the lock went with it
    assert not _other_writer_refused(engine, "programme_assignments", assignment.id)


def test_without_a_programme_the_patient_row_is_locked(
    engine: Engine, uow: UnitOfWorkFactory
) -> None:
    patient_id = _patient(uow, programme=False)
    with uow() as work:
        work.lock_patient(patient_id)
        assert _other_writer_refused(engine, "patients", patient_id)
    assert not _other_writer_refused(engine, "patients", patient_id)


def test_the_lock_must_come_first(uow: UnitOfWorkFactory) -> None:
    patient_id = _patient(uow)
    with uow() as work:
        work.patients.get(patient_id)
        with pytest.raises(RuntimeError, match="first call"):
            work.lock_patient(patient_id)


def test_writes_under_the_lock_commit(uow: UnitOfWorkFactory) -> None:
    patient_id = _patient(uow)
    with uow() as work:
        work.lock_patient(patient_id)
        assignment = work.assignments.current_for(patient_id)
        assert assignment is not None
        assignment.current_stage = 2
        work.assignments.update(assignment)
        work.commit()
    with uow() as work:
        again = work.assignments.current_for(patient_id)
        assert again is not None and again.current_stage == 2
