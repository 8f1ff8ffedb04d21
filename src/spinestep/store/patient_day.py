"""The patient's hot read (``services.patient_day_port``) as one SQL statement.

It also reads what the Today page shows around the Today view: the clinician's and the
clinic's contact details and the reader's unread messages about the patient (a branch
with a ``count``, using the message repository's own definition of "unread").

One ``UNION ALL`` of a branch per kind of record: each branch fills the columns of its
own table and leaves every other table's columns NULL (cast to the column's type, so
PostgreSQL can type the union and SQLAlchemy converts each value as the repositories
do). A ``kind`` column says which branch a row came from. The rows are then turned
into records by the repositories' own conversions, so the records are the ones the
repositories give. The branches that need "the latest" use an indexed ``LIMIT 1``
subquery; the others are the repositories' ``WHERE`` clauses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from spinestep.domain.contacts import ContactDetails
from spinestep.services.patient_day_port import PatientDay
from spinestep.store.clinic_repo import CLINIC_ROW_ID, contact_details
from spinestep.store.messages_repo import unread_by, unread_join
from spinestep.store.repositories import (
    SqlAssignmentRepository,
    SqlDecisionRepository,
    SqlEventRepository,
    SqlPatientRepository,
    SqlQuestionnaireRepository,
    SqlRedFlagRepository,
    SqlSessionRepository,
)
from spinestep.store.tables import (
    AssignmentRow,
    Base,
    DecisionRow,
    EventRow,
    PatientRow,
    QuestionnaireRow,
    RedFlagRow,
    ScreeningRow,
    SessionRow,
    UserRow,
)
from spinestep.store.tables_clinic import ClinicContactRow, ClinicianContactRow
from spinestep.store.tables_messages import MessageReadRow, MessageRow

_PATIENT_ID = sa.bindparam("patient_id", type_=sa.Integer)
_SESSIONS_SINCE = sa.bindparam("sessions_since", type_=SessionRow.__table__.c.at_utc.type)
_SCREENINGS_AFTER = sa.bindparam("screenings_after", type_=ScreeningRow.__table__.c.at.type)
# Whose unread messages are counted (none are, without a reader).
_READER_ID = sa.bindparam("reader_id", type_=sa.Integer)


Column: TypeAlias = KeyedColumnElement[Any]
Branch: TypeAlias = tuple[str, sa.FromClause, list[Column], sa.ColumnElement[bool]]


def _columns(
    row: type[Base], names: Sequence[str] | None = None
) -> tuple[sa.FromClause, list[Column]]:
    table = row.__table__
    return table, [c for c in table.columns if names is None or c.key in names]


def _branches() -> list[Branch]:
    """Each branch: its kind, its table, the columns it reads and its WHERE clause."""
    latest_assignment = (
        sa.select(AssignmentRow.id)
        .where(AssignmentRow.patient_id == _PATIENT_ID)
        .order_by(AssignmentRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest_decision = (
        sa.select(DecisionRow.id)
        .where(DecisionRow.patient_id == _PATIENT_ID)
        .order_by(DecisionRow.made_at.desc(), DecisionRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    clinician = (
        sa.select(PatientRow.clinician_id).where(PatientRow.id == _PATIENT_ID).scalar_subquery()
    )
    return [
        ("patient", *_columns(PatientRow), PatientRow.id == _PATIENT_ID),
        ("assignment", *_columns(AssignmentRow), AssignmentRow.id == latest_assignment),
        (
            "clinician",
            *_columns(UserRow, ("id", "display_name", "active")),
            UserRow.id == clinician,
        ),
        (
            "clinician_contact",
            *_columns(ClinicianContactRow, ("phone", "email", "hours")),
            ClinicianContactRow.user_id == clinician,
        ),
        (
            "clinic_contact",
            *_columns(ClinicContactRow, ("phone", "email", "hours")),
            ClinicContactRow.id == CLINIC_ROW_ID,
        ),
        (
            "unread",
            MessageRow.__table__.outerjoin(MessageReadRow.__table__, unread_join(_READER_ID)),
            [sa.func.count(MessageRow.id).label("count")],
            sa.and_(MessageRow.patient_id == _PATIENT_ID, unread_by(_READER_ID)),
        ),
        (
            "session",
            *_columns(SessionRow),
            sa.and_(SessionRow.patient_id == _PATIENT_ID, SessionRow.at_utc >= _SESSIONS_SINCE),
        ),
        ("decision", *_columns(DecisionRow), DecisionRow.id == latest_decision),
        ("red_flag", *_columns(RedFlagRow), RedFlagRow.patient_id == _PATIENT_ID),
        ("event", *_columns(EventRow), EventRow.patient_id == _PATIENT_ID),
        (
            "screening",
            *_columns(ScreeningRow, ("id", "at", "answers")),
            sa.and_(ScreeningRow.patient_id == _PATIENT_ID, ScreeningRow.at > _SCREENINGS_AFTER),
        ),
        (
            "questionnaire",
            *_columns(QuestionnaireRow),
            QuestionnaireRow.patient_id == _PATIENT_ID,
        ),
    ]


#: Per kind: each column's key, its position in a result row and its type.
Slots: TypeAlias = dict[str, list[tuple[str, int, sa.types.TypeEngine[Any]]]]
#: Per kind: each column's key, its position and the dialect's conversion of its value.
Readers: TypeAlias = dict[str, list[tuple[str, int, Callable[[Any], Any] | None]]]


@cache
def _statement() -> tuple[sa.CompoundSelect[Any], Slots]:
    """The union, and per kind its columns' keys, positions in a result row and types.

    Every column of the union comes back as the driver gives it (``type_coerce`` to
    ``NullType``; the SQL keeps its casts, which PostgreSQL needs to type the union), and
    :func:`_readers` converts only the columns of each row's own kind. SQLAlchemy would
    otherwise convert every column of every row, the NULLs of the other kinds included.
    """
    branches = _branches()
    slots: list[tuple[str, Column]] = [
        (kind, column) for kind, _, columns, _ in branches for column in columns
    ]
    positions: Slots = {kind: [] for kind, _, _, _ in branches}
    for index, (kind, column) in enumerate(slots, start=1):
        positions[kind].append((column.key, index, column.type))
    selects = []
    for kind, table, _, where in branches:
        values: list[sa.ColumnElement[Any]] = [sa.literal(kind, sa.String(16)).label("kind")]
        for index, (owner, column) in enumerate(slots):
            name = f"c{index}"
            value = column if owner == kind else sa.cast(sa.null(), column.type)
            values.append(sa.type_coerce(value, sa.types.NullType()).label(name))
        selects.append(sa.select(*values).select_from(table).where(where))
    return sa.union_all(*selects), positions


@cache
def _readers(dialect: Dialect) -> Readers:
    """:func:`_statement`'s columns per kind with ``dialect``'s conversion of each (the
    one SQLAlchemy applies when it reads the column itself)."""
    _, positions = _statement()
    return {
        kind: [
            (key, index, column_type.dialect_impl(dialect).result_processor(dialect, None))
            for key, index, column_type in columns
        ]
        for kind, columns in positions.items()
    }


class SqlPatientDayReader:
    def __init__(self, session: Session) -> None:
        self._session = session

    def read(
        self,
        patient_id: int,
        sessions_since: datetime,
        screenings_after: datetime,
        reader_id: int | None = None,
    ) -> PatientDay | None:
        statement, _ = _statement()
        readers = _readers(self._session.get_bind().dialect)
        rows = self._session.execute(
            statement,
            {
                "patient_id": patient_id,
                "sessions_since": sessions_since,
                "screenings_after": screenings_after,
                "reader_id": reader_id,
            },
        ).all()
        found: dict[str, list[SimpleNamespace]] = {kind: [] for kind in readers}
        for row in rows:
            kind = row[0]
            found[kind].append(
                SimpleNamespace(
                    **{
                        key: row[i] if convert is None else convert(row[i])
                        for key, i, convert in readers[kind]
                    }
                )
            )
        if not found["patient"]:
            return None
        session = self._session
        clinician = found["clinician"][0] if found["clinician"] else None
        sessions = sorted(found["session"], key=lambda r: (r.at_utc, r.id))
        screenings = sorted(found["screening"], key=lambda r: (r.at, r.id), reverse=True)
        return PatientDay(
            patient=SqlPatientRepository(session)._to_record(found["patient"][0]),  # type: ignore[arg-type]
            assignment=_first(SqlAssignmentRepository(session), found["assignment"]),
            clinician_name=None if clinician is None else clinician.display_name,
            sessions=tuple(SqlSessionRepository(session)._to_record(r) for r in sessions),  # type: ignore[arg-type]
            latest_decision=_first(SqlDecisionRepository(session), found["decision"]),
            red_flags=_all(SqlRedFlagRepository(session), found["red_flag"], ("id",)),
            events=_all(SqlEventRepository(session), found["event"], ("at", "id")),
            screenings=tuple((r.at, r.answers) for r in screenings),
            questionnaires=_all(
                SqlQuestionnaireRepository(session), found["questionnaire"], ("taken_at", "id")
            ),
            clinician_active=clinician is not None and bool(clinician.active),
            clinician_contacts=_contacts(found["clinician_contact"]),
            clinic_contacts=_contacts(found["clinic_contact"]),
            unread=0 if reader_id is None or not found["unread"] else int(found["unread"][0].count),
        )


def _first(repository: Any, rows: list[SimpleNamespace]) -> Any:
    return repository._to_record(rows[0]) if rows else None


def _all(repository: Any, rows: list[SimpleNamespace], order: tuple[str, ...]) -> tuple[Any, ...]:
    ordered = sorted(rows, key=lambda r: tuple(getattr(r, name) for name in order))
    return tuple(repository._to_record(r) for r in ordered)


def _contacts(rows: list[SimpleNamespace]) -> ContactDetails:
    return contact_details(rows[0] if rows else None)  # type: ignore[arg-type]
