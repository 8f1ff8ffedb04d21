"""API for clinicians: patients, records, plan changes, flags, resume, alerts, invites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from spinestep.domain.instants import MAX_ID
from spinestep.domain.model import DirectionalPreference, Dose, Location, Phase
from spinestep.errors import NotFound
from spinestep.services import clinician, dashboard, programme
from spinestep.services.records import OutcomeMeasure
from spinestep.web import links
from spinestep.web.access import CareTeam, ClinicianOnly, Ctx
from spinestep.web.clinic_actions import PlanUpdate, apply_plan_update, invite_patient
from spinestep.web.present import decision_out, plan_out, red_flag_out, session_out
from spinestep.web.schemas import (
    AlertOut,
    AttentionOut,
    InviteIn,
    InviteOut,
    PatientDetailOut,
    PatientSummaryOut,
    PlanOut,
    PlanUpdateIn,
    RedFlagOut,
    ResolveFlagIn,
    ResumeIn,
    error_responses,
)

router = APIRouter(tags=["clinician"])
_CLINIC_ERRORS = error_responses(401, 403)
_PATIENT_ERRORS = error_responses(401, 403, 404, 422)


@router.get("/api/v1/patients", response_model=list[PatientSummaryOut], responses=_CLINIC_ERRORS)
def list_patients(principal: ClinicianOnly, ctx: Ctx) -> list[PatientSummaryOut]:
    """My patients, the ones needing attention first (flags, stops, regressions, adherence)."""
    return [
        PatientSummaryOut(
            id=row.patient_id,
            display_name=row.display_name,
            protocol=row.protocol_id,
            stage=row.stage,
            status=None if row.status is None else row.status.value,
            attention=AttentionOut(
                rank=int(row.attention), level=row.attention.level, reason=row.reason
            ),
            adherence_7d_percent=row.adherence_7d_percent,
            unread_messages=row.unread_messages,
        )
        for row in dashboard.attention_list(ctx.services, principal.actor)
    ]


@router.get("/api/v1/alerts", response_model=list[AlertOut], responses=_CLINIC_ERRORS)
def list_alerts(principal: ClinicianOnly, ctx: Ctx) -> list[AlertOut]:
    """Emergency and urgent red flags and stops of the last 30 days, open ones first."""
    return [
        AlertOut(
            patient_id=a.patient_id,
            display_name=a.display_name,
            kind=a.kind,
            urgency=a.urgency.value,
            at=a.at,
            summary=a.summary,
        )
        for a in dashboard.alerts(ctx.services, principal.actor)
    ]


@router.post(
    "/api/v1/invites",
    status_code=201,
    response_model=InviteOut,
    responses=error_responses(401, 403, 409, 422),
)
def create_invite(body: InviteIn, principal: ClinicianOnly, ctx: Ctx) -> InviteOut:
    """Create a patient profile (not yet cleared) and a one-time link for the patient.

    The link starts with `SPINESTEP_PUBLIC_URL`; without it (and not on loopback), 409."""
    issued = invite_patient(
        ctx,
        principal,
        email=body.email,
        display_name=body.display_name,
        time_zone=body.time_zone,
        emergency_number=body.emergency_number,
    )
    url = links.absolute_url(ctx.settings, f"/invite/{issued.token}")  # never from Host
    return InviteOut(url=url, expires_at=issued.expires_at)


def _plan(ctx: Ctx, scope: CareTeam) -> PlanOut | None:
    try:
        today = programme.today(ctx.services, scope.principal.actor, scope.patient_id)
    except NotFound:
        return None
    return plan_out(today, [])


@router.get(
    "/api/v1/patients/{patient_id}", response_model=PatientDetailOut, responses=_PATIENT_ERRORS
)
def patient_detail(scope: CareTeam, ctx: Ctx) -> PatientDetailOut:
    """The patient's plan, red flags, and the timeline of sessions and decisions with reasons."""
    actor = scope.principal.actor
    history = programme.history(ctx.services, actor, scope.patient_id)
    return PatientDetailOut(
        id=scope.patient_id,
        display_name=scope.patient.display_name,
        time_zone=scope.patient.time_zone,
        emergency_number=scope.patient.emergency_number.value,
        plan=_plan(ctx, scope),
        red_flags=[
            red_flag_out(f) for f in clinician.red_flags(ctx.services, actor, scope.patient_id)
        ],
        sessions=[session_out(s) for s in history.sessions],
        decisions=[decision_out(d) for d in history.decisions],
    )


@router.patch(
    "/api/v1/patients/{patient_id}/plan",
    response_model=PlanOut | None,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_plan(body: PlanUpdateIn, scope: CareTeam, ctx: Ctx) -> PlanOut | None:
    """Prescribe or adjust: protocol, stage, phase, dose of the stage, settings, clearance,
    preference. ``reason`` (the clinician's words) is kept with the events of the change."""
    settings = body.settings
    apply_plan_update(
        ctx,
        scope,
        PlanUpdate(
            protocol=body.protocol,
            stage=body.current_stage,
            dose=None
            if body.dose is None
            else Dose(
                body.dose.reps, body.dose.hold_s[0], body.dose.hold_s[1], body.dose.sessions_per_day
            ),
            progress_after_sessions=None if settings is None else settings.progress_after_sessions,
            min_days_at_stage=None if settings is None else settings.min_days_at_stage,
            worsening_points=None if settings is None else settings.worsening_points,
            progress_max_pain=None if settings is None else settings.progress_max_pain,
            progress_max_location=None
            if settings is None or settings.progress_max_location is None
            else Location.from_code(settings.progress_max_location),
            maintenance_sessions_per_day=None
            if settings is None
            else settings.maintenance_sessions_per_day,
            clearance=body.clearance,
            directional_preference=None
            if body.directional_preference is None
            else DirectionalPreference(body.directional_preference),
            outcome_measure=None
            if body.outcome_measure is None
            else OutcomeMeasure(body.outcome_measure),
            psfs_enabled=body.psfs_enabled,
            phase=None if body.phase is None else Phase(body.phase),
            reason=body.reason.strip() or None,
        ),
    )
    return _plan(ctx, scope)


@router.post(
    "/api/v1/patients/{patient_id}/red-flags/{flag_id}/resolve",
    response_model=RedFlagOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def resolve_flag(
    flag_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ResolveFlagIn, scope: CareTeam, ctx: Ctx
) -> RedFlagOut:
    """Record the outcome of the review or referral and close the flag (audited)."""
    view = clinician.resolve_red_flag(
        ctx.services, scope.principal.actor, scope.patient_id, flag_id, body.outcome
    )
    return red_flag_out(view)


@router.post(
    "/api/v1/patients/{patient_id}/resume",
    response_model=PlanOut | None,
    responses=error_responses(401, 403, 404, 409, 422),
)
def resume(body: ResumeIn, scope: CareTeam, ctx: Ctx) -> PlanOut | None:
    """Resume a paused programme (refused while a red flag is open); the note is kept with
    the resume event. Optionally at another stage or phase."""
    clinician.resume(
        ctx.services,
        scope.principal.actor,
        scope.patient_id,
        body.note,
        stage=body.current_stage,
        phase=None if body.phase is None else Phase(body.phase),
    )
    return _plan(ctx, scope)
