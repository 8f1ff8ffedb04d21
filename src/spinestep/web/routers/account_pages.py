"""The Account page of every signed-in person: who they are, and changing their password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.errors import InvalidInput
from spinestep.services import care_team
from spinestep.web import forms
from spinestep.web.access import Ctx, SignedIn
from spinestep.web.account_actions import change_own_password
from spinestep.web.care_contacts import details_json
from spinestep.web.pages import CheckedForm, PagesDep, redirect

router = APIRouter(include_in_schema=False)
_DONE = {
    "password": "Your password was changed.",
    "contacts": "Your contact details were saved.",
}


@router.get("/account")
def account_page(request: Request, principal: SignedIn, ctx: Ctx, pages: PagesDep) -> Response:
    done = request.query_params.get("done")
    notice = _DONE.get(done or "")
    contacts = None
    if principal.is_clinician:
        contacts = details_json(care_team.own_contacts(ctx.services, principal.actor))
    return pages.render(request, "account.html", notice=notice, error=None, contacts=contacts)


@router.post("/account/password")
def change_password(
    request: Request, principal: SignedIn, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    try:
        current = forms.password(form, "current_password", required=True)
        new = forms.password(form, "new_password", required=True)
        if new != forms.password(form, "new_password_again"):
            raise InvalidInput("new_password_again", "does not match the new password")
        change_own_password(ctx, request, principal, current, new)
    except InvalidInput as error:
        return pages.render(request, "account.html", status_code=422, notice=None, error=str(error))
    return redirect("/account?done=password")
