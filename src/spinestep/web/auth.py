"""Finding the principal of a request: a signed session cookie (pages) or a bearer token (API).

A signed-in cookie counts only while its browser session is stored (same account, not
expired): a signed-out, ended or forged-looking session is treated as signed out.
Every request reads its credential from the database (nothing is kept in the process),
so a sign-out, a revoked token or a deactivation made through any process holds at once
in every other. A patient account's patient profile is read in the same unit of work as
the account (every patient request needs both): the access rules take it from the
request instead of reading it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from spinestep.services import browser_sessions
from spinestep.services.passwords import token_hash
from spinestep.services.records import PatientRecord, UserRecord
from spinestep.web.context import WebContext
from spinestep.web.principal import Principal
from spinestep.web.security import SESSION_COOKIE, BrowserSession, wall_now


@dataclass(frozen=True, slots=True)
class Account:
    """The principal behind a credential and, for a patient account, its profile (or None).

    ``onboarded`` (cookie sessions of a patient with a profile, else None): whether the
    onboarding questions were answered, which every patient page checks first.
    """

    principal: Principal
    profile: PatientRecord | None
    onboarded: bool | None = None


TokenEntry = tuple[Account, datetime | None] | None


def _principal(user: UserRecord | None) -> Principal | None:
    if user is None or user.id is None or not user.active:
        return None
    return Principal(user.id, user.role, user.display_name, user.email, None)


def _account(
    user: UserRecord, profile: PatientRecord | None, onboarded: bool | None = None
) -> Account | None:
    """The account of an active ``user``; ``profile`` and ``onboarded`` count for patients only."""
    principal = _principal(user)
    if principal is None:
        return None
    if not principal.is_patient or profile is None:
        return Account(principal, None, None)
    return Account(principal, profile, onboarded)


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
    load: Callable[[], Account | None]

    def result(self, found: Account | None) -> Account | None:
        if found is None:
            return None
        return replace(found, principal=replace(found.principal, session=self.session))


def _cookie_lookup(ctx: WebContext, conn: HTTPConnection) -> _CookieLookup | None:
    session = browser_session(ctx, conn)
    if session is None or session.account_id is None:
        return None
    try:
        user_id = int(session.account_id)
    except ValueError:
        return None

    key = session.key

    def load() -> Account | None:
        with ctx.uow() as uow:
            found = uow.browser_sessions.signed_in(key)
        if found is None:
            return None
        stored, user, profile, onboarded = found
        if not browser_sessions.is_live(stored, user_id, wall_now()):
            return None
        return _account(user, profile, onboarded)

    return _CookieLookup(session, load)


def _token_lookup(ctx: WebContext, conn: HTTPConnection) -> Callable[[], TokenEntry] | None:
    token = bearer_token(conn)
    if token is None:
        return None
    digest = token_hash(token)

    def load() -> TokenEntry:
        with ctx.uow() as uow:
            found = uow.tokens.with_account(digest)
        if found is None or found[0].revoked_at is not None:
            return None
        record, user, profile = found
        account = _account(user, profile)
        return None if account is None else (account, record.expires_at)

    return load


def _token_result(ctx: WebContext, found: TokenEntry) -> Account | None:
    if found is None:
        return None
    account, expires_at = found
    if expires_at is not None and expires_at <= ctx.clock.now():
        return None
    return account


def _principal_of(account: Account | None) -> Principal | None:
    return None if account is None else account.principal


def principal_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _cookie_lookup(ctx, conn)
    if lookup is None:
        return None
    return _principal_of(lookup.result(lookup.load()))


async def aaccount_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Account | None:
    """The account of the cookie, for async handlers.

    Read in a worker thread: the database driver blocks, and the event loop must stay
    free for the other requests while it waits.
    """
    lookup = _cookie_lookup(ctx, conn)
    if lookup is None:
        return None
    return lookup.result(await run_in_threadpool(lookup.load))


def principal_from_token(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    lookup = _token_lookup(ctx, conn)
    if lookup is None:
        return None
    return _principal_of(_token_result(ctx, lookup()))


async def aaccount_from_token(ctx: WebContext, conn: HTTPConnection) -> Account | None:
    """The account of the bearer token, for async handlers (read in a worker thread)."""
    lookup = _token_lookup(ctx, conn)
    if lookup is None:
        return None
    return _token_result(ctx, await run_in_threadpool(lookup))
