"""Clinician pages: patient list, patient page, plan changes, flags, resume, alerts, invite."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.domain.model import Phase, RuleSettings
from spinestep.errors import Conflict, InvalidInput, NotFound
from spinestep.services import clinician, dashboard, messages, programme, timeline
from spinestep.services.caseload_port import TimelineFilter
from spinestep.services.deciding import rule_settings
from spinestep.services.questionnaire_tracking import questionnaire_history, questionnaires_due
from spinestep.services.views import TodayView
from spinestep.web import forms, links
from spinestep.web.access import CareTeam, ClinicianOnly, Ctx, PatientScope
from spinestep.web.clinic_actions import (
    apply_plan_update,
    invite_patient,
    plan_update_from_form,
)
from spinestep.web.context import WebContext
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.present import plan_out
from spinestep.web.questionnaire_views import due_page_values, history_page_values
from spinestep.web.routers.patient_account_pages import protocol_choices
from spinestep.web.views_history import history_values, local_when, timeline_values

router = APIRouter(include_in_schema=False)

#: How far symptoms reach (SPEC §3.1), for the "furthest symptoms that still qualify" choice.
LOCATION_LABELS = (
    ("none", "no symptoms"),
    ("back", "the back only (default)"),
    ("buttock", "down to the buttock"),
    ("thigh", "down to the thigh"),
    ("below_knee", "below the knee"),
    ("foot", "down to the foot"),
)


def _when(at: datetime | None, time_zone: str = "UTC") -> str | None:
    return None if at is None else local_when(at, time_zone)


@router.get("/clinic")
def patient_list(request: Request, principal: ClinicianOnly, ctx: Ctx, pages: PagesDep) -> Response:
    rows = dashboard.attention_list(ctx.services, principal.actor)
    patients = [
        {
            "id": r.patient_id,
            "display_name": r.display_name,
            "level": r.attention.level,
            "label": r.attention.label,
            "reason": r.reason,
            "protocol": r.protocol_id,
            "stage": r.stage,
            "status": None if r.status is None else r.status.value,
            "last_session": _when(r.last_session_at, r.time_zone),
            "adherence": r.adherence_7d_percent,
            "maintenance": r.phase is not None and r.phase.value == "maintenance",
            "unread": r.unread_messages,
        }
        for r in rows
    ]
    unread_total = sum(r.unread_messages for r in rows)
    return pages.render(
        request, "clinic/patients.html", patients=patients, unread_total=unread_total
    )


def _today_or_none(ctx: WebContext, scope: PatientScope) -> TodayView | None:
    try:
        return programme.today(ctx.services, scope.principal.actor, scope.patient_id)
    except NotFound:
        return None


def timeline_query(request: Request) -> tuple[date | None, TimelineFilter]:
    """The timeline page asked for: ``before`` (a local date) and ``show`` (a filter)."""
    raw_before = request.query_params.get("before", "")
    raw_show = request.query_params.get("show", "") or TimelineFilter.ALL.value
    try:
        shown = TimelineFilter(raw_show)
    except ValueError:
        choices = ", ".join(f.value for f in TimelineFilter)
        raise InvalidInput("show", f"must be one of {choices}") from None
    if not raw_before:
        return None, shown
    try:
        before = date.fromisoformat(raw_before)
    except ValueError:
        raise InvalidInput("before", "must be a date written 2026-12-31") from None
    if len(raw_before) != 10:
        raise InvalidInput("before", "must be a date written 2026-12-31")
    return before, shown


def _patient_values(
    ctx: WebContext,
    scope: PatientScope,
    before: date | None = None,
    shown: TimelineFilter = TimelineFilter.ALL,
) -> dict[str, Any]:
    actor = scope.principal.actor
    today = _today_or_none(ctx, scope)
    history = timeline.recent_history(ctx.services, actor, scope.patient_id)
    page = timeline.timeline_page(ctx.services, actor, scope.patient_id, before=before, shown=shown)
    zone = scope.patient.time_zone
    flags = [
        {
            "id": f.id,
            "question": f.question,
            "urgency": f.urgency.value,
            "when": _when(f.reported_at, zone),
        }
        for f in clinician.red_flags(ctx.services, actor, scope.patient_id)
        if f.resolved_at is None
    ]
    values = history_values(history, today, ctx.clock.now()) if history.sessions else {}
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(scope.patient_id)
    rules = RuleSettings() if assignment is None else rule_settings(assignment)
    settings = {
        "progress_after_sessions": rules.progress_after_sessions,
        "min_days_at_stage": rules.min_days_at_stage,
        "worsening_points": rules.worsening_points,
        "progress_max_pain": rules.progress_max_pain,
        "progress_max_location": rules.progress_max_location.code,
        "maintenance_sessions_per_day": rules.maintenance_sessions_per_day,
        "phase": Phase.PROGRESSION.value if assignment is None else assignment.phase.value,
        "outcome_measure": assignment.outcome_measure.value if assignment else "odi",
        "psfs_enabled": assignment.psfs_enabled if assignment else False,
    }
    due = questionnaires_due(ctx.services, actor, scope.patient_id)
    found = questionnaire_history(ctx.services, actor, scope.patient_id)
    return {
        "patient": {"id": scope.patient_id, "display_name": scope.patient.display_name},
        "plan": None if today is None else plan_out(today, []),
        "flags": flags,
        **timeline_values(page),
        "protocols": protocol_choices(),
        "max_stages": 4,
        "settings": settings,
        "locations": LOCATION_LABELS,
        "sessions": values.get("sessions", []),
        "pain_chart": values.get("pain_chart", ""),
        "stage_chart": values.get("stage_chart", ""),
        "adherence_chart": values.get("adherence_chart", ""),
        "adherence_text": values.get("adherence_text", ""),
        "rom_chart": values.get("rom_chart", ""),
        "rom_rows": values.get("rom_rows", []),
        "due": due_page_values(due, ctx.clock.now(), zone),
        "history": history_page_values(found, zone),
    }


def _patient_page(
    request: Request,
    ctx: WebContext,
    scope: PatientScope,
    pages: PagesDep,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    before: date | None = None,
    shown: TimelineFilter = TimelineFilter.ALL,
) -> Response:
    return pages.render(
        request,
        "clinic/patient.html",
        status_code=status_code,
        notice=notice,
        error=error,
        **_patient_values(ctx, scope, before, shown),
        unread_messages=messages.unread_count(
            ctx.services, scope.principal.actor, scope.patient_id
        ),
    )


@router.get("/clinic/patients/{patient_id}")
def patient_page(request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep) -> Response:
    """The patient page; its timeline shows one page of days (``before``, ``show``)."""
    notice = {
        "plan": "The programme was saved.",
        "resolved": "The red flag was resolved.",
        "resumed": "The programme was resumed.",
    }.get(request.query_params.get("done", ""))
    try:
        before, shown = timeline_query(request)
    except InvalidInput as error:
        return _patient_page(request, ctx, scope, pages, error=str(error), status_code=422)
    return _patient_page(request, ctx, scope, pages, notice=notice, before=before, shown=shown)


@router.post("/clinic/patients/{patient_id}/plan")
def patient_plan(
    request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    try:
        apply_plan_update(ctx, scope, plan_update_from_form(form))
    except (InvalidInput, Conflict) as error:
        return _patient_page(request, ctx, scope, pages, error=str(error), status_code=422)
    return redirect(f"/clinic/patients/{scope.patient_id}?done=plan")


@router.post("/clinic/patients/{patient_id}/red-flags/{flag_id}/resolve")
def patient_resolve_flag(
    request: Request,
    flag_id: int,
    scope: CareTeam,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    try:
        clinician.resolve_red_flag(
            ctx.services,
            scope.principal.actor,
            scope.patient_id,
            flag_id,
            forms.text(form, "outcome", max_chars=2000, required=True),
        )
    except (InvalidInput, Conflict) as error:
        return _patient_page(request, ctx, scope, pages, error=str(error), status_code=422)
    return redirect(f"/clinic/patients/{scope.patient_id}?done=resolved")


@router.post("/clinic/patients/{patient_id}/resume")
def patient_resume(
    request: Request, scope: CareTeam, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    try:
        phase = forms.text(form, "phase", max_chars=20)
        if phase and phase not in {p.value for p in Phase}:
            raise InvalidInput("phase", "choose progression or maintenance")
        clinician.resume(
            ctx.services,
            scope.principal.actor,
            scope.patient_id,
            forms.text(form, "note", max_chars=2000),
            stage=forms.optional_integer(form, "current_stage", 1, 20),
            phase=Phase(phase) if phase else None,
        )
    except (InvalidInput, Conflict) as error:
        return _patient_page(request, ctx, scope, pages, error=str(error), status_code=409)
    return redirect(f"/clinic/patients/{scope.patient_id}?done=resumed")


@router.get("/clinic/alerts")
def alerts_page(request: Request, principal: ClinicianOnly, ctx: Ctx, pages: PagesDep) -> Response:
    alerts = [
        {
            "patient_id": a.patient_id,
            "display_name": a.display_name,
            "urgency": a.urgency.value,
            "summary": a.summary + (" (resolved)" if a.resolved else ""),
            "when": _when(a.at),
        }
        for a in dashboard.alerts(ctx.services, principal.actor)
    ]
    return pages.render(request, "clinic/alerts.html", alerts=alerts)


@router.get("/clinic/invite")
def invite_page(request: Request, principal: ClinicianOnly, pages: PagesDep) -> Response:
    return pages.render(request, "clinic/invite.html", link=None, default_tz="UTC", error=None)


@router.post("/clinic/invite")
def invite_submit(
    request: Request, principal: ClinicianOnly, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    try:
        issued = invite_patient(
            ctx,
            principal,
            email=forms.text(form, "email", max_chars=320, required=True),
            display_name=forms.text(form, "display_name", max_chars=200) or "New patient",
            time_zone=forms.text(form, "time_zone", max_chars=64) or "UTC",
            emergency_number=forms.text(form, "emergency_number", max_chars=3) or "112",
        )
    except (InvalidInput, Conflict) as error:
        return pages.render(
            request,
            "clinic/invite.html",
            status_code=422,
            link=None,
            default_tz="UTC",
            error=str(error),
        )
    link = links.absolute_url(ctx.settings, f"/invite/{issued.token}")  # never from Host
    expires = issued.expires_at.astimezone(ZoneInfo("UTC")).strftime("%d %b %Y %H:%M UTC")
    return pages.render(
        request, "clinic/invite.html", link=link, expires=expires, default_tz="UTC", error=None
    )
