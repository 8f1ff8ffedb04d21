"""Changing one's own password, shared by the Account page and the API.

Wrong current passwords count as failed logins for the rate limiter (per client address
and per account), so a stolen session cannot be used to guess the password.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from spinestep.errors import InvalidInput
from spinestep.services import accounts
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal
from spinestep.web.security import rate_limit_keys


def change_own_password(
    ctx: WebContext, request: Request, principal: Principal, current: str, new: str
) -> None:
    """Raises 429 while the limiter blocks, and ``InvalidInput`` for a wrong or weak password."""
    client = request.client.host if request.client else "unknown"
    keys = rate_limit_keys(client, principal.email)
    if ctx.limiter.blocked(keys):
        raise HTTPException(
            429,
            "too many failed attempts; wait and try again",
            headers={"retry-after": str(int(ctx.limiter.window_s))},
        )
    try:
        accounts.change_password(ctx.services, principal.actor, current, new)
    except InvalidInput as error:
        if error.path == "current_password":
            ctx.limiter.record_failure(keys)
        raise
