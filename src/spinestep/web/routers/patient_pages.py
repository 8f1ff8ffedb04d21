"""The patient's pages: Today, the guided session, the decision, history, my data."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from spinestep.errors import InvalidInput, NotFound
from spinestep.services import portal, programme, screening, sessions
from spinestep.services.context import Actor
from spinestep.services.instructions import REST_BEFORE_PAIN_AFTER_S
from spinestep.services.ports import UnitOfWork
from spinestep.services.sessions import StopNowInput
from spinestep.services.views import TodayView
from spinestep.web import forms, motion_series
from spinestep.web.access import (
    Ctx,
    PatientAccountCredential,
    PatientScope,
    PatientSelf,
    web_context,
)
from spinestep.web.body_limit import DEFAULT_LIMIT_BYTES
from spinestep.web.care_contacts import patient_team, team_values
from spinestep.web.context import WebContext
from spinestep.web.demonstration import demonstration_values
from spinestep.web.motion_series import MotionSeries
from spinestep.web.notify import notify_clinician
from spinestep.web.pages import Pages, PagesDep, read_checked_form, redirect
from spinestep.web.patient_actions import own_today
from spinestep.web.present import decision_out, plan_out
from spinestep.web.questionnaire_views import due_json
from spinestep.web.session_check import REQUIRED_NOTICE, page_values, submit_check
from spinestep.web.views_history import history_values, local_when

router = APIRouter(include_in_schema=False)

STEPS = ("check", "before", "exercise", "after", "stop")
_TITLES = {
    "check": "Safety check",
    "before": "Before you start",
    "exercise": "Exercise",
    "after": "How was it?",
    "stop": "Stopping now",
}
_NEXT = {
    "check": "Continue",
    "before": "Start the exercise",
    "exercise": "I have finished",
    "after": "Save the session",
    "stop": "Save and stop",
}


def _today(ctx: WebContext, scope: PatientScope) -> TodayView | None:
    try:
        return own_today(ctx, scope)
    except NotFound:
        return None


def figure_alt(stage_id: str) -> str:
    return {
        "supine": "Drawing: lying on the back, pulling both knees to the chest",
        "seated": "Drawing: sitting on a chair, bending forward towards the floor",
        "standing": "Drawing: standing, bending forward with hands sliding down the legs",
        "prone_lying": "Drawing: lying face down, relaxed",
        "prone_on_elbows": "Drawing: lying face down, propped on the elbows",
        "prone_press_up": "Drawing: lying face down, pushing the chest up with the arms",
        "standing_extension": "Drawing: standing with hands on the low back, leaning back",
    }.get(stage_id, "Drawing of the exercise position")


class _NotOnboarded(Exception):
    """The account has no patient profile yet, or has not answered the first questions."""


@router.get("/today")
def today_page(request: Request, credential: PatientAccountCredential) -> Response:
    # A plain ``def``: the credential and the patient's day are read in one worker-thread
    # call and one unit of work, never on the event loop.
    ctx = web_context(request)
    pages: Pages = request.app.state.pages

    def identify(uow: UnitOfWork) -> tuple[Actor, int]:
        scope = credential.scope_in(uow)
        if scope is None or not scope.onboarded:
            raise _NotOnboarded
        return scope.principal.actor, scope.patient_id

    try:
        page = portal.today_page(ctx.services, identify)
    except _NotOnboarded:
        return redirect("/onboarding")
    scope = credential.scope
    assert scope is not None
    today = page.today
    now = ctx.clock.now()
    main = pages.env.get_template("patient/today_main.html").render(
        due=[d for d in due_json(page.due, now) if d["due_now"]],
        plan=None if today is None else plan_out(today, []),
        self_managed=scope.patient.self_managed,
        can_start=today is not None and today.can_exercise,
        figure_alt="" if today is None else figure_alt(today.stage_definition.id),
        team=team_values(page.team),
    )
    return pages.render(request, "patient/today.html", main=main, unread_messages=page.unread)


def _carried(form: FormData | None, names: tuple[str, ...]) -> dict[str, str]:
    if form is None:
        return {}
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value and len(value) <= 20:
            out[name] = value
    return out


_CARRY = ("pain_before", "location_before", "reps")
#: Shown on the decision page after a session whose camera footage was refused.
CAMERA_REFUSED = "refused"


async def checked_session_form(request: Request) -> FormData:
    """The session form: its one large field, the camera's series, may take the whole body."""
    return await read_checked_form(request, DEFAULT_LIMIT_BYTES)


