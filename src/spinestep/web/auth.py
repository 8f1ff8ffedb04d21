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

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from spinestep.services import browser_sessions
from spinestep.services.passwords import token_hash
from spinestep.services.ports import UnitOfWork
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


#: Reads the account of a request's credential in a unit of work (None: not signed in).
AccountReader = Callable[[UnitOfWork], Account | None]


def _cookie_reader(ctx: WebContext, conn: HTTPConnection) -> AccountReader | None:
    """The reader of the cookie's account, or None when the cookie cannot be one (no
    database work: its signature and shape are checked here)."""
    session = browser_session(ctx, conn)
    if session is None or session.account_id is None:
        return None
    try:
        user_id = int(session.account_id)
    except ValueError:
        return None

    def read(uow: UnitOfWork) -> Account | None:
        found = uow.browser_sessions.signed_in(session.key)
        if found is None:
            return None
        stored, user, profile, onboarded = found
        if not browser_sessions.is_live(stored, user_id, wall_now()):
            return None
        account = _account(user, profile, onboarded)
        if account is None:
            return None
        return replace(account, principal=replace(account.principal, session=session))

    return read


def _token_reader(ctx: WebContext, conn: HTTPConnection) -> AccountReader | None:
    """The reader of the bearer token's account, or None without a token."""
    token = bearer_token(conn)
    if token is None:
        return None
    digest = token_hash(token)

    def read(uow: UnitOfWork) -> Account | None:
        found = uow.tokens.with_account(digest)
        if found is None or found[0].revoked_at is not None:
            return None
        record, user, profile = found
        if record.expires_at is not None and record.expires_at <= ctx.clock.now():
            return None
        return _account(user, profile)

    return read


def account_reader(ctx: WebContext, conn: HTTPConnection, *, api: bool) -> AccountReader | None:
    """The reader of the request's credential: the bearer token on the API, else the cookie."""
    return _token_reader(ctx, conn) if api else _cookie_reader(ctx, conn)


def _in_own_unit(ctx: WebContext, read: AccountReader) -> Callable[[], Account | None]:
    def load() -> Account | None:
        with ctx.uow() as uow:
            return read(uow)

    return load


def principal_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    read = _cookie_reader(ctx, conn)
    if read is None:
        return None
    return _principal_of(_in_own_unit(ctx, read)())


async def aaccount_from_cookie(ctx: WebContext, conn: HTTPConnection) -> Account | None:
    """The account of the cookie, for async handlers.

    Read in a worker thread: the database driver blocks, and the event loop must stay
    free for the other requests while it waits.
    """
    read = _cookie_reader(ctx, conn)
    if read is None:
        return None
    return await run_in_threadpool(_in_own_unit(ctx, read))


def principal_from_token(ctx: WebContext, conn: HTTPConnection) -> Principal | None:
    read = _token_reader(ctx, conn)
    if read is None:
        return None
    return _principal_of(_in_own_unit(ctx, read)())


async def aaccount_from_token(ctx: WebContext, conn: HTTPConnection) -> Account | None:
    """The account of the bearer token, for async handlers (read in a worker thread)."""
    read = _token_reader(ctx, conn)
    if read is None:
        return None
    return await run_in_threadpool(_in_own_unit(ctx, read))


def _principal_of(account: Account | None) -> Principal | None:
    return None if account is None else account.principal
