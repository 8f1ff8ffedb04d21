"""Server-rendered pages: the Jinja2 environment, rendering with the session and CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from spinestep.web.auth import browser_session, principal_from_cookie
from spinestep.web.context import WebContext
from spinestep.web.offline import flag_guidance, most_urgent
from spinestep.web.principal import Principal
from spinestep.web.security import CSRF_FIELD, SESSION_COOKIE, SESSION_LIFETIME_S, BrowserSession


class Pages:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("spinestep.web", "templates"),
            autoescape=jinja2.select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        # What a red-flag "yes" shows at once, even without a connection (web/offline.py).
        self.env.globals["flag_guidance"] = flag_guidance
        self.env.globals["most_urgent_flag"] = most_urgent

    def render(
        self, request: Request, template: str, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        known: Principal | None = getattr(request.state, "principal", None)
        if known is not None and known.session is not None:
            session: BrowserSession | None = known.session  # already checked by the access rule
        else:
            session = browser_session(self.ctx, request)
        fresh = session is None
        if session is None:
            session = self.ctx.signer.new_session(None)
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None and session.account_id is not None:
            principal = principal_from_cookie(self.ctx, request)
        html = self.env.get_template(template).render(
            request=request,
            principal=principal,
            csrf_field=CSRF_FIELD,
            csrf_token=self.ctx.signer.csrf_token(session),
            path=request.url.path,
            # Names the patient's offline caches and unsent sessions (web/offline.py).
            account_tag=(
                self.ctx.signer.account_tag(principal.user_id)
                if principal is not None and principal.is_patient
                else None
            ),
            **values,
        )
        response = HTMLResponse(html, status_code=status_code)
        if fresh:
            self.set_session(response, session)
        return response

    def set_session(self, response: Response, session: BrowserSession) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.ctx.signer.dump(session),
            max_age=SESSION_LIFETIME_S,
            httponly=True,
            samesite="lax",
            secure=self.ctx.cookie_secure,
            path="/",
        )

    def error_page(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self.render(
            request, "error.html", status_code=status, status=status, message=message
        )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


#: The largest single field of a page form (the whole body is bounded by ``body_limit``).
FORM_PART_BYTES = 64 * 1024


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token matches the browser session; else 403."""
    return await read_checked_form(request, FORM_PART_BYTES)


async def read_checked_form(request: Request, max_part_bytes: int) -> FormData:
    """:func:`checked_form` with another limit on one field, for a route that needs it."""
    ctx: WebContext = request.app.state.ctx
    session = browser_session(ctx, request)
    try:
        form = await request.form(max_files=0, max_fields=200, max_part_size=max_part_bytes)
    except Exception as error:
        raise HTTPException(400, "the form could not be read") from error
    token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not ctx.signer.csrf_ok(session, token):
        raise HTTPException(403, "this form has expired: reload the page and try again")
    return form


checked_form.csrf_protected = True  # type: ignore[attr-defined]

PagesDep = Annotated[Pages, Depends(pages)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
