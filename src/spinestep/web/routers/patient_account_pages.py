"""The patient's account pages: onboarding questions, resume after an assessment, my data."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.domain.redflags import flags_for_onboarding
from spinestep.errors import InvalidInput, PermissionDenied
from spinestep.protocols import builtin_protocols
from spinestep.services import clinician, portal, privacy
from spinestep.services.assessment import parse_assessment
from spinestep.web import forms
from spinestep.web.access import Ctx, PatientAccount, PatientSelf
from spinestep.web.care_contacts import patient_team
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.patient_actions import NewProfile, onboard_account
from spinestep.web.security import SESSION_COOKIE
from spinestep.web.slow_work import run_slow

router = APIRouter(include_in_schema=False)


def protocol_choices() -> list[tuple[str, str]]:
    return [(pid, p.title) for pid, p in sorted(builtin_protocols().items())]


def _profile_id(ctx: Ctx, principal: PatientAccount) -> int | None:
    with ctx.uow() as uow:
        patient = uow.patients.by_user(principal.user_id)
    return None if patient is None else patient.id


@router.get("/onboarding")
def onboarding_page(
    request: Request, principal: PatientAccount, ctx: Ctx, pages: PagesDep
) -> Response:
    patient_id = _profile_id(ctx, principal)
    if patient_id is not None and portal.onboarding_screened(
        ctx.services, principal.actor, patient_id
    ):
        return redirect("/today")
    return pages.render(
        request,
        "patient/onboarding.html",
        needs_profile=patient_id is None,
        flags=flags_for_onboarding(),
        protocols=protocol_choices(),
    )


@router.post("/onboarding")
def onboarding_submit(
    request: Request, principal: PatientAccount, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    patient_id = _profile_id(ctx, principal)
    try:
        answers = {f.code: forms.yes_no(form, f"flag_{f.code}") for f in flags_for_onboarding()}
        profile = None
        if patient_id is None:
            profile = NewProfile(
                display_name=forms.text(form, "display_name", max_chars=200, required=True),
                time_zone=forms.text(form, "time_zone", max_chars=64, required=True),
                emergency_number=forms.text(form, "emergency_number", max_chars=3),
                protocol=forms.text(form, "protocol", max_chars=64),
                clearance_confirmed=forms.checked(form, "clearance"),
            )
        onboard_account(ctx, principal, patient_id, answers, profile)
    except InvalidInput as error:
        return pages.render(
            request,
            "patient/onboarding.html",
            status_code=422,
            error=error.problem if error.path.startswith("flag_") else str(error),
            needs_profile=patient_id is None,
            flags=flags_for_onboarding(),
            protocols=protocol_choices(),
        )
    return redirect("/today")


def _resume_form(
    request: Request,
    scope: PatientSelf,
    ctx: Ctx,
    pages: PagesDep,
    values: dict[str, str],
    error: InvalidInput | None = None,
) -> Response:
    if not scope.patient.self_managed:
        raise PermissionDenied("your clinician resumes the programme after seeing you")
    today = ctx.clock.now().astimezone(ZoneInfo(scope.patient.time_zone)).date()
    return pages.render(
        request,
        "patient/resume.html",
        status_code=200 if error is None else 422,
        values=values,
        today=today.isoformat(),
        error=None if error is None else _RESUME_LABELS.get(error.path, "") + error.problem,
        error_field=None if error is None else error.path,
        team=patient_team(ctx, scope),
    )


_RESUME_FIELDS = ("assessed_by", "assessed_on", "told")
_RESUME_LABELS = {
    "assessed_by": "Who assessed you: ",
    "assessed_on": "The date you were assessed: ",
    "told": "What you were told: ",
}


@router.get("/resume")
def resume_page(request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep) -> Response:
    return _resume_form(request, scope, ctx, pages, {})


@router.post("/resume")
def resume_submit(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    """All three answers are required; a missing or wrong one is named and the others kept."""
    values: dict[str, str] = {}
    try:
        for name in _RESUME_FIELDS:
            values[name] = forms.text(form, name, max_chars=2000)
        assessment = parse_assessment(values["assessed_by"], values["assessed_on"], values["told"])
        clinician.resume(
            ctx.services, scope.principal.actor, scope.patient_id, assessment=assessment
        )
    except InvalidInput as error:
        return _resume_form(request, scope, ctx, pages, values, error)
    return redirect("/today")


@router.get("/my-data")
def my_data_page(request: Request, scope: PatientSelf, pages: PagesDep) -> Response:
    return pages.render(
        request, "patient/data.html", self_managed=scope.patient.self_managed, notice=None
    )


@router.post("/my-data/export")
async def my_data_export(
    request: Request, scope: PatientSelf, ctx: Ctx, form: CheckedForm
) -> Response:
    actor, patient_id = scope.principal.actor, scope.patient_id

    def build() -> str:  # read and encoded in a thread for slow requests
        data = privacy.export_patient_data(ctx.services, actor, patient_id)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str)

    return Response(
        await run_slow(request, build),
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="spinestep-my-data.json"'},
    )


@router.post("/my-data/delete")
def my_data_delete(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    if not forms.checked(form, "confirm"):
        raise InvalidInput("confirm", "tick the box to confirm")
    outcome = privacy.delete_account(ctx.services, scope.principal.actor, scope.patient_id)
    if outcome.deleted:
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    return pages.render(
        request,
        "patient/data.html",
        self_managed=False,
        notice="Your request has been sent to the clinic's administrator.",
    )
