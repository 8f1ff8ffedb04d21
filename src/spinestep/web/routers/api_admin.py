"""API for admins: accounts and deletion requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from spinestep.services import accounts, privacy
from spinestep.services.records import Role, UserRecord
from spinestep.web.access import MAX_ID, AdminOnly, Ctx
from spinestep.web.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    DeletionRequestOut,
    PasswordReset,
    error_responses,
)

router = APIRouter(tags=["admin"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


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
    "/api/v1/admin/users/{user_id}/password",
    status_code=204,
    responses=error_responses(401, 403, 404, 409, 422),
)
def reset_password(
    user_id: UserId, body: PasswordReset, principal: AdminOnly, ctx: Ctx
) -> Response:
    """Set a new password for another account (revokes its API tokens).

    Your own password is changed with `POST /api/v1/account/password` (409 here).
    """
    accounts.set_password(ctx.services, principal.actor, user_id, body.password)
    return Response(status_code=204)


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
