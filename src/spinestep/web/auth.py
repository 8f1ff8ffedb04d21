"""Finding the principal of a request: a signed session cookie (pages) or a bearer token (API)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from starlette.requests import HTTPConnection

from spinestep.services.records import UserRecord
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal
from spinestep.web.security import SESSION_COOKIE, BrowserSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: UserRecord | None, session: BrowserSession | None) -> Principal | None:
    if user is None or user.id is None or not user.active:
        return None
    return Principal(user.id, user.role, user.display_name, user.email, session)


def browser_session(ctx: WebContext, conn: HTTPConnection) -> BrowserSession | None:
    return ctx.signer.load(conn.cookies.get(SESSION_COOKIE))


def principal_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    session = browser_session(ctx, conn)
    if session is None or session.account_id is None:
        return None
    try:
        user_id = int(session.account_id)
    except ValueError:
        return None

    def load() -> Principal | None:
        with ctx.uow() as uow:
            return _principal(uow.users.get(user_id), None)

    found = ctx.cache.get_or_load("user", str(user_id), load)
    return None if found is None else replace(found, session=session)


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or len(value) > 256:
        return None
    return value.strip()


def principal_from_token(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    token = bearer_token(conn)
    if token is None:
        return None
    digest = token_hash(token)

    def load() -> tuple[Principal, datetime | None] | None:
        with ctx.uow() as uow:
            record = uow.tokens.by_hash(digest)
            if record is None or record.revoked_at is not None:
                return None
            principal = _principal(uow.users.get(record.user_id), None)
            return None if principal is None else (principal, record.expires_at)

    found = ctx.cache.get_or_load("token", digest, load)
    if found is None:
        return None
    principal, expires_at = found
    if expires_at is not None and expires_at <= ctx.clock.now():
        return None
    return principal
