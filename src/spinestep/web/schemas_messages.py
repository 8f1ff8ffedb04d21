"""JSON shapes of the secure messages API (``/api/v1/me/messages``,
``/api/v1/clinic/patients/{patient_id}/messages``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from spinestep.domain.instants import MAX_ID
from spinestep.services.messages import MessageView, ThreadView
from spinestep.services.messages_port import ThreadSummary
from spinestep.web.schemas import Strict


class NewThreadIn(Strict):
    """A new conversation: its subject (1-120 characters, one line) and first message
    (1-4000 characters). A clinician may attach the message to one of the patient's
    decisions."""

    subject: str
    text: str
    decision_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class ReplyIn(Strict):
    text: str
    decision_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class MessageOut(BaseModel):
    id: int
    thread_id: int
    #: Written by the patient (false: by a clinician of the care team).
    from_patient: bool
    #: Written by the account asking.
    mine: bool
    author_name: str
    text: str
    created_at: datetime
    decision_id: int | None


class ThreadOut(BaseModel):
    id: int
    subject: str
    created_at: datetime
    last_message_at: datetime
    messages: int
    unread: int


class ThreadListOut(BaseModel):
    unread: int
    threads: list[ThreadOut]


class ThreadDetailOut(BaseModel):
    id: int
    subject: str
    created_at: datetime
    last_message_at: datetime
    messages: list[MessageOut]


def message_out(view: MessageView) -> MessageOut:
    return MessageOut(
        id=view.id,
        thread_id=view.thread_id,
        from_patient=view.from_patient,
        mine=view.mine,
        author_name=view.author_name,
        text=view.body,
        created_at=view.created_at,
        decision_id=view.decision_id,
    )


def thread_out(summary: ThreadSummary) -> ThreadOut:
    thread = summary.thread
    assert thread.id is not None
    return ThreadOut(
        id=thread.id,
        subject=thread.subject,
        created_at=thread.created_at,
        last_message_at=thread.last_message_at,
        messages=summary.messages,
        unread=summary.unread,
    )


def thread_list_out(summaries: list[ThreadSummary]) -> ThreadListOut:
    return ThreadListOut(
        unread=sum(s.unread for s in summaries), threads=[thread_out(s) for s in summaries]
    )


def thread_detail_out(view: ThreadView) -> ThreadDetailOut:
    thread = view.thread
    assert thread.id is not None
    return ThreadDetailOut(
        id=thread.id,
        subject=thread.subject,
        created_at=thread.created_at,
        last_message_at=thread.last_message_at,
        messages=[message_out(m) for m in view.messages],
    )
