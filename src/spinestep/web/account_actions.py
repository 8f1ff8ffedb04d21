"""Changing one's own password, shared by the Account page and the API.

Wrong current passwords count as failed logins for the login throttle (per account and
client address), so a stolen session cannot be used to guess the password.
"""

from __future__ import annotations

from starlette.requests import Request

from spinestep.errors import InvalidInput
from spinestep.services import accounts
from spinestep.web.context import WebContext
from spinestep.web.login_limiter import begin_login_or_429, login_succeeded
from spinestep.web.principal import Principal


def change_own_password(
    ctx: WebContext, request: Request, principal: Principal, current: str, new: str
) -> None:
    """Raises 429 while the limiter blocks, and ``InvalidInput`` for a wrong or weak password."""
    attempt = begin_login_or_429(ctx, request, principal.email)
    try:
        accounts.change_password(ctx.services, principal.actor, current, new)
    except InvalidInput as error:
        if error.path != "current_password":  # the current password was right
            login_succeeded(ctx, attempt)
        raise
    login_succeeded(ctx, attempt)
