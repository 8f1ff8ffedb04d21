"""Pages for the care team's contact details: the clinic's (admin) and a clinician's own
(on their Account page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.domain.contacts import MAX_EMAIL_CHARS, MAX_HOURS_CHARS, MAX_PHONE_CHARS
from spinestep.errors import InvalidInput
from spinestep.services import care_team
from spinestep.web import forms
from spinestep.web.access import AdminOnly, ClinicianOnly, Ctx
from spinestep.web.care_contacts import details_json
from spinestep.web.pages import CheckedForm, PagesDep, redirect

router = APIRouter(include_in_schema=False)
_LIMIT = 1000  # what a form field may hold before the service's own checks


def _fields(form: CheckedForm) -> dict[str, str]:
    return {name: forms.text(form, name, max_chars=_LIMIT) for name in ("phone", "email", "hours")}


@router.get("/admin/clinic")
def clinic_page(request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep) -> Response:
    details = care_team.clinic_contacts(ctx.services, principal.actor)
    notice = (
        "The clinic's contact details were saved." if request.query_params.get("done") else None
    )
    return pages.render(
        request,
        "admin/clinic.html",
        values=details_json(details),
        notice=notice,
        error=None,
        error_field=None,
        limits=(MAX_PHONE_CHARS, MAX_EMAIL_CHARS, MAX_HOURS_CHARS),
    )


@router.post("/admin/clinic")
def save_clinic(
    request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    given: dict[str, str] = {}
    try:
        given = _fields(form)
        care_team.set_clinic_contacts(ctx.services, principal.actor, **given)
    except InvalidInput as error:
        return pages.render(
            request,
            "admin/clinic.html",
            status_code=422,
            values=given,
            notice=None,
            error=str(error),
            error_field=error.path,
            limits=(MAX_PHONE_CHARS, MAX_EMAIL_CHARS, MAX_HOURS_CHARS),
        )
    return redirect("/admin/clinic?done=saved")


@router.post("/account/contacts")
def save_own_contacts(
    request: Request, principal: ClinicianOnly, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    given: dict[str, str] = {}
    try:
        given = _fields(form)
        care_team.set_own_contacts(ctx.services, principal.actor, **given)
    except InvalidInput as error:
        return pages.render(
            request,
            "account.html",
            status_code=422,
            notice=None,
            error=str(error),
            contacts=given,
            contacts_error_field=error.path,
        )
    return redirect("/account?done=contacts")