checked_session_form.csrf_protected = True  # type: ignore[attr-defined]
SessionForm = Annotated[FormData, Depends(checked_session_form)]


def _series_text(form: FormData) -> str:
    value = form.get(motion_series.FIELD)
    return value.strip() if isinstance(value, str) else ""


def _carried_series(
    form: FormData, carried: dict[str, str], stage_id: str | None
) -> MotionSeries | None:
    """The camera's series of the form, checked, and carried on to the next step; None
    without one. A series of another exercise than ``stage_id`` is refused."""
    text = _series_text(form)
    if not text:
        return None
    series = motion_series.parse_motion_series_text(text)
    if stage_id is not None and series.stage.value != stage_id:
        raise InvalidInput(
            "motion_series.stage",
            f"the camera recorded the {series.stage.value} exercise, not today's ({stage_id})",
        )
    carried[motion_series.FIELD] = text
    return series


def _render_step(
    request: Request,
    ctx: WebContext,
    scope: PatientScope,
    pages: PagesDep,
    step: str,
    carried: dict[str, str],
    error: str | None = None,
    today: TodayView | None = None,
    check: dict[str, Any] | None = None,
) -> Response:
    values: dict[str, Any] = {}
    if step == "check":
        if check is None:
            actor, patient_id = scope.principal.actor, scope.patient_id
            check = page_values(screening.due_screening(ctx.services, actor, patient_id))
        values.update(check)
    if step in ("exercise", "stop") or today is None:
        today = today or _today(ctx, scope)
        if today is None:
            return redirect("/today")
        values["stage"] = plan_out(today, []).stage
        values["figure_alt"] = figure_alt(today.stage_definition.id)
        values.update(demonstration_values(today.stage_definition, today.dose))
    return pages.render(
        request,
        "patient/session.html",
        status_code=200 if error is None else 422,
        step=step,
        step_number=min(STEPS.index(step) + 1, 4),
        step_title=_TITLES[step],
        next_label=_NEXT[step],
        carried=carried,
        error=error,
        known_before="pain_before" in carried and "location_before" in carried,
        emergency_number=scope.patient.emergency_number.value,
        rest_s=REST_BEFORE_PAIN_AFTER_S,
        # New on every render: sending the same page twice stores one session (SPEC §3.5).
        idempotency_key=secrets.token_urlsafe(16),
        **values,
    )


