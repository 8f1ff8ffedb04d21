"""Start page, first-run setup, sign in and out, and accepting an invitation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.errors import Conflict, InvalidInput, NotFound
from spinestep.services import accounts, portal
from spinestep.services.context import Actor
from spinestep.services.login_throttle import LoginThrottled
from spinestep.services.records import Role, UserRecord
from spinestep.web import forms
from spinestep.web.access import Ctx, Public
from spinestep.web.context import WebContext
from spinestep.web.login_limiter import sign_in
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.security import SESSION_COOKIE

router = APIRouter(include_in_schema=False)

HOME = {Role.PATIENT: "/today", Role.CLINICIAN: "/clinic", Role.ADMIN: "/admin"}
_INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)


def _signed_in(ctx: WebContext, pages: PagesDep, user: UserRecord) -> Response:
    response = redirect(HOME[user.role])
    pages.set_session(response, ctx.signer.new_session(str(user.id)))
    return response


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
        user = accounts.create_user(
            ctx.services,
            _INSTALLER,
            email,
            name,
            Role.ADMIN,
            forms.password(form, "password"),
        )
    except (InvalidInput, Conflict) as error:
        return pages.render(
            request, "setup.html", status_code=422, error=str(error), display_name=name, email=email
        )
    return _signed_in(ctx, pages, user)


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
            error="Too many failed attempts from here. Wait a few minutes and try again.",
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
    return _signed_in(ctx, pages, user)


@router.post("/logout")
def logout(principal: Public, form: CheckedForm) -> Response:
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
    return _signed_in(ctx, pages, user)
