"""The Account page of every signed-in person: who they are, and changing their password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.errors import InvalidInput
from spinestep.web import forms
from spinestep.web.access import Ctx, SignedIn
from spinestep.web.account_actions import change_own_password
from spinestep.web.pages import CheckedForm, PagesDep, redirect

router = APIRouter(include_in_schema=False)


@router.get("/account")
def account_page(request: Request, principal: SignedIn, pages: PagesDep) -> Response:
    done = request.query_params.get("done") == "password"
    notice = "Your password was changed." if done else None
    return pages.render(request, "account.html", notice=notice, error=None)


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
