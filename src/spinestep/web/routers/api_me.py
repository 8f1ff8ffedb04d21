"""API for a patient's own record (``/api/v1/me``): plan, safety check, sessions, history, data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from spinestep.domain.model import Effort, Location
from spinestep.domain.redflags import RedFlag, flags_for_session
from spinestep.errors import PermissionDenied
from spinestep.services import clinician, privacy, programme, screening, sessions
from spinestep.services.assessment import parse_assessment
from spinestep.services.records import FlagSource
from spinestep.services.screening import ScreeningForm
from spinestep.services.sessions import SessionInput, StopNowInput
from spinestep.services.views import SessionOutcome
from spinestep.web.access import (
    Ctx,
    PatientAccount,
    PatientSelf,
    PatientSelfCredential,
    own_profile,
)
from spinestep.web.motion_series import parse_motion_series, recount, series_errors
from spinestep.web.notify import notify_clinician
from spinestep.web.patient_actions import NewProfile, onboard_account, own_today
from spinestep.web.present import decision_out, plan_out, session_out
from spinestep.web.schemas import (
    DecisionOut,
    DeletionOut,
    HistoryOut,
    OnboardingIn,
    PlanOut,
    QuestionOut,
    ScreeningDueOut,
    ScreeningIn,
    ScreeningOut,
    SelfResumeIn,
    SessionIn,
    SessionOutcomeOut,
    StopNowIn,
    error_responses,
)
from spinestep.web.slow_work import run_slow

router = APIRouter(tags=["patient"])
_PATIENT_ERRORS = error_responses(401, 403, 404)
SESSION_FLAGS = [flag.code for flag in flags_for_session()]
#: ``Idempotency-Key`` (SPEC §3.5): a retry with the same key gets the first answer again.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="1-100 printable ASCII characters; a repeated key returns the first "
        "answer and stores nothing new",
    ),
]


def _checked_key(key: str | None) -> str | None:
    return sessions.check_idempotency_key(key, "Idempotency-Key")


def _question_list(flags: Iterable[RedFlag]) -> list[QuestionOut]:
    return [QuestionOut(code=f.code, question=f.question, urgency=f.urgency.value) for f in flags]


def _questions(ctx: Ctx, scope: PatientSelf) -> list[QuestionOut]:
    flags = screening.session_questions(ctx.services, scope.principal.actor, scope.patient_id)
    return _question_list(flags)


@router.get("/api/v1/me/plan", response_model=PlanOut, responses=_PATIENT_ERRORS)
def my_plan(credential: PatientSelfCredential, ctx: Ctx) -> Response:
    """Today: stage, instructions, dose, sessions done today of those planned, pause state."""
    # The credential and the plan: one worker-thread call, one unit of work.
    view = programme.today_for(ctx.services, credential.identify)
    body = plan_out(view, SESSION_FLAGS).model_dump_json().encode()
    return Response(body, media_type="application/json")


@router.post(
    "/api/v1/me/onboarding",
    status_code=201,
    response_model=ScreeningOut,
    responses=error_responses(401, 403, 409, 422),
)
def my_onboarding(
    body: OnboardingIn, request: Request, principal: PatientAccount, ctx: Ctx
) -> ScreeningOut:
    """Answer the onboarding questions; a self-managed person also creates their profile."""
    scope = own_profile(request, principal)
    outcome = onboard_account(
        ctx,
        principal,
        None if scope is None else scope.patient_id,
        dict(body.red_flag_answers),
        NewProfile(
            display_name=body.display_name,
            time_zone=body.time_zone,
            emergency_number=body.emergency_number,
            protocol=body.protocol,
            clearance_confirmed=body.clearance_confirmed,
        ),
    )
    if outcome is None:
        return ScreeningOut(flagged=[], decision=None)
    return ScreeningOut(
        flagged=list(outcome.flagged),
        decision=None if outcome.decision is None else decision_out(outcome.decision),
    )


@router.get(
    "/api/v1/me/screening-questions", response_model=list[QuestionOut], responses=_PATIENT_ERRORS
)
def my_screening_questions(scope: PatientSelf, ctx: Ctx) -> list[QuestionOut]:
    """The red-flag questions to ask before a session now, each on its own."""
    return _questions(ctx, scope)


@router.get("/api/v1/me/screening", response_model=ScreeningDueOut, responses=_PATIENT_ERRORS)
def my_screening_due(scope: PatientSelf, ctx: Ctx) -> ScreeningDueOut:
    """The safety check due now: ``full`` (each question on its own) before the first
    session of the local day, ``combined`` (one question for the every-session flags)
    later that day. A session is refused (409 ``screening_required``) without a complete
    check taken since the previous session and at most 2 hours before."""
    due = screening.due_screening(ctx.services, scope.principal.actor, scope.patient_id)
    combined = due.form is ScreeningForm.COMBINED
    return ScreeningDueOut(
        form="combined" if combined else "full",
        combined_question=screening.COMBINED_QUESTION if combined else None,
        combined_codes=[flag.code for flag in due.every_session] if combined else [],
        questions=_question_list(due.questions),
    )


@router.post(
    "/api/v1/me/screening",
    status_code=201,
    response_model=ScreeningOut,
    responses=error_responses(401, 403, 404, 422),
)
def my_screening(body: ScreeningIn, scope: PatientSelf, ctx: Ctx) -> ScreeningOut:
    """Record the safety check before a session; a "yes" pauses the programme at once.

    Every question due must be answered (422 naming the missing codes), unless one
    answer is yes; ``none_started: true`` answers the combined question no."""
    outcome = screening.record_screening(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        dict(body.answers),
        FlagSource.SESSION,
        none_started=body.none_started,
    )
    notify_clinician(ctx, scope.patient_id, outcome.decision)
    return ScreeningOut(
        flagged=list(outcome.flagged),
        decision=None if outcome.decision is None else decision_out(outcome.decision),
    )


def _outcome(outcome: SessionOutcome) -> SessionOutcomeOut:
    return SessionOutcomeOut(
        session=session_out(outcome.session),
        decision=decision_out(outcome.decision),
        stage_before=outcome.stage_before,
        stage_after=outcome.stage_after,
        paused=outcome.paused,
        motion=outcome.session.motion,
    )


@router.post(
    "/api/v1/me/sessions",
    status_code=201,
    response_model=SessionOutcomeOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def my_session(
    body: SessionIn, scope: PatientSelf, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> SessionOutcomeOut:
    """Record a session; the rules decide at once and the decision comes back with its reasons.

    Refused with 409 ``screening_required`` (nothing stored) without a complete safety
    check taken since the previous session and at most 2 hours before.

    With ``motion_series`` (the camera coach's per-frame angles) the server counts reps,
    holds and ROM again, as ``spinestep analyze`` does, and keeps that as the session's
    ``motion`` (also in the answer); ``reps`` stays the number given. Footage refused as
    ``spinestep analyze`` refuses it (not side-on, a person in fewer than 70 % of frames,
    on its side) counts nothing (``motion.side_view`` false) but the session is saved.
    A malformed series, or one of another exercise than the programme's stage, is
    refused with 422 naming the value."""
    key = _checked_key(idempotency_key)
    series = None if body.motion_series is None else parse_motion_series(body.motion_series)
    counted = None if series is None else recount(series)
    entry = SessionInput(
        effort=Effort(body.effort),
        pain_before=body.pain_before,
        pain_during=body.pain_during,
        pain_after=body.pain_after,
        location_before=Location.from_code(body.location_before),
        location_after=Location.from_code(body.location_after),
        completed=body.completed,
        reps=body.reps,
        motion=None if counted is None else counted.metrics,
        motion_uncounted_ok=True,
    )
    with series_errors():
        outcome = sessions.record_session(
            ctx.services, scope.principal.actor, scope.patient_id, entry, key
        )
    if not outcome.replayed:
        notify_clinician(ctx, scope.patient_id, outcome.decision)
    return _outcome(outcome)


@router.post(
    "/api/v1/me/stop-now",
    status_code=201,
    response_model=SessionOutcomeOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def my_stop_now(
    body: StopNowIn, scope: PatientSelf, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> SessionOutcomeOut:
    """ "Stop now — my symptoms are spreading or getting worse": saved as not completed."""
    key = _checked_key(idempotency_key)
    outcome = sessions.stop_now(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        StopNowInput(
            pain_before=body.pain_before,
            pain_now=body.pain_now,
            location_before=Location.from_code(body.location_before),
            location_now=Location.from_code(body.location_now),
            reps_done=body.reps,
        ),
        key,
    )
    if not outcome.replayed:
        notify_clinician(ctx, scope.patient_id, outcome.decision)
    return _outcome(outcome)


@router.get("/api/v1/me/decision", response_model=DecisionOut | None, responses=_PATIENT_ERRORS)
def my_decision(scope: PatientSelf, ctx: Ctx) -> DecisionOut | None:
    """The latest decision with its reasons (null before the first session)."""
    today = own_today(ctx, scope)
    return None if today.last_decision is None else decision_out(today.last_decision)


@router.get("/api/v1/me/history", response_model=HistoryOut, responses=_PATIENT_ERRORS)
def my_history(scope: PatientSelf, ctx: Ctx) -> HistoryOut:
    view = programme.history(ctx.services, scope.principal.actor, scope.patient_id)
    return HistoryOut(
        sessions=[session_out(s) for s in view.sessions],
        decisions=[decision_out(d) for d in view.decisions],
    )


@router.post(
    "/api/v1/me/resume", status_code=204, responses=error_responses(401, 403, 404, 409, 422)
)
def my_resume(body: SelfResumeIn, scope: PatientSelf, ctx: Ctx) -> None:
    """A self-managed person resumes after an assessment: who assessed them, the date
    (YYYY-MM-DD, not before the pause or flag, not in the future) and what they were told;
    the open red flags close with the same words. Clinic patients: 403."""
    if not scope.patient.self_managed:
        raise PermissionDenied("your clinician resumes the programme after seeing you")
    clinician.resume(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        assessment=parse_assessment(body.assessed_by, body.assessed_on, body.told),
    )


@router.get("/api/v1/me/export", response_model=dict[str, Any], responses=_PATIENT_ERRORS)
async def my_export(request: Request, scope: PatientSelf, ctx: Ctx) -> Response:
    """Everything held about me, as one JSON object."""
    actor, patient_id = scope.principal.actor, scope.patient_id

    def build() -> Response:  # read and encoded in a thread for slow requests
        data = privacy.export_patient_data(ctx.services, actor, patient_id)
        return JSONResponse(jsonable_encoder(data))

    return await run_slow(request, build)


@router.delete("/api/v1/me", response_model=DeletionOut, responses=_PATIENT_ERRORS)
def delete_me(scope: PatientSelf, ctx: Ctx) -> DeletionOut:
    """Self-managed: delete my account and data now. Clinic patient: ask the clinic's admin."""
    outcome = privacy.delete_account(ctx.services, scope.principal.actor, scope.patient_id)
    if outcome.deleted:
        return DeletionOut(status="deleted", message="your account and all your data were deleted")
    return DeletionOut(status="requested", message="the clinic's admin will carry out the deletion")
