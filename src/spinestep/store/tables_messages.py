"""Tables of the secure messages between a patient and their care team (created by their
migration, 0009).

- ``message_threads``: a conversation about one patient, with its subject.
- ``messages``: what one account wrote in a thread; ``patient_id`` is repeated from the
  thread so the unread counts of a whole caseload are one indexed statement, and
  ``decision_id`` links a clinician's message to a decision of the timeline.
- ``message_reads``: per (thread, reader) the newest message id the reader has seen.
- ``message_sends``: per (author, clock hour) how many messages the author sent, the
  counter of the rate limit (raised by a conditional UPDATE, so processes share it).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from spinestep.services.records import Role
from spinestep.store.tables import Base
from spinestep.store.types import enum_column


class MessageThreadRow(Base):
    __tablename__ = "message_threads"
    __table_args__ = (sa.Index("ix_message_threads_patient_last", "patient_id", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(120))
    started_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    last_message_at: Mapped[datetime]


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_thread_id_order", "thread_id", "id"),
        sa.Index("ix_messages_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, index=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("message_threads.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    author_role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="SET NULL"), index=True
    )


class MessageReadRow(Base):
    __tablename__ = "message_reads"
    __table_args__ = (sa.UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("message_threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_read_message_id: Mapped[int]


class MessageSendRow(Base):
    __tablename__ = "message_sends"
    __table_args__ = (sa.UniqueConstraint("author_user_id", "hour_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    hour_start: Mapped[datetime]
    sent: Mapped[int]
