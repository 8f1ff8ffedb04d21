"""The admin's pages: accounts, and carrying out deletion requests (SPEC §7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from spinestep.domain.instants import MAX_ID
from spinestep.errors import Conflict, InvalidInput, NotFound
from spinestep.services import accounts, privacy
from spinestep.services.records import Role
from spinestep.web import forms
from spinestep.web.access import AdminOnly, Ctx
from spinestep.web.account_actions import reset_account
from spinestep.web.errors import status_for
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.views_history import local_when

router = APIRouter(include_in_schema=False)
_NO_ADMIN_PASSWORDS = (
    "admins no longer set passwords: use Reset on the Accounts page, which makes a one-time "
    "link with which the person chooses their own"
)
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
_DONE = {
    "user": "The account was added.",
    "deactivated": "The account was deactivated: it can no longer sign in.",
    "activated": "The account was reactivated: it can sign in again.",
    "reset": (
        "The account was reset: its password, sessions and API tokens no longer work. "
        "A link to choose a new password was e-mailed to its address (valid 24 hours)."
    ),
}


def _accounts_page(
    request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep, **values: Any
) -> Response:
    users = accounts.list_users(ctx.services, principal.actor)
    values.setdefault("notice", None)
    values.setdefault("error", None)
    return pages.render(request, "admin/accounts.html", users=users, **values)


@router.get("/admin")
def accounts_page(request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep) -> Response:
    notice = _DONE.get(request.query_params.get("done", ""))
    return _accounts_page(request, principal, ctx, pages, notice=notice)


@router.post("/admin/users")
def add_account(
    request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    role = forms.text(form, "role", max_chars=20)
    try:
        if role not in {r.value for r in Role}:
            raise InvalidInput("role", "choose clinician, admin or patient")
        accounts.create_user(
            ctx.services,
            principal.actor,
            forms.text(form, "email", max_chars=320, required=True),
            forms.text(form, "display_name", max_chars=200, required=True),
            Role(role),
            forms.password(form, "password", required=True),
        )
    except (InvalidInput, Conflict) as error:
        return _accounts_page(request, principal, ctx, pages, error=str(error))
    return redirect("/admin?done=user")


def _set_active(
    request: Request,
    user_id: int,
    active: bool,
    principal: AdminOnly,
    ctx: Ctx,
    pages: PagesDep,
) -> Response:
    try:
        accounts.set_active(ctx.services, principal.actor, user_id, active)
    except (Conflict, NotFound) as error:
        status, _ = status_for(error)
        return _accounts_page(request, principal, ctx, pages, error=str(error), status_code=status)
    return redirect("/admin?done=" + ("activated" if active else "deactivated"))


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_account(
    request: Request,
    user_id: UserId,
    principal: AdminOnly,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    return _set_active(request, user_id, False, principal, ctx, pages)


@router.post("/admin/users/{user_id}/activate")
def activate_account(
    request: Request,
    user_id: UserId,
    principal: AdminOnly,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    return _set_active(request, user_id, True, principal, ctx, pages)


@router.post("/admin/users/{user_id}/reset")
def reset_password(
    request: Request,
    user_id: UserId,
    principal: AdminOnly,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    """Reset another account: a one-time link, shown here once unless it was e-mailed."""
    try:
        outcome = reset_account(ctx, principal, user_id)
    except (Conflict, NotFound) as error:
        status, _ = status_for(error)
        return _accounts_page(request, principal, ctx, pages, error=str(error), status_code=status)
    if outcome.link is None:
        return redirect("/admin?done=reset")
    # Shown in this answer only (the page is not cached, and no copy is kept).
    return _accounts_page(
        request,
        principal,
        ctx,
        pages,
        reset_link=outcome.link,
        reset_user_id=user_id,
        reset_expires=local_when(outcome.expires_at, "UTC"),
    )


@router.post("/admin/users/{user_id}/password")
def old_password_form(user_id: UserId, principal: AdminOnly, form: CheckedForm) -> Response:
    """Admins no longer set passwords: they make a reset link (POST .../reset)."""
    raise HTTPException(410, _NO_ADMIN_PASSWORDS)


@router.get("/admin/deletions")
def deletions_page(request: Request, principal: AdminOnly, ctx: Ctx, pages: PagesDep) -> Response:
    pending = privacy.pending_deletions(ctx.services, principal.actor)
    requests = [
        {"id": r.id, "patient_id": r.patient_id, "when": local_when(r.requested_at, "UTC")}
        for r in pending
    ]
    notice = "The deletion was carried out." if request.query_params.get("done") else None
    return pages.render(request, "admin/deletions.html", requests=requests, notice=notice)


@router.post("/admin/deletions/{request_id}/carry-out")
def carry_out_deletion(
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: AdminOnly,
    ctx: Ctx,
    form: CheckedForm,
) -> Response:
    if not forms.checked(form, "confirm"):
        raise InvalidInput("confirm", "tick the box to confirm the retention check")
    privacy.carry_out_deletion(ctx.services, principal.actor, request_id)
    return redirect("/admin/deletions?done=1")
