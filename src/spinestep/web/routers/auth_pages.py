"""Start page, first-run setup, sign in and out, accepting an invitation, a reset link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.errors import Conflict, InvalidInput, NotFound
from spinestep.services import accounts, browser_sessions, portal
from spinestep.services.login_throttle import LoginThrottled
from spinestep.services.records import Role, UserRecord
from spinestep.web import forms
from spinestep.web.access import Ctx, Public
from spinestep.web.auth import browser_session
from spinestep.web.context import WebContext
from spinestep.web.login_limiter import sign_in
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.security import SESSION_COOKIE, wall_now

router = APIRouter(include_in_schema=False)

HOME = {Role.PATIENT: "/today", Role.CLINICIAN: "/clinic", Role.ADMIN: "/admin"}


def _signed_in(ctx: WebContext, pages: PagesDep, user: UserRecord, request: Request) -> Response:
    """Start a stored browser session for ``user`` (ending the one this browser had)."""
    assert user.id is not None
    _end_session(ctx, request)
    session = ctx.signer.new_session(str(user.id))
    browser_sessions.begin(
        ctx.services, user.id, session.key, now=wall_now(), ends_at=session.ends_at
    )
    response = redirect(HOME[user.role])
    pages.set_session(response, session)
    return response


def _end_session(ctx: WebContext, request: Request) -> None:
    session = browser_session(ctx, request)
    if session is not None and session.account_id is not None:
        browser_sessions.end(ctx.services, session.key)


@router.get("/")
def home(principal: Public, ctx: Ctx) -> Response:
    if principal is not None:
        return redirect(HOME[principal.role])
    if not portal.has_users(ctx.services):
        return redirect("/setup")
    return redirect("/login")


@router.get("/setup")
def setup_page(request: Request, principal: Public, ctx: Ctx, pages: PagesDep) -> Response:
    if portal.has_users(ctx.services):
        return redirect("/")
    return pages.render(request, "setup.html")


@router.post("/setup")
def setup_submit(
    request: Request, principal: Public, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    if portal.has_users(ctx.services):
        return redirect("/")
    name = forms.text(form, "display_name", max_chars=200)
    email = forms.text(form, "email", max_chars=320)
    try:
        user = accounts.create_first_admin(
            ctx.services, email, name, forms.password(form, "password")
        )
    except (InvalidInput, Conflict) as error:
        if isinstance(error, Conflict) and portal.has_users(ctx.services):
            return redirect("/")  # another setup came first
        return pages.render(
            request, "setup.html", status_code=422, error=str(error), display_name=name, email=email
        )
    return _signed_in(ctx, pages, user, request)


@router.get("/login")
def login_page(request: Request, principal: Public, pages: PagesDep) -> Response:
    if principal is not None:
        return redirect(HOME[principal.role])
    return pages.render(request, "login.html")


@router.post("/login")
def login_submit(
    request: Request, principal: Public, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    email = forms.text(form, "email", max_chars=320)
    try:
        user = sign_in(ctx, request, email, forms.password(form, "password"))
    except LoginThrottled as blocked:
        response = pages.render(
            request,
            "login.html",
            status_code=429,
            error=f"Too many failed attempts from here. Try again in {_wait(blocked)}.",
            email=email,
        )
        response.headers["retry-after"] = str(blocked.retry_after_s)
        return response
    if user is None:
        return pages.render(
            request,
            "login.html",
            status_code=401,
            error="E-mail or password is wrong.",
            email=email,
        )
    return _signed_in(ctx, pages, user, request)


def _wait(blocked: LoginThrottled) -> str:
    seconds = blocked.retry_after_s
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


@router.post("/logout")
def logout(request: Request, principal: Public, ctx: Ctx, form: CheckedForm) -> Response:
    """Sign out: the stored session ends, so no copy of the cookie signs in again."""
    _end_session(ctx, request)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/invite/{token}")
def invite_page(request: Request, token: str, principal: Public, pages: PagesDep) -> Response:
    if len(token) > 200:
        raise NotFound("this invitation is unknown, used or expired")
    return pages.render(request, "invite.html", token=token)


@router.post("/invite")
def invite_accept(
    request: Request, principal: Public, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    token = forms.text(form, "token", max_chars=200, required=True)
    try:
        user = accounts.accept_invite(
            ctx.services,
            token,
            forms.text(form, "display_name", max_chars=200),
            forms.password(form, "password"),
        )
    except (InvalidInput, Conflict) as error:
        return pages.render(request, "invite.html", status_code=422, error=str(error), token=token)
    return _signed_in(ctx, pages, user, request)


@router.get("/reset/{token}")
def reset_page(
    request: Request, token: str, principal: Public, ctx: Ctx, pages: PagesDep
) -> Response:
    """The form of a one-time password reset link (404 when it is unknown, used or expired)."""
    accounts.check_reset_link(ctx.services, token)
    return _reset_form(request, pages, token)


@router.post("/reset")
def reset_submit(
    request: Request, principal: Public, ctx: Ctx, pages: PagesDep, form: CheckedForm
) -> Response:
    """Set your own new password with the link, once; you are then signed in."""
    token = forms.text(form, "token", max_chars=200, required=True)
    try:
        password = forms.password(form, "password", required=True)
        if password != forms.password(form, "password_again"):
            raise InvalidInput("password_again", "does not match the new password")
        user = accounts.use_reset_link(ctx.services, token, password)
    except InvalidInput as error:
        return _reset_form(request, pages, token, status_code=422, error=str(error))
    return _signed_in(ctx, pages, user, request)


def _reset_form(
    request: Request, pages: PagesDep, token: str, status_code: int = 200, error: str | None = None
) -> Response:
    return pages.render(
        request,
        "reset.html",
        status_code=status_code,
        token=token,
        error=error,
        min_chars=accounts.MIN_PASSWORD_CHARS,
    )
