"""The SQLAlchemy side of ``spinestep.services.messages_port``.

Unread counts are worked out by the database: a message is unread by a reader when
someone else wrote it and its id is above the reader's mark for its thread (no mark:
every such message). The rate counter is raised by one conditional ``UPDATE`` after an
``INSERT ... ON CONFLICT DO NOTHING`` of the hour's row, so two transactions (or two
processes) never both take the last send of an hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinestep.services.messages_port import MessageRecord, ThreadRecord, ThreadSummary
from spinestep.store.dialect_insert import dialect_insert
from spinestep.store.repositories import _Repository
from spinestep.store.tables import PatientRow
from spinestep.store.tables_messages import (
    MessageReadRow,
    MessageRow,
    MessageSendRow,
    MessageThreadRow,
)

#: Counters older than this are dropped when the author sends again.
_KEEP_COUNTERS = timedelta(days=1)


class _Threads(_Repository[ThreadRecord, MessageThreadRow]):
    row_type = MessageThreadRow
    record_type = ThreadRecord


class _Messages(_Repository[MessageRecord, MessageRow]):
    row_type = MessageRow
    record_type = MessageRecord


def unread_join(reader_id: int | sa.ColumnElement[int]) -> Any:
    """The reader's mark of each message's thread (an outer join condition)."""
    return sa.and_(
        MessageReadRow.thread_id == MessageRow.thread_id, MessageReadRow.user_id == reader_id
    )


def unread_by(reader_id: int | sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """Whether a message (joined to the reader's mark) is unread by ``reader_id``."""
    return sa.and_(
        sa.or_(MessageRow.author_user_id.is_(None), MessageRow.author_user_id != reader_id),
        MessageRow.id > sa.func.coalesce(MessageReadRow.last_read_message_id, 0),
    )


class SqlMessageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._threads = _Threads(session)
        self._messages = _Messages(session)

    def add_thread(self, thread: ThreadRecord) -> ThreadRecord:
        return self._threads.add(thread)

    def thread(self, patient_id: int, thread_id: int) -> ThreadRecord | None:
        found = self._threads.get(thread_id)
        return found if found is not None and found.patient_id == patient_id else None

    def touch_thread(self, thread_id: int, at: datetime) -> None:
        self._session.execute(
            sa.update(MessageThreadRow)
            .where(MessageThreadRow.id == thread_id)
            .values(last_message_at=at)
            .execution_options(synchronize_session=False)
        )

    def add(self, message: MessageRecord) -> MessageRecord:
        return self._messages.add(message)

    def _all(self, statement: sa.Select[Any]) -> list[MessageRecord]:
        rows = self._session.scalars(statement.order_by(MessageRow.id))
        return [self._messages._to_record(row) for row in rows]

    def in_thread(self, thread_id: int) -> list[MessageRecord]:
        return self._all(sa.select(MessageRow).where(MessageRow.thread_id == thread_id))

    def for_patient(self, patient_id: int) -> list[MessageRecord]:
        return self._all(sa.select(MessageRow).where(MessageRow.patient_id == patient_id))

    def for_decisions(self, decision_ids: list[int]) -> list[MessageRecord]:
        # One statement even for no decisions: a timeline page costs the same either way.
        return self._all(sa.select(MessageRow).where(MessageRow.decision_id.in_(decision_ids)))

    def threads_for_patient(self, patient_id: int) -> list[ThreadRecord]:
        statement = (
            sa.select(MessageThreadRow)
            .where(MessageThreadRow.patient_id == patient_id)
            .order_by(MessageThreadRow.id)
        )
        return [self._threads._to_record(row) for row in self._session.scalars(statement)]

    def summaries(self, patient_id: int, reader_id: int) -> list[ThreadSummary]:
        unread = sa.func.coalesce(sa.func.sum(sa.case((unread_by(reader_id), 1), else_=0)), 0)
        statement = (
            sa.select(MessageThreadRow, sa.func.count(MessageRow.id), unread)
            .outerjoin(MessageRow, MessageRow.thread_id == MessageThreadRow.id)
            .outerjoin(MessageReadRow, unread_join(reader_id))
            .where(MessageThreadRow.patient_id == patient_id)
            .group_by(MessageThreadRow.id)
            .order_by(MessageThreadRow.last_message_at.desc(), MessageThreadRow.id.desc())
        )
        return [
            ThreadSummary(self._threads._to_record(row), int(count), int(unread_count))
            for row, count, unread_count in self._session.execute(statement)
        ]

    def inbox(self, clinician_id: int, limit: int) -> list[tuple[int, str, ThreadSummary]]:
        unread = sa.func.coalesce(sa.func.sum(sa.case((unread_by(clinician_id), 1), else_=0)), 0)
        statement = (
            sa.select(
                MessageThreadRow, PatientRow.display_name, sa.func.count(MessageRow.id), unread
            )
            .join(PatientRow, PatientRow.id == MessageThreadRow.patient_id)
            .outerjoin(MessageRow, MessageRow.thread_id == MessageThreadRow.id)
            .outerjoin(MessageReadRow, unread_join(clinician_id))
            .where(PatientRow.clinician_id == clinician_id)
            .group_by(MessageThreadRow.id, PatientRow.display_name)
            .order_by(
                sa.case((unread > 0, 0), else_=1),
                MessageThreadRow.last_message_at.desc(),
                MessageThreadRow.id.desc(),
            )
            .limit(limit)
        )
        return [
            (row.patient_id, name, ThreadSummary(self._threads._to_record(row), int(n), int(u)))
            for row, name, n, u in self._session.execute(statement)
        ]

    def _count_unread(self, reader_id: int, *where: sa.ColumnElement[bool]) -> int:
        statement = (
            sa.select(sa.func.count(MessageRow.id))
            .outerjoin(MessageReadRow, unread_join(reader_id))
            .where(unread_by(reader_id), *where)
        )
        return int(self._session.execute(statement).scalar_one())

    def unread_in_thread(self, thread_id: int, reader_id: int) -> int:
        return self._count_unread(reader_id, MessageRow.thread_id == thread_id)

    def unread_for_patient(self, patient_id: int, reader_id: int) -> int:
        return self._count_unread(reader_id, MessageRow.patient_id == patient_id)

    def unread_by_patient(self, clinician_id: int) -> dict[int, int]:
        caseload = sa.select(PatientRow.id).where(PatientRow.clinician_id == clinician_id)
        statement = (
            sa.select(MessageRow.patient_id, sa.func.count(MessageRow.id))
            .outerjoin(MessageReadRow, unread_join(clinician_id))
            .where(MessageRow.patient_id.in_(caseload), unread_by(clinician_id))
            .group_by(MessageRow.patient_id)
        )
        return {patient_id: int(count) for patient_id, count in self._session.execute(statement)}

    def mark_read(self, thread_id: int, reader_id: int, message_id: int) -> None:
        self._session.flush()
        values = {"thread_id": thread_id, "user_id": reader_id, "last_read_message_id": 0}
        self._session.execute(self._insert_ignoring(MessageReadRow, values, "thread_id", "user_id"))
        self._session.execute(
            sa.update(MessageReadRow)
            .where(
                MessageReadRow.thread_id == thread_id,
                MessageReadRow.user_id == reader_id,
                MessageReadRow.last_read_message_id < message_id,
            )
            .values(last_read_message_id=message_id)
            .execution_options(synchronize_session=False)
        )

    def take_send(self, author_user_id: int, hour_start: datetime, limit: int) -> bool:
        self._session.flush()
        self._session.execute(
            sa.delete(MessageSendRow)
            .where(
                MessageSendRow.author_user_id == author_user_id,
                MessageSendRow.hour_start < hour_start - _KEEP_COUNTERS,
            )
            .execution_options(synchronize_session=False)
        )
        values = {"author_user_id": author_user_id, "hour_start": hour_start, "sent": 0}
        self._session.execute(
            self._insert_ignoring(MessageSendRow, values, "author_user_id", "hour_start")
        )
        counted = self._session.execute(
            sa.update(MessageSendRow)
            .where(
                MessageSendRow.author_user_id == author_user_id,
                MessageSendRow.hour_start == hour_start,
                MessageSendRow.sent < limit,
            )
            .values(sent=MessageSendRow.sent + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(counted.rowcount == 1)  # type: ignore[attr-defined]

    def _insert_ignoring(self, table: Any, values: dict[str, Any], *keys: str) -> Any:
        """``INSERT ... ON CONFLICT (keys) DO NOTHING`` in the session's dialect."""
        insert = dialect_insert(self._session, table).values(values)
        return insert.on_conflict_do_nothing(index_elements=list(keys))
