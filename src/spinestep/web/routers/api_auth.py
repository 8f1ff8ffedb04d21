"""API: bearer tokens, the caller's account, accepting an invitation, and a health check."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from spinestep.services import accounts
from spinestep.services.context import Actor
from spinestep.services.login_throttle import LoginThrottled
from spinestep.services.passwords import token_hash
from spinestep.web.access import Anyone, Ctx, Public, SignedIn
from spinestep.web.account_actions import change_own_password
from spinestep.web.auth import bearer_token
from spinestep.web.login_limiter import sign_in, too_many
from spinestep.web.schemas import (
    AccountOut,
    InviteAccept,
    PasswordChange,
    TokenOut,
    TokenRequest,
    error_responses,
)

router = APIRouter(tags=["auth"])
TOKEN_LIFETIME = timedelta(days=30)


@router.get("/api/v1/health", responses=error_responses(400))
async def health(nobody: Anyone) -> dict[str, str]:
    """Liveness check; answers without touching the database."""
    return {"status": "ok"}


@router.post(
    "/api/v1/auth/token",
    status_code=201,
    response_model=TokenOut,
    responses=error_responses(401, 422, 429),
)
def issue_token(body: TokenRequest, request: Request, principal: Public, ctx: Ctx) -> TokenOut:
    """Exchange e-mail and password for a bearer token (valid 30 days).

    Failed attempts slow down the pair (e-mail, client address): after a few, 429 with
    `Retry-After` until the delay has passed."""
    try:
        user = sign_in(ctx, request, body.email, body.password)
    except LoginThrottled as blocked:
        raise too_many(blocked) from None
    if user is None or user.id is None:
        raise HTTPException(401, "e-mail or password is wrong")
    issued = accounts.issue_api_token(
        ctx.services, Actor.for_user(user), user.id, body.label, lifetime=TOKEN_LIFETIME
    )
    return TokenOut(token=issued.token, expires_at=issued.expires_at)


@router.delete("/api/v1/auth/token", status_code=204, responses=error_responses(401))
def revoke_token(request: Request, principal: SignedIn, ctx: Ctx) -> Response:
    """Revoke the bearer token used for this request."""
    token = bearer_token(request)
    assert token is not None
    with ctx.uow() as uow:
        record = uow.tokens.by_hash(token_hash(token))
    if record is not None and record.id is not None:
        accounts.revoke_api_token(ctx.services, principal.actor, record.id)
    return Response(status_code=204)


@router.get("/api/v1/account", response_model=AccountOut, responses=error_responses(401))
def my_account(principal: SignedIn) -> AccountOut:
    return AccountOut(
        id=principal.user_id,
        email=principal.email,
        display_name=principal.display_name,
        role=principal.role.value,
    )


@router.post("/api/v1/account/password", status_code=204, responses=error_responses(401, 422, 429))
def change_password(
    body: PasswordChange, request: Request, principal: SignedIn, ctx: Ctx
) -> Response:
    """Change your own password: `current_password` must match (wrong ones are rate limited).

    Every browser session and every other API token of the account ends; the token this
    request was sent with stays valid."""
    change_own_password(ctx, request, principal, body.current_password, body.new_password)
    return Response(status_code=204)


@router.post(
    "/api/v1/invites/accept",
    status_code=201,
    response_model=AccountOut,
    responses=error_responses(404, 409, 422),
)
def accept_invite(body: InviteAccept, principal: Public, ctx: Ctx) -> AccountOut:
    """Use a one-time invitation: creates the account (linked to the invited patient profile)."""
    user = accounts.accept_invite(ctx.services, body.token, body.display_name, body.password)
    assert user.id is not None
    return AccountOut(
        id=user.id, email=user.email, display_name=user.display_name, role=user.role.value
    )
