"""The pages of the secure messages: the patient's (``/messages``) and a clinician's
about one patient (``/clinic/patients/{id}/messages``), plus the clinician's inbox.

A form that breaks a bound, or a send past the hourly limit, shows the form again with
what was typed and the reason (422 or 429); nothing was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from spinestep.domain.instants import MAX_ID
from spinestep.errors import InvalidInput, MessageLimitReached
from spinestep.services import messages
from spinestep.services.messages import SendOutcome
from spinestep.web.access import (
    CareTeam,
    ClinicianOnly,
    Ctx,
    PatientAccount,
    PatientScope,
    own_profile,
)
from spinestep.web.context import WebContext
from spinestep.web.message_notify import notify_recipients
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.views_history import local_when

router = APIRouter(include_in_schema=False)
ThreadId = Annotated[int, Path(ge=1, le=MAX_ID)]
_LIMITS = {"subject_max": messages.SUBJECT_MAX_CHARS, "body_max": messages.BODY_MAX_CHARS}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _decision_id(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput("decision_id", "must be the number of one of the patient's decisions")
    return int(raw)


def _base(scope: PatientScope, clinician: bool) -> str:
    return f"/clinic/patients/{scope.patient_id}/messages" if clinician else "/messages"


def _common(scope: PatientScope, clinician: bool) -> dict[str, Any]:
    return {
        "base": _base(scope, clinician),
        "patient_id": scope.patient_id,
        "patient_name": scope.patient.display_name if clinician else None,
        "emergency_number": scope.patient.emergency_number.value,
        **_LIMITS,
    }


def _list_page(
    request: Request, ctx: WebContext, pages: PagesDep, scope: PatientScope, clinician: bool
) -> Response:
    summaries = messages.threads(ctx.services, scope.principal.actor, scope.patient_id)
    threads = [
        {
            "id": s.thread.id,
            "subject": s.thread.subject,
            "messages": s.messages,
            "unread": s.unread,
            "when": local_when(s.thread.last_message_at, scope.patient.time_zone),
        }
        for s in summaries
    ]
    can_write = clinician or scope.patient.clinician_id is not None
    return pages.render(
        request,
        "messages/list.html",
        threads=threads,
        can_write=can_write,
        **_common(scope, clinician),
    )


def _thread_page(
    request: Request,
    ctx: WebContext,
    pages: PagesDep,
    scope: PatientScope,
    clinician: bool,
    thread_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    view = messages.open_thread(ctx.services, scope.principal.actor, scope.patient_id, thread_id)
    shown = [
        {
            "author_name": m.author_name,
            "mine": m.mine,
            "body": m.body,
            "decision_id": m.decision_id,
            "when": local_when(m.created_at, scope.patient.time_zone),
        }
        for m in view.messages
    ]
    return pages.render(
        request,
        "messages/thread.html",
        status_code=status_code,
        subject=view.thread.subject,
        thread_id=thread_id,
        messages=shown,
        error=error,
        values=values or {},
        **_common(scope, clinician),
    )


def _new_page(
    request: Request,
    pages: PagesDep,
    scope: PatientScope,
    clinician: bool,
    *,
    decision_id: int | None = None,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return pages.render(
        request,
        "messages/new.html",
        status_code=status_code,
        decision_id=decision_id,
        error=error,
        error_field=error_field,
        values=values or {},
        **_common(scope, clinician),
    )


def _sent(ctx: WebContext, scope: PatientScope, clinician: bool, outcome: SendOutcome) -> Response:
    notify_recipients(ctx, outcome)
    return redirect(f"{_base(scope, clinician)}/{outcome.thread_id}#latest")


def _create(
    request: Request,
    ctx: WebContext,
    pages: PagesDep,
    scope: PatientScope,
    clinician: bool,
    form: FormData,
) -> Response:
    values = {"subject": _text(form, "subject"), "text": _text(form, "text")}
    raw_decision = _text(form, "decision_id") if clinician else ""
    try:
        decision_id = _decision_id(raw_decision)
        outcome = messages.start_thread(
            ctx.services,
            scope.principal.actor,
            scope.patient_id,
            values["subject"],
            values["text"],
            decision_id=decision_id,
        )
    except InvalidInput as error:
        return _new_page(
            request, pages, scope, clinician, status_code=422, error=str(error),
            error_field=error.path, values=values,
        )  # fmt: skip
    except MessageLimitReached as error:
        return _new_page(
            request, pages, scope, clinician, status_code=429, error=str(error), values=values
        )
    return _sent(ctx, scope, clinician, outcome)


def _answer(
    request: Request,
    ctx: WebContext,
    pages: PagesDep,
    scope: PatientScope,
    clinician: bool,
    thread_id: int,
    form: FormData,
) -> Response:
    values = {"text": _text(form, "text")}
    try:
        outcome = messages.reply(
            ctx.services, scope.principal.actor, scope.patient_id, thread_id, values["text"]
        )
    except (InvalidInput, MessageLimitReached) as error:
        status = 429 if isinstance(error, MessageLimitReached) else 422
        return _thread_page(
            request, ctx, pages, scope, clinician, thread_id, status_code=status,
            error=str(error), values=values,
        )  # fmt: skip
    return _sent(ctx, scope, clinician, outcome)


def _as_patient(
    request: Request, principal: PatientAccount, page: Callable[[PatientScope], Response]
) -> Response:
    """``page`` for the signed-in patient's own profile; onboarding when there is none yet."""
    scope = own_profile(request, principal)
    return redirect("/onboarding") if scope is None else page(scope)


