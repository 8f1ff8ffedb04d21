"""Installable and offline: the manifest, the service worker, the pages the phone keeps,
and the route that receives a session done without a connection (``web/offline.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from spinestep.domain.model import Urgency
from spinestep.domain.redflags import RED_FLAGS, flags_for_session
from spinestep.errors import InvalidInput, NotFound, SpinestepError
from spinestep.services import late_checks, sessions
from spinestep.services.sessions import StopNowInput
from spinestep.web import forms, offline
from spinestep.web.access import Anyone, Ctx, PatientScope, PatientSelf
from spinestep.web.context import WebContext
from spinestep.web.demonstration import demonstration_values
from spinestep.web.errors import error_body, status_for
from spinestep.web.notify import notify_clinician
from spinestep.web.pages import CheckedForm, PagesDep
from spinestep.web.patient_actions import own_today
from spinestep.web.present import plan_out

router = APIRouter(include_in_schema=False)

MANIFEST_TYPE = "application/manifest+json"
WORKER_TYPE = "text/javascript; charset=utf-8"


@router.get("/manifest.webmanifest")
def manifest(_: Anyone) -> Response:
    body = (offline.STATIC_DIR / "manifest.webmanifest").read_bytes()
    return Response(body, media_type=MANIFEST_TYPE)


@router.get("/sw.js")
def service_worker(_: Anyone) -> Response:
    """The worker from the site's root, so its scope is the whole app, with the lists of
    ``web/offline.py`` written in front of it."""
    code = (offline.STATIC_DIR / "sw.js").read_text()
    assets = offline.shell_assets()
    lists = (
        f"const VERSION = {offline.json_text(offline.shell_version(assets, code))};\n"
        f"const SHELL = {offline.json_text(assets)};\n"
        f"const OWN_PAGES = {offline.json_text(list(offline.OWN_PAGES))};\n"
        f"const OFFLINE_PAGE = {offline.json_text(offline.OFFLINE_PAGE)};\n"
    )
    return Response(lists + code, media_type=WORKER_TYPE)


def _guidance(emergency_number: str) -> list[dict[str, Any]]:
    """Each red flag's question and what to do after a "yes", most urgent first."""
    flags = sorted(RED_FLAGS.values(), key=lambda f: (-f.urgency.rank, f.order))
    return [
        {
            "code": flag.code,
            "question": flag.question,
            "emergency": flag.urgency is Urgency.EMERGENCY,
            "text": offline.flag_guidance(flag, emergency_number),
        }
        for flag in flags
    ]


@router.get("/offline")
def offline_guidance(request: Request, scope: PatientSelf, pages: PagesDep) -> Response:
    """What to do in an emergency and after a red flag, kept on the phone; also the page
    shown when another page is not kept and there is no connection."""
    number = scope.patient.emergency_number.value
    return pages.render(
        request, "patient/offline.html", emergency_number=number, guidance=_guidance(number)
    )


@router.get("/session/offline")
def offline_session_page(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep
) -> Response:
    """The whole session on one page, for the phone to keep: used only without a connection."""
    try:
        today = own_today(ctx, scope)
    except NotFound:
        today = None
    number = scope.patient.emergency_number.value
    demo = (
        demonstration_values(today.stage_definition, today.dose)
        if today is not None
        else {"demonstration": None}
    )
    return pages.render(
        request,
        "patient/session_offline.html",
        **demo,
        stage=None if today is None else plan_out(today, []).stage,
        can_start=today is not None and today.can_exercise,
        emergency_number=number,
        flags=flags_for_session(),
        guidance={flag.code: offline.flag_guidance(flag, number) for flag in RED_FLAGS.values()},
    )


def _send_error(error: SpinestepError) -> JSONResponse:
    status, code = status_for(error)
    path = getattr(error, "path", None)
    return JSONResponse(error_body(code, str(error), path), status_code=status)


@router.post("/session/offline")
def receive_offline_session(scope: PatientSelf, ctx: Ctx, form: CheckedForm) -> Response:
    """Store a session done offline, like any late-arriving one: its own time, the rules
    run, and one session however often it is sent (its idempotency key)."""
    actor = scope.principal.actor
    tag = forms.text(form, "account_tag", max_chars=40)
    if tag != ctx.signer.account_tag(scope.principal.user_id):
        return JSONResponse(
            error_body("conflict", "this session was saved on the phone by another account"),
            status_code=409,
        )
    if forms.text(form, "kind", max_chars=10) == "check":
        return _receive_check(scope, ctx, form)
    try:
        key = sessions.check_idempotency_key(_required_key(form))
        now = ctx.clock.now()
        entry = offline.late_entry(form, now)
        if isinstance(entry, StopNowInput):
            outcome = sessions.stop_now(ctx.services, actor, scope.patient_id, entry, key)
        else:
            check = offline.late_check(form, now)
            outcome = sessions.record_session(
                ctx.services, actor, scope.patient_id, entry, key, late_check=check
            )
    except SpinestepError as error:
        return _send_error(error)
    if not outcome.replayed:
        notify_clinician(ctx, scope.patient_id, outcome.decision)
    return JSONResponse(
        {"decision_url": "/decision", "replayed": outcome.replayed},
        status_code=200 if outcome.replayed else 201,
    )


def _receive_check(scope: PatientScope, ctx: WebContext, form: FormData) -> Response:
    """A safety check with a "yes" answered offline: stored at its time, acted on now."""
    try:
        check = offline.late_check(form, ctx.clock.now())
        outcome, replayed = late_checks.record_late_screening(
            ctx.services, scope.principal.actor, scope.patient_id, check
        )
    except SpinestepError as error:
        return _send_error(error)
    if not replayed:
        notify_clinician(ctx, scope.patient_id, outcome.decision)
    return JSONResponse(
        {"decision_url": "/decision", "replayed": replayed}, status_code=200 if replayed else 201
    )


def _required_key(form: FormData) -> str:
    key = forms.text(form, "idempotency_key", max_chars=200)
    if not key:
        raise InvalidInput("idempotency_key", "is required for a session sent later")
    return key
