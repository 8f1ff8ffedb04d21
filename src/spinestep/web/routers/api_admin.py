"""API for admins: accounts and deletion requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from spinestep.domain.instants import MAX_ID
from spinestep.services import accounts, privacy
from spinestep.services.records import Role, UserRecord
from spinestep.web.access import AdminOnly, Ctx
from spinestep.web.account_actions import reset_account
from spinestep.web.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    DeletionRequestOut,
    ErrorBody,
    error_responses,
)

router = APIRouter(tags=["admin"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ResetLinkOut(BaseModel):
    """A password reset link: `link` is shown this once, or null when it was e-mailed to
    the account's address (`emailed`)."""

    link: str | None
    emailed: bool
    expires_at: datetime


def _account(user: UserRecord) -> AccountOut:
    assert user.id is not None
    return AccountOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role.value,
        active=user.active,
    )


@router.get(
    "/api/v1/admin/users", response_model=list[AccountOut], responses=error_responses(401, 403)
)
def list_users(principal: AdminOnly, ctx: Ctx) -> list[AccountOut]:
    return [_account(u) for u in accounts.list_users(ctx.services, principal.actor)]


@router.post(
    "/api/v1/admin/users",
    status_code=201,
    response_model=AccountOut,
    responses=error_responses(401, 403, 409, 422),
)
def add_user(body: AccountCreate, principal: AdminOnly, ctx: Ctx) -> AccountOut:
    user = accounts.create_user(
        ctx.services, principal.actor, body.email, body.display_name, Role(body.role), body.password
    )
    return _account(user)


@router.patch(
    "/api/v1/admin/users/{user_id}",
    response_model=AccountOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def update_user(user_id: UserId, body: AccountUpdate, principal: AdminOnly, ctx: Ctx) -> AccountOut:
    """Deactivate (`active: false`) or reactivate an account; never your own (409).

    A deactivated account cannot sign in, its sessions stop at once and its API tokens
    are revoked.
    """
    return _account(accounts.set_active(ctx.services, principal.actor, user_id, body.active))


@router.post(
    "/api/v1/admin/users/{user_id}/reset-link",
    status_code=201,
    response_model=ResetLinkOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def reset_link(user_id: UserId, principal: AdminOnly, ctx: Ctx) -> ResetLinkOut:
    """Reset another account: a one-time link, valid 24 hours, to choose a new password.

    The account's password, browser sessions, API tokens and earlier links stop working
    at once. With SMTP configured the link is e-mailed to the account and `link` is null;
    otherwise `link` is shown in this answer only. 409 for your own account (use
    `POST /api/v1/account/password`), a deactivated one, or when no public URL is set.
    """
    outcome = reset_account(ctx, principal, user_id)
    return ResetLinkOut(
        link=outcome.link, emailed=outcome.link is None, expires_at=outcome.expires_at
    )


@router.post(
    "/api/v1/admin/users/{user_id}/password",
    status_code=410,
    deprecated=True,
    responses={
        410: {"model": ErrorBody, "description": "Gone: use `POST .../{user_id}/reset-link`"},
        **error_responses(401, 403, 422),
    },
)
def old_set_password(user_id: UserId, principal: AdminOnly) -> Response:
    """Gone: admins no longer set passwords. `POST /api/v1/admin/users/{user_id}/reset-link`
    makes a one-time link with which the person chooses their own."""
    raise HTTPException(
        410, "admins no longer set passwords: POST /api/v1/admin/users/{user_id}/reset-link"
    )


@router.get(
    "/api/v1/admin/deletion-requests",
    response_model=list[DeletionRequestOut],
    responses=error_responses(401, 403),
)
def pending_deletions(principal: AdminOnly, ctx: Ctx) -> list[DeletionRequestOut]:
    return [
        DeletionRequestOut(
            id=r.id, patient_id=r.patient_id, requested_at=r.requested_at, status=r.status.value
        )
        for r in privacy.pending_deletions(ctx.services, principal.actor)
        if r.id is not None
    ]


@router.post(
    "/api/v1/admin/deletion-requests/{request_id}/carry-out",
    status_code=204,
    responses=error_responses(401, 403, 404, 422),
)
def carry_out(
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: AdminOnly, ctx: Ctx
) -> Response:
    """Delete the patient's data (and account) under the clinic's retention policy."""
    privacy.carry_out_deletion(ctx.services, principal.actor, request_id)
    return Response(status_code=204)