# --- the patient's pages --------------------------------------------------------------


@router.get("/messages")
def my_messages(request: Request, principal: PatientAccount, ctx: Ctx, pages: PagesDep) -> Response:
    return _as_patient(
        request, principal, lambda scope: _list_page(request, ctx, pages, scope, False)
    )


@router.get("/messages/new")
def my_new_message(request: Request, principal: PatientAccount, pages: PagesDep) -> Response:
    def page(scope: PatientScope) -> Response:
        if scope.patient.clinician_id is None:
            return redirect("/messages")
        return _new_page(request, pages, scope, False)

    return _as_patient(request, principal, page)


@router.post("/messages")
def my_message_send(
    request: Request, principal: PatientAccount, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    return _as_patient(
        request, principal, lambda scope: _create(request, ctx, pages, scope, False, form)
    )


@router.get("/messages/{thread_id}")
def my_thread(
    thread_id: ThreadId, request: Request, principal: PatientAccount, ctx: Ctx, pages: PagesDep
) -> Response:
    return _as_patient(
        request,
        principal,
        lambda scope: _thread_page(request, ctx, pages, scope, False, thread_id),
    )


@router.post("/messages/{thread_id}")
def my_reply(
    thread_id: ThreadId,
    request: Request,
    principal: PatientAccount,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    return _as_patient(
        request,
        principal,
        lambda scope: _answer(request, ctx, pages, scope, False, thread_id, form),
    )


# --- the clinician's pages ------------------------------------------------------------


@router.get("/clinic/messages")
def clinician_inbox(
    request: Request, principal: ClinicianOnly, ctx: Ctx, pages: PagesDep
) -> Response:
    entries = [
        {
            "id": e.summary.thread.id,
            "patient_id": e.patient_id,
            "patient_name": e.patient_name,
            "subject": e.summary.thread.subject,
            "messages": e.summary.messages,
            "unread": e.summary.unread,
            "when": local_when(e.summary.thread.last_message_at, "UTC") + " UTC",
        }
        for e in messages.inbox(ctx.services, principal.actor)
    ]
    return pages.render(request, "messages/inbox.html", entries=entries)


@router.get("/clinic/patients/{patient_id}/messages")
def patient_messages(request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep) -> Response:
    return _list_page(request, ctx, pages, scope, True)


@router.get("/clinic/patients/{patient_id}/messages/new")
def patient_new_message(request: Request, scope: CareTeam, pages: PagesDep) -> Response:
    decision_id = _decision_id(request.query_params.get("decision", ""))
    return _new_page(request, pages, scope, True, decision_id=decision_id)


@router.post("/clinic/patients/{patient_id}/messages")
def patient_message_send(
    request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    return _create(request, ctx, pages, scope, True, form)


@router.get("/clinic/patients/{patient_id}/messages/{thread_id}")
def patient_thread(
    thread_id: ThreadId, request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep
) -> Response:
    return _thread_page(request, ctx, pages, scope, True, thread_id)


@router.post("/clinic/patients/{patient_id}/messages/{thread_id}")
def patient_reply(
    thread_id: ThreadId,
    request: Request,
    scope: CareTeam,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    return _answer(request, ctx, pages, scope, True, thread_id, form)
