"""The e-mail reminders' repository: choices, the senders' claims, and the one query
that finds who may get a reminder now."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from spinestep.services.records import AssignmentRecord, DeletionStatus, ProgrammeStatus, Role
from spinestep.services.reminder_ports import (
    ReminderCandidate,
    ReminderChoice,
    ReminderMode,
    SendOutcome,
    SentReminder,
)
from spinestep.store.dialect_insert import dialect_insert
from spinestep.store.tables import (
    AssignmentRow,
    DeletionRow,
    PatientRow,
    RedFlagRow,
    SessionRow,
    UserRow,
)
from spinestep.store.tables_reminders import ReminderChoiceRow, ReminderSentRow

_CHOICE_FIELDS = tuple(f.name for f in fields(ReminderChoice))
_ASSIGNMENT_FIELDS = tuple(f.name for f in fields(AssignmentRecord))


def _choice(row: ReminderChoiceRow) -> ReminderChoice:
    return ReminderChoice(**{name: getattr(row, name) for name in _CHOICE_FIELDS})


def _assignment(row: AssignmentRow) -> AssignmentRecord:
    return AssignmentRecord(**{name: getattr(row, name) for name in _ASSIGNMENT_FIELDS})


class SqlReminderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def choice_for(self, patient_id: int) -> ReminderChoice | None:
        statement = sa.select(ReminderChoiceRow).where(ReminderChoiceRow.patient_id == patient_id)
        row = self._session.scalars(statement).first()
        return None if row is None else _choice(row)

    def save_choice(self, choice: ReminderChoice) -> None:
        statement = sa.select(ReminderChoiceRow).where(
            ReminderChoiceRow.patient_id == choice.patient_id
        )
        row = self._session.scalars(statement).first()
        values = {name: getattr(choice, name) for name in _CHOICE_FIELDS if name != "id"}
        if row is None:
            row = ReminderChoiceRow(**values)
            self._session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        self._session.flush()
        choice.id = row.id

    def candidates(self) -> list[ReminderCandidate]:
        newer = aliased(AssignmentRow)
        latest = (
            sa.select(sa.func.max(newer.id))
            .where(newer.patient_id == PatientRow.id)
            .correlate(PatientRow)
            .scalar_subquery()
        )
        flagged = sa.exists().where(
            RedFlagRow.patient_id == PatientRow.id, RedFlagRow.resolved_at.is_(None)
        )
        leaving = sa.exists().where(
            DeletionRow.patient_id == PatientRow.id,
            DeletionRow.status == DeletionStatus.PENDING,
        )
        statement = (
            sa.select(ReminderChoiceRow, AssignmentRow, UserRow.email, PatientRow.time_zone)
            .join(PatientRow, PatientRow.id == ReminderChoiceRow.patient_id)
            .join(UserRow, UserRow.id == PatientRow.user_id)
            .join(AssignmentRow, AssignmentRow.id == latest)
            .where(
                ReminderChoiceRow.mode != ReminderMode.OFF,
                UserRow.active.is_(True),
                UserRow.role == Role.PATIENT,
                AssignmentRow.status != ProgrammeStatus.PAUSED,
                AssignmentRow.clearance.is_(True),
                ~flagged,
                ~leaving,
            )
            .order_by(PatientRow.id)
        )
        return [
            ReminderCandidate(
                patient_id=choice.patient_id,
                email=email,
                time_zone=time_zone,
                choice=_choice(choice),
                assignment=_assignment(assignment),
            )
            for choice, assignment, email, time_zone in self._session.execute(statement)
        ]

    def claim(
        self, patient_id: int, local_date: date, slot: str, unsubscribe_hash: str, now: datetime
    ) -> bool:
        values: dict[str, Any] = {
            "patient_id": patient_id,
            "local_date": local_date,
            "slot": slot,
            "claimed_at": now,
            "outcome": SendOutcome.CLAIMED,
            "unsubscribe_hash": unsubscribe_hash,
        }
        key = ["patient_id", "local_date", "slot"]
        insert = dialect_insert(self._session, ReminderSentRow).values(values)
        statement = insert.on_conflict_do_nothing(index_elements=key).returning(ReminderSentRow.id)
        # The row comes back only when this insert went in (RETURNING: the driver's
        # rowcount is not reliable for INSERT ... ON CONFLICT on every backend).
        return self._session.execute(statement).first() is not None

    def record_outcome(
        self, patient_id: int, local_date: date, slot: str, outcome: SendOutcome
    ) -> None:
        statement = (
            sa.update(ReminderSentRow)
            .where(
                ReminderSentRow.patient_id == patient_id,
                ReminderSentRow.local_date == local_date,
                ReminderSentRow.slot == slot,
            )
            .values(outcome=outcome)
        )
        self._session.execute(statement)

    def sent_for(self, patient_id: int) -> list[SentReminder]:
        statement = (
            sa.select(
                ReminderSentRow.local_date,
                ReminderSentRow.slot,
                ReminderSentRow.claimed_at,
                ReminderSentRow.outcome,
            )
            .where(ReminderSentRow.patient_id == patient_id)
            .order_by(ReminderSentRow.claimed_at, ReminderSentRow.id)
        )
        return [SentReminder(*row) for row in self._session.execute(statement)]

    def patient_for_token(self, unsubscribe_hash: str) -> int | None:
        statement = sa.select(ReminderSentRow.patient_id).where(
            ReminderSentRow.unsubscribe_hash == unsubscribe_hash
        )
        found: int | None = self._session.scalars(statement).first()
        return found

    def sessions_between(self, patient_id: int, start: datetime, end: datetime) -> int:
        statement = sa.select(sa.func.count(SessionRow.id)).where(
            SessionRow.patient_id == patient_id,
            SessionRow.at_utc >= start,
            SessionRow.at_utc < end,
        )
        return int(self._session.scalar(statement) or 0)

    def forget_claims_before(self, day: date) -> int:
        statement = sa.delete(ReminderSentRow).where(ReminderSentRow.local_date < day)
        return int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