@router.get("/session")
def session_start(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    today = _today(ctx, scope)
    if today is None or not today.can_exercise:
        return redirect("/today")
    check = None
    if request.query_params.get("screening") == "required":  # a session was refused
        due = screening.due_screening(ctx.services, scope.principal.actor, scope.patient_id)
        check = page_values(due, notice=REQUIRED_NOTICE)
    return _render_step(request, ctx, scope, pages, "check", {}, today=today, check=check)


@router.post("/session")
def session_step(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep, form: SessionForm
) -> Response:
    step = forms.text(form, "step", max_chars=10)
    if step not in STEPS:
        step = "check"
    action = forms.text(form, "action", max_chars=10)
    carried = _carried(form, _CARRY)
    actor = scope.principal.actor
    key = form.get("idempotency_key") if form is not None else None
    key = key if isinstance(key, str) and key else None
    if action == "stop" and step != "stop":
        return _render_step(request, ctx, scope, pages, "stop", carried)
    try:
        if step == "check":
            checked = submit_check(ctx.services, actor, scope.patient_id, form)
            if checked.outcome is None:
                return _render_step(
                    request, ctx, scope, pages, "check", {}, checked.error, check=checked.values
                )
            outcome = checked.outcome
            if not outcome.clear:
                notify_clinician(ctx, scope.patient_id, outcome.decision)
                return redirect("/decision")
            return _render_step(request, ctx, scope, pages, "before", {})
        if step == "before":
            carried = {
                "pain_before": str(forms.pain(form, "pain_before")),
                "location_before": forms.location(form, "location_before").code,
            }
            return _render_step(request, ctx, scope, pages, "exercise", carried)
        if step == "exercise":
            today = _today(ctx, scope)
            stage_id = None if today is None else today.stage_definition.id
            reps = forms.integer(form, "reps", 0, 1000, "number of repetitions")
            after = dict(carried, reps=str(reps))
            _carried_series(form, after, stage_id)
            return _render_step(request, ctx, scope, pages, "after", after)
        if step == "after":
            series = _carried_series(form, carried, None)
            counted = None if series is None else motion_series.recount(series)
            recorded = sessions.record_session(
                ctx.services,
                actor,
                scope.patient_id,
                forms.completed_session(
                    form,
                    motion=None if counted is None else counted.metrics,
                    motion_uncounted_ok=True,
                ),
                sessions.check_idempotency_key(key, "idempotency_key"),
            )
            if not recorded.replayed:
                notify_clinician(ctx, scope.patient_id, recorded.decision)
            if counted is not None and counted.refused:
                return redirect(f"/decision?camera={CAMERA_REFUSED}")
            return redirect("/decision")
        # step == "stop"
        pain_now = forms.pain(form, "pain_now")
        location_now = forms.location(form, "location_now")
        stopped = sessions.stop_now(
            ctx.services,
            actor,
            scope.patient_id,
            StopNowInput(
                pain_before=forms.pain(form, "pain_before"),
                pain_now=pain_now,
                location_before=forms.location(form, "location_before"),
                location_now=location_now,
                reps_done=forms.integer(form, "reps", 0, 1000) if "reps" in carried else 0,
            ),
            sessions.check_idempotency_key(key, "idempotency_key"),
        )
        if not stopped.replayed:
            notify_clinician(ctx, scope.patient_id, stopped.decision)
        return redirect("/decision")
    except InvalidInput as error:
        if not _about_series(error):
            return _render_step(request, ctx, scope, pages, step, carried, error=error.problem)
        # Not carried on: sending the step again keeps the session without the camera.
        carried.pop(motion_series.FIELD, None)
        message = (
            f"The camera's recording could not be used ({error}); send this step again to "
            "keep the repetitions you entered, without the camera's count."
        )
        return _render_step(request, ctx, scope, pages, step, carried, error=message)


def _about_series(error: InvalidInput) -> bool:
    return error.path.startswith((motion_series.FIELD, "motion.")) or error.path == "motion"


@router.get("/decision")
def decision_page(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    today = _today(ctx, scope)
    decision = None
    if today is not None and today.last_decision is not None:
        decision = decision_out(today.last_decision)
    return pages.render(
        request,
        "patient/decision.html",
        decision=decision,
        update=None if today is None or today.current_decision is not None else today.update,
        emergency_number=scope.patient.emergency_number.value,
        camera_refused=request.query_params.get("camera") == CAMERA_REFUSED,
        team=patient_team(ctx, scope),
    )


@router.get("/history")
def history_page(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    view = programme.history(ctx.services, scope.principal.actor, scope.patient_id)
    today = _today(ctx, scope)
    changes = [
        {
            "when": local_when(e.at, scope.patient.time_zone),
            "kind": e.kind.value.replace("_", " "),
            "reason": e.reason,
            "note": e.note,
        }
        for e in reversed(
            portal.programme_events(ctx.services, scope.principal.actor, scope.patient_id)
        )
    ]
    return pages.render(
        request,
        "patient/history.html",
        changes=changes,
        **history_values(view, today, ctx.clock.now()),
    )
