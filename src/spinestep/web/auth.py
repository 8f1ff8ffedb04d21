"""Finding the principal of a request: a signed session cookie (pages) or a bearer token (API).

Lookups go through the read cache; the async variants load a miss in a worker thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from starlette.requests import HTTPConnection

from spinestep.services.records import UserRecord
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal
from spinestep.web.security import SESSION_COOKIE, BrowserSession

TokenEntry = tuple[Principal, datetime | None] | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: UserRecord | None) -> Principal | None:
    if user is None or user.id is None or not user.active:
        return None
    return Principal(user.id, user.role, user.display_name, user.email, None)


def browser_session(ctx: WebContext, conn: HTTPConnection) -> BrowserSession | None:
    return ctx.signer.load(conn.cookies.get(SESSION_COOKIE))


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or len(value) > 256:
        return None
    return value.strip()


@dataclass(frozen=True, slots=True)
class _CookieLookup:
    session: BrowserSession
    key: str
    load: Callable[[], Principal | None]

    def result(self, found: Principal | None) -> Principal | None:
        return None if found is None else replace(found, session=self.session)


def _cookie_lookup(ctx: WebContext, conn: HTTPConnection) -> _CookieLookup | None:
    session = browser_session(ctx, conn)
    if session is None or session.account_id is None:
        return None
    try:
        user_id = int(session.account_id)
    except ValueError:
        return None

    def load() -> Principal | None:
        with ctx.uow() as uow:
            return _principal(uow.users.get(user_id))

    return _CookieLookup(session, str(user_id), load)


def _token_lookup(
    ctx: WebContext, conn: HTTPConnection
) -> tuple[str, Callable[[], TokenEntry]] | None:
    token = bearer_token(conn)
    if token is None:
        return None
    digest = token_hash(token)

    def load() -> TokenEntry:
        with ctx.uow() as uow:
            found = uow.tokens.with_user(digest)
        if found is None or found[0].revoked_at is not None:
            return None
        record, user = found
        principal = _principal(user)
        return None if principal is None else (principal, record.expires_at)

    return digest, load


def _token_result(ctx: WebContext, found: TokenEntry) -> Principal | None:
    if found is None:
        return None
    principal, expires_at = found
    if expires_at is not None and expires_at <= ctx.clock.now():
        return None
    return principal


def principal_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _cookie_lookup(ctx, conn)
    if lookup is None:
        return None
    return lookup.result(ctx.cache.get_or_load("user", lookup.key, lookup.load))


async def aprincipal_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _cookie_lookup(ctx, conn)
    if lookup is None:
        return None
    return lookup.result(await ctx.cache.aget_or_load("user", lookup.key, lookup.load))


def principal_from_token(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _token_lookup(ctx, conn)
    if lookup is None:
        return None
    return _token_result(ctx, ctx.cache.get_or_load("token", *lookup))


async def aprincipal_from_token(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _token_lookup(ctx, conn)
    if lookup is None:
        return None
    return _token_result(ctx, await ctx.cache.aget_or_load("token", *lookup))
