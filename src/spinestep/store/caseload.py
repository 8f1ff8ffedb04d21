"""The caseload reads of ``spinestep.services.caseload_port``: one statement per method.

Each statement selects the clinician's patients by ``patients.clinician_id`` (indexed)
and reaches their rows through the patient indexes of each table, so its cost grows with
the caseload and the window asked about, never with a patient's whole history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinestep.domain.model import Decision
from spinestep.services.caseload_port import CaseloadPatient, CaseloadSession, CaseloadStop
from spinestep.services.records import ProgrammeEvent, RedFlagReport
from spinestep.store.repositories import (
    SqlAssignmentRepository,
    SqlEventRepository,
    SqlPatientRepository,
    SqlRedFlagRepository,
)
from spinestep.store.tables import (
    AssignmentRow,
    DecisionRow,
    EventRow,
    PatientRow,
    RedFlagRow,
    SessionRow,
)


def _caseload(clinician_id: int) -> sa.Select[Any]:
    return sa.select(PatientRow.id).where(PatientRow.clinician_id == clinician_id)


class SqlCaseloadQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def patients(self, clinician_id: int, regressed_since: datetime) -> list[CaseloadPatient]:
        newest = (
            sa.select(sa.func.max(AssignmentRow.id))
            .where(AssignmentRow.patient_id == PatientRow.id)
            .correlate(PatientRow)
            .scalar_subquery()
        )
        last_session = (
            sa.select(sa.func.max(SessionRow.at_utc))
            .where(SessionRow.assignment_id == AssignmentRow.id)
            .correlate(AssignmentRow)
            .scalar_subquery()
        )
        regressed = (
            sa.select(DecisionRow.id)
            .where(
                DecisionRow.patient_id == PatientRow.id,
                DecisionRow.decision == Decision.REGRESS,
                DecisionRow.made_at >= regressed_since,
            )
            .correlate(PatientRow)
            .exists()
        )
        statement = (
            sa.select(PatientRow, AssignmentRow, last_session, regressed)
            .outerjoin(AssignmentRow, AssignmentRow.id == newest)
            .where(PatientRow.clinician_id == clinician_id)
            .order_by(PatientRow.id)
        )
        patients = SqlPatientRepository(self._session)
        assignments = SqlAssignmentRepository(self._session)
        return [
            CaseloadPatient(
                patient=patients._to_record(patient),
                assignment=None if assignment is None else assignments._to_record(assignment),
                last_session_at=last_at,
                regressed=bool(went_back),
            )
            for patient, assignment, last_at, went_back in self._session.execute(statement)
        ]

    def open_flags(self, clinician_id: int) -> list[RedFlagReport]:
        statement = sa.select(RedFlagRow).where(
            RedFlagRow.patient_id.in_(_caseload(clinician_id)), RedFlagRow.resolved_at.is_(None)
        )
        return SqlRedFlagRepository(self._session)._all(statement.order_by(RedFlagRow.id))

    def flags_since(self, clinician_id: int, since: datetime) -> list[RedFlagReport]:
        statement = sa.select(RedFlagRow).where(
            RedFlagRow.patient_id.in_(_caseload(clinician_id)), RedFlagRow.reported_at >= since
        )
        return SqlRedFlagRepository(self._session)._all(statement.order_by(RedFlagRow.id))

    def stops_since(self, clinician_id: int, since: datetime) -> list[CaseloadStop]:
        statement = (
            sa.select(DecisionRow.patient_id, DecisionRow.made_at, DecisionRow.urgency)
            .where(
                DecisionRow.patient_id.in_(_caseload(clinician_id)),
                DecisionRow.made_at >= since,
                DecisionRow.decision == Decision.STOP,
            )
            .order_by(DecisionRow.made_at, DecisionRow.id)
        )
        return [
            CaseloadStop(patient_id, made_at, urgency)
            for patient_id, made_at, urgency in self._session.execute(statement)
        ]

    def sessions_since(self, clinician_id: int, since: datetime) -> list[CaseloadSession]:
        statement = (
            sa.select(
                SessionRow.patient_id,
                SessionRow.assignment_id,
                SessionRow.at_utc,
                SessionRow.completed,
                SessionRow.stage,
            )
            .where(SessionRow.patient_id.in_(_caseload(clinician_id)), SessionRow.at_utc >= since)
            .order_by(SessionRow.at_utc, SessionRow.id)
        )
        return [
            CaseloadSession(patient_id, assignment_id, at, completed, stage)
            for patient_id, assignment_id, at, completed, stage in self._session.execute(statement)
        ]

    def events(self, clinician_id: int) -> list[ProgrammeEvent]:
        statement = sa.select(EventRow).where(EventRow.patient_id.in_(_caseload(clinician_id)))
        return SqlEventRepository(self._session)._all(statement.order_by(EventRow.at, EventRow.id))
