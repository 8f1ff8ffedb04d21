"""The reads of ``spinestep.services.caseload_port``: one statement per method.

Each caseload statement selects the clinician's patients by ``patients.clinician_id``
(indexed) and reaches their rows through the patient indexes of each table, so its cost
grows with the caseload and the window asked about, never with a patient's whole
history. The timeline statements use the (patient, time) indexes the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinestep.domain.model import Decision
from spinestep.services.caseload_port import (
    CaseloadPatient,
    CaseloadSession,
    CaseloadStop,
    TimelineFilter,
)
from spinestep.services.records import EventKind, ProgrammeEvent, RedFlagReport, StoredDecision
from spinestep.store.repositories import (
    SqlAssignmentRepository,
    SqlDecisionRepository,
    SqlEventRepository,
    SqlPatientRepository,
    SqlRedFlagRepository,
    _with_offset,
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
                last_session_at=None if last_at is None else _with_offset(last_at, 0),
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
        rows = self._session.connection().execute(statement)  # Core: no ORM cost per row
        return [
            CaseloadSession(patient_id, assignment_id, at, completed, stage)
            for patient_id, assignment_id, at, completed, stage in rows
        ]

    def events(self, clinician_id: int) -> list[ProgrammeEvent]:
        statement = sa.select(EventRow).where(EventRow.patient_id.in_(_caseload(clinician_id)))
        return SqlEventRepository(self._session)._all(statement.order_by(EventRow.at, EventRow.id))

    def newest_before(
        self, patient_id: int, before: datetime | None, shown: TimelineFilter
    ) -> datetime | None:
        newest = [
            sa.select(sa.func.max(column).label("at")).where(owner == patient_id, *extra)
            for column, owner, extra in _timeline_sources(shown)
        ]
        if before is not None:
            newest = [
                select.where(column < before)
                for select, (column, _, _) in zip(newest, _timeline_sources(shown), strict=True)
            ]
        union = sa.union_all(*newest).subquery()
        found: datetime | None = self._session.execute(
            sa.select(sa.func.max(union.c.at))
        ).scalar_one()
        # Rows stored before instants were checked may lie at the calendar's ends.
        return None if found is None else _with_offset(found, 0)

    def decisions_between(
        self, patient_id: int, since: datetime, until: datetime
    ) -> list[StoredDecision]:
        statement = sa.select(DecisionRow).where(
            DecisionRow.patient_id == patient_id,
            DecisionRow.made_at >= since,
            DecisionRow.made_at < until,
        )
        return SqlDecisionRepository(self._session)._all(
            statement.order_by(DecisionRow.made_at, DecisionRow.id)
        )


def _timeline_sources(shown: TimelineFilter) -> list[tuple[Any, Any, tuple[Any, ...]]]:
    """(instant column, patient column, conditions) of each kind of item ``shown`` lists."""
    sessions = (SessionRow.at_utc, SessionRow.patient_id)
    decisions = (DecisionRow.made_at, DecisionRow.patient_id)
    events = (EventRow.at, EventRow.patient_id)
    flags = (RedFlagRow.reported_at, RedFlagRow.patient_id)
    if shown is TimelineFilter.DECISIONS:
        return [(*decisions, ())]
    if shown is TimelineFilter.STOPS:
        return [
            (*decisions, (DecisionRow.decision == Decision.STOP,)),
            (*sessions, (SessionRow.completed.is_(False),)),
            (*events, (EventRow.kind == EventKind.PAUSE,)),
        ]
    if shown is TimelineFilter.FLAGS:
        return [(*flags, ())]
    if shown is TimelineFilter.PLAN:
        return [(*events, ())]
    return [(*sessions, ()), (*decisions, ()), (*events, ()), (*flags, ())]
