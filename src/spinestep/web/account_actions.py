"""Account changes shared by pages and API: changing one's own password, an admin's reset.

Wrong current passwords count as failed logins for the login throttle (per account and
client address), so a stolen session cannot be used to guess the password. A change
ends every other browser session and API token of the account: only the credential the
change came with stays (this browser's session, or the API token used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from spinestep.errors import Conflict, InvalidInput
from spinestep.services import accounts
from spinestep.services.passwords import token_hash
from spinestep.web import links
from spinestep.web.auth import bearer_token
from spinestep.web.context import WebContext
from spinestep.web.login_limiter import begin_login_or_429, login_succeeded
from spinestep.web.principal import Principal


def change_own_password(
    ctx: WebContext, request: Request, principal: Principal, current: str, new: str
) -> None:
    """Raises 429 while the limiter blocks, and ``InvalidInput`` for a wrong or weak password."""
    attempt = begin_login_or_429(ctx, request, principal.email)
    token = None if principal.session is not None else bearer_token(request)
    try:
        accounts.change_password(
            ctx.services,
            principal.actor,
            current,
            new,
            keep_session=None if principal.session is None else principal.session.key,
            keep_token=None if token is None else token_hash(token),
        )
    except InvalidInput as error:
        if error.path != "current_password":  # the current password was right
            login_succeeded(ctx, attempt)
        raise
    login_succeeded(ctx, attempt)


@dataclass(frozen=True, slots=True)
class ResetOutcome:
    """A reset link an admin made: ``link`` to show them once, or None when it was e-mailed."""

    link: str | None
    expires_at: datetime


def reset_account(ctx: WebContext, principal: Principal, user_id: int) -> ResetOutcome:
    """Reset another account with a one-time link (see ``accounts.create_reset_link``).

    With SMTP configured the link goes to the account's e-mail address and the admin does
    not see it; otherwise it is returned, to be shown once. The public address is checked
    first, so that no account is reset when no link can be made.
    """
    links.public_base(ctx.settings)
    issued = accounts.create_reset_link(ctx.services, principal.actor, user_id)
    link = links.absolute_url(ctx.settings, f"/reset/{issued.token}")
    if ctx.mailer is None or not ctx.mailer.enabled:
        return ResetOutcome(link, issued.expires_at)
    if not ctx.mailer.send_password_reset(issued.email, link):
        raise Conflict(
            "the account was reset but the e-mail with its link could not be sent: "
            "check the SMTP settings, then make a new link"
        )
    return ResetOutcome(None, issued.expires_at)
