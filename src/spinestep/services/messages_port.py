"""The records and the storage port of secure messages (``services.messages``).

``spinestep.store.messages_repo`` implements ``MessageRepository`` with SQLAlchemy. A
reader's unread messages in a thread are the ones written by someone else after the
newest message that reader has seen there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from spinestep.services.records import Role, new_uuid


@dataclass(slots=True)
class ThreadRecord:
    patient_id: int
    subject: str
    started_by: int | None
    created_at: datetime
    last_message_at: datetime
    id: int | None = None
    uuid: str = field(default_factory=new_uuid)


@dataclass(slots=True)
class MessageRecord:
    thread_id: int
    patient_id: int
    author_user_id: int | None
    author_role: Role
    body: str
    created_at: datetime
    decision_id: int | None = None
    id: int | None = None
    uuid: str = field(default_factory=new_uuid)


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A thread with its number of messages and the reader's unread ones."""

    thread: ThreadRecord
    messages: int
    unread: int


class MessageRepository(Protocol):
    def add_thread(self, thread: ThreadRecord) -> ThreadRecord: ...
    def thread(self, patient_id: int, thread_id: int) -> ThreadRecord | None:
        """The thread ``thread_id`` if it is about ``patient_id``; else None."""
        ...

    def touch_thread(self, thread_id: int, at: datetime) -> None:
        """Record ``at`` as the instant of the thread's newest message."""
        ...

    def add(self, message: MessageRecord) -> MessageRecord: ...
    def in_thread(self, thread_id: int) -> list[MessageRecord]:
        """The thread's messages, oldest first."""
        ...

    def for_patient(self, patient_id: int) -> list[MessageRecord]:
        """Every message about the patient, oldest first (exports)."""
        ...

    def threads_for_patient(self, patient_id: int) -> list[ThreadRecord]:
        """The patient's threads, oldest first (exports)."""
        ...

    def summaries(self, patient_id: int, reader_id: int) -> list[ThreadSummary]:
        """The patient's threads, newest message first, with ``reader_id``'s unread counts
        (one statement)."""
        ...

    def unread_in_thread(self, thread_id: int, reader_id: int) -> int: ...

    def unread_for_patient(self, patient_id: int, reader_id: int) -> int:
        """``reader_id``'s unread messages over all the patient's threads."""
        ...

    def unread_by_patient(self, clinician_id: int) -> dict[int, int]:
        """Per patient of the clinician's caseload with any, the clinician's unread
        messages (one statement)."""
        ...

    def inbox(self, clinician_id: int, limit: int) -> list[tuple[int, str, ThreadSummary]]:
        """(patient id, patient name, thread summary) of the clinician's caseload, threads
        with unread messages first, then by newest message (one statement)."""
        ...

    def mark_read(self, thread_id: int, reader_id: int, message_id: int) -> None:
        """Record that ``reader_id`` has seen the thread up to ``message_id`` (never lowers)."""
        ...

    def for_decisions(self, decision_ids: list[int]) -> list[MessageRecord]:
        """Messages attached to any of these decisions, oldest first."""
        ...

    def take_send(self, author_user_id: int, hour_start: datetime, limit: int) -> bool:
        """Count one message of the author in the hour starting at ``hour_start``, unless
        ``limit`` were already counted there; whether it was counted. Atomic across
        transactions and processes."""
        ...
