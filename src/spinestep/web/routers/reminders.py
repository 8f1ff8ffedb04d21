"""E-mail reminders: the patient's settings (page and API) and the unsubscribe link.

- ``/account/reminders``: the patient's page: off, one e-mail per session time, or a
  daily summary, and the quiet period.
- ``GET`` / ``PUT /api/v1/me/reminders``: the same settings as JSON.
- ``/reminders/unsubscribe/{token}``: public, because it is opened from an e-mail; the
  secret token is the credential. ``GET`` shows a page asking to confirm, ``POST`` turns
  the reminders off (a mail program's one-click unsubscribe, RFC 8058, posts without a
  session, so this form carries no CSRF token: it can only turn reminders off).
  Well-formed tokens are counted per client address by the login throttle, so guessing
  is slowed down; a malformed one is refused without touching the database.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from spinestep.errors import InvalidInput
from spinestep.services import login_throttle, reminders
from spinestep.services.login_throttle import LoginThrottled
from spinestep.services.reminders import ReminderSettings
from spinestep.web import forms
from spinestep.web.access import Ctx, PatientSelf, Public
from spinestep.web.context import WebContext
from spinestep.web.login_limiter import client_address
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.reminder_mail import ReminderMailer
from spinestep.web.schemas import Strict, error_responses

router = APIRouter()
#: The throttle's name for unsubscribe attempts (no account name has no "@").
UNSUBSCRIBE_THROTTLE = "reminders:unsubscribe"
Mode = Literal["off", "each_session", "daily_summary"]
_LABELS = {
    "mode": "How to remind you: ",
    "quiet_start": "Quiet from: ",
    "quiet_end": "Quiet until: ",
}


class ReminderSettingsIn(Strict):
    mode: Mode
    quiet_start: str = Field(default="21:00", pattern=r"^\d\d:\d\d$", max_length=5)
    quiet_end: str = Field(default="08:00", pattern=r"^\d\d:\d\d$", max_length=5)


class ReminderSettingsOut(BaseModel):
    mode: Mode = Field(
        description="off, each_session (one e-mail per session time) or daily_summary"
    )
    quiet_start: str = Field(description="Local HH:MM from which no reminder is sent")
    quiet_end: str = Field(description="Local HH:MM until which no reminder is sent")
    email: str = Field(description="Where reminders go: the account's e-mail address")
    time_zone: str
    session_times: list[str] = Field(description="The day's session times reminders follow")
    active: bool = Field(description="False while the programme is paused: nothing is sent")
    sending: bool = Field(description="Whether this server is set up to send e-mail")


def _out(ctx: WebContext, settings: ReminderSettings) -> ReminderSettingsOut:
    return ReminderSettingsOut(
        mode=settings.mode.value,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
        email=settings.email,
        time_zone=settings.time_zone,
        session_times=list(settings.session_times),
        active=settings.active,
        sending=ReminderMailer(ctx.settings).enabled,
    )


@router.get("/api/v1/me/reminders", responses=error_responses(401, 403, 404), tags=["patient"])
def get_reminders(scope: PatientSelf, ctx: Ctx) -> ReminderSettingsOut:
    """The patient's e-mail reminder settings (off until they turn them on)."""
    settings = reminders.reminder_settings(ctx.services, scope.principal.actor, scope.patient_id)
    return _out(ctx, settings)


@router.put("/api/v1/me/reminders", responses=error_responses(401, 403, 404, 422), tags=["patient"])
def put_reminders(body: ReminderSettingsIn, scope: PatientSelf, ctx: Ctx) -> ReminderSettingsOut:
    """Turn e-mail reminders on or off and set the quiet period (local times)."""
    settings = reminders.save_reminder_settings(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        body.mode,
        body.quiet_start,
        body.quiet_end,
    )
    return _out(ctx, settings)


def _page(
    request: Request,
    scope: PatientSelf,
    ctx: WebContext,
    pages: PagesDep,
    *,
    values: dict[str, str] | None = None,
    error: InvalidInput | None = None,
    saved: bool = False,
) -> Response:
    settings = reminders.reminder_settings(ctx.services, scope.principal.actor, scope.patient_id)
    shown = values or {
        "mode": settings.mode.value,
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
    }
    return pages.render(
        request,
        "patient/reminders.html",
        status_code=200 if error is None else 422,
        settings=settings,
        values=shown,
        sending=ReminderMailer(ctx.settings).enabled,
        saved=saved,
        error=None if error is None else _LABELS.get(error.path, "") + error.problem,
        error_field=None if error is None else error.path,
    )


@router.get("/account/reminders", include_in_schema=False)
def reminders_page(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    saved = request.query_params.get("saved") == "1"
    return _page(request, scope, ctx, pages, saved=saved)


@router.post("/account/reminders", include_in_schema=False)
def reminders_submit(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    values = {
        "mode": forms.text(form, "mode", max_chars=20),
        "quiet_start": forms.text(form, "quiet_start", max_chars=5),
        "quiet_end": forms.text(form, "quiet_end", max_chars=5),
    }
    try:
        reminders.save_reminder_settings(
            ctx.services,
            scope.principal.actor,
            scope.patient_id,
            values["mode"],
            values["quiet_start"],
            values["quiet_end"],
        )
    except InvalidInput as error:
        return _page(request, scope, ctx, pages, values=values, error=error)
    return redirect("/account/reminders?saved=1")


def _counted(request: Request, ctx: WebContext, token: str) -> int | LoginThrottled | None:
    """The patient the token names, counting the attempt per client address; a malformed
    token is None at once, and a blocked address gets ``LoginThrottled`` back."""
    if not reminders.TOKEN_SHAPE.fullmatch(token):
        return None
    address = client_address(request, ctx.settings.trusted_proxies)
    try:
        key = login_throttle.begin_attempt(
            ctx.services, UNSUBSCRIBE_THROTTLE, address, ctx.login_policy
        )
    except LoginThrottled as blocked:
        return blocked
    patient_id = reminders.unsubscribe_target(ctx.services, token)
    if patient_id is not None:
        login_throttle.attempt_succeeded(ctx.services, key)
    return patient_id


def _unsubscribe_page(
    request: Request, pages: PagesDep, token: str, state: str, status_code: int = 200
) -> Response:
    # The token is in the address: the app's headers already say ``no-referrer``.
    return pages.render(
        request, "reminders_unsubscribe.html", status_code=status_code, token=token, state=state
    )


@router.get("/reminders/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_page(
    request: Request, token: str, _: Public, ctx: Ctx, pages: PagesDep
) -> Response:
    found = _counted(request, ctx, token)
    if isinstance(found, LoginThrottled):
        return _unsubscribe_page(request, pages, "", "throttled", 429)
    if found is None:
        return _unsubscribe_page(request, pages, "", "unknown", 404)
    return _unsubscribe_page(request, pages, token, "confirm")


@router.post("/reminders/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_now(request: Request, token: str, _: Public, ctx: Ctx, pages: PagesDep) -> Response:
    found = _counted(request, ctx, token)
    if isinstance(found, LoginThrottled):
        return _unsubscribe_page(request, pages, "", "throttled", 429)
    if found is None or not reminders.unsubscribe(ctx.services, token):
        return _unsubscribe_page(request, pages, "", "unknown", 404)
    return _unsubscribe_page(request, pages, "", "done")
