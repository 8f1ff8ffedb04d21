"""API of the secure messages: the patient's own (``/api/v1/me/messages``) and a
clinician's about one of their patients (``/api/v1/clinic/patients/{id}/messages``).

Reading a thread marks it read for the account asking. A send answers 201 with the
stored message; 429 ``too_many_messages`` when the author's hourly limit is reached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from spinestep.domain.instants import MAX_ID
from spinestep.services import messages
from spinestep.services.messages import SendOutcome
from spinestep.web.access import CareTeam, Ctx, PatientScope, PatientSelf
from spinestep.web.message_notify import notify_recipients
from spinestep.web.schemas import error_responses
from spinestep.web.schemas_messages import (
    MessageOut,
    NewThreadIn,
    ReplyIn,
    ThreadDetailOut,
    ThreadListOut,
    message_out,
    thread_detail_out,
    thread_list_out,
)

router = APIRouter(tags=["messages"])
ThreadId = Annotated[int, Path(ge=1, le=MAX_ID)]
_READ_ERRORS = error_responses(401, 403, 404, 422)
_SEND_ERRORS = error_responses(401, 403, 404, 409, 422, 429)
_MINE = "/api/v1/me/messages"
_CLINIC = "/api/v1/clinic/patients/{patient_id}/messages"


def _list(ctx: Ctx, scope: PatientScope) -> ThreadListOut:
    return thread_list_out(messages.threads(ctx.services, scope.principal.actor, scope.patient_id))


def _open(ctx: Ctx, scope: PatientScope, thread_id: int) -> ThreadDetailOut:
    view = messages.open_thread(ctx.services, scope.principal.actor, scope.patient_id, thread_id)
    return thread_detail_out(view)


def _sent(ctx: Ctx, outcome: SendOutcome) -> MessageOut:
    notify_recipients(ctx, outcome)
    return message_out(outcome.message)


def _start(ctx: Ctx, scope: PatientScope, body: NewThreadIn) -> MessageOut:
    outcome = messages.start_thread(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        body.subject,
        body.text,
        decision_id=body.decision_id,
    )
    return _sent(ctx, outcome)


def _reply(ctx: Ctx, scope: PatientScope, thread_id: int, body: ReplyIn) -> MessageOut:
    outcome = messages.reply(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        thread_id,
        body.text,
        decision_id=body.decision_id,
    )
    return _sent(ctx, outcome)


@router.get(_MINE, response_model=ThreadListOut, responses=_READ_ERRORS)
def my_threads(scope: PatientSelf, ctx: Ctx) -> ThreadListOut:
    """My conversations with my care team, newest first, with my unread counts."""
    return _list(ctx, scope)


@router.post(_MINE, status_code=201, response_model=MessageOut, responses=_SEND_ERRORS)
def my_new_thread(body: NewThreadIn, scope: PatientSelf, ctx: Ctx) -> MessageOut:
    """Start a conversation with my care team (409 when no clinician is assigned)."""
    return _start(ctx, scope, body)


@router.get(_MINE + "/{thread_id}", response_model=ThreadDetailOut, responses=_READ_ERRORS)
def my_thread(thread_id: ThreadId, scope: PatientSelf, ctx: Ctx) -> ThreadDetailOut:
    """One conversation, oldest message first; it is now read."""
    return _open(ctx, scope, thread_id)


@router.post(
    _MINE + "/{thread_id}", status_code=201, response_model=MessageOut, responses=_SEND_ERRORS
)
def my_reply(thread_id: ThreadId, body: ReplyIn, scope: PatientSelf, ctx: Ctx) -> MessageOut:
    """Reply in one of my conversations."""
    return _reply(ctx, scope, thread_id, body)


@router.get(_CLINIC, response_model=ThreadListOut, responses=_READ_ERRORS)
def patient_threads(scope: CareTeam, ctx: Ctx) -> ThreadListOut:
    """The patient's conversations with their care team, with my unread counts."""
    return _list(ctx, scope)


@router.post(_CLINIC, status_code=201, response_model=MessageOut, responses=_SEND_ERRORS)
def patient_new_thread(body: NewThreadIn, scope: CareTeam, ctx: Ctx) -> MessageOut:
    """Start a conversation with the patient, optionally about one of their decisions."""
    return _start(ctx, scope, body)


@router.get(_CLINIC + "/{thread_id}", response_model=ThreadDetailOut, responses=_READ_ERRORS)
def patient_thread(thread_id: ThreadId, scope: CareTeam, ctx: Ctx) -> ThreadDetailOut:
    """One conversation with the patient; it is now read."""
    return _open(ctx, scope, thread_id)


@router.post(
    _CLINIC + "/{thread_id}", status_code=201, response_model=MessageOut, responses=_SEND_ERRORS
)
def patient_reply(thread_id: ThreadId, body: ReplyIn, scope: CareTeam, ctx: Ctx) -> MessageOut:
    """Reply in one of the patient's conversations."""
    return _reply(ctx, scope, thread_id, body)
