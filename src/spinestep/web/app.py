"""The application factory: nothing is built at import time; ``create_app(settings)`` wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from spinestep.services.login_throttle import DEFAULT_POLICY, ThrottlePolicy
from spinestep.services.ports import Clock, PasswordHasher, UnitOfWorkFactory
from spinestep.settings import Settings
from spinestep.web.accesslog import AccessLogMiddleware
from spinestep.web.body_limit import BodyLimitMiddleware
from spinestep.web.context import WebContext
from spinestep.web.errors import install_error_handlers
from spinestep.web.headers import SecurityHeadersMiddleware
from spinestep.web.mail import Mailer
from spinestep.web.pages import Pages
from spinestep.web.reminder_task import lifespan as reminder_lifespan
from spinestep.web.routers import ROUTERS
from spinestep.web.security import SessionSigner, load_or_create_secret
from spinestep.web.wiring import build_backend

STATIC_DIR = Path(__file__).parent / "static"
API_DESCRIPTION = (
    "The spinestep JSON API. Authenticate with `Authorization: Bearer <token>`; a token "
    "comes from `POST /api/v1/auth/token`. Patients reach only their own records (`/me`), "
    "clinicians only their own patients."
)


def _lifespan(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's life: ``threads`` worker threads for the plain ``def`` routes and the
    database reads of the async ones; the e-mail reminders each minute when SMTP is
    configured (``reminder_task``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        async with reminder_lifespan(app):
            yield

    return lifespan


def create_app(
    settings: Settings,
    *,
    uow: UnitOfWorkFactory | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    login_policy: ThrottlePolicy = DEFAULT_POLICY,
) -> FastAPI:
    """Build the web app for ``settings``; the store is opened (and migrated) here.

    ``login_policy`` sets the delays of the login throttle (``services.login_throttle``).
    The app keeps no state of its own between requests: everything lives in the database
    (and the secret key in settings or the data folder), so any number of processes may
    serve one database and give the same answers.
    """
    backend = build_backend(settings, uow=uow, clock=clock, hasher=hasher)
    ctx = WebContext(
        settings=settings,
        uow=backend.uow,
        clock=backend.clock,
        hasher=backend.hasher,
        signer=SessionSigner(load_or_create_secret(settings.secret_key, settings.data_dir)),
        login_policy=login_policy,
        # People reach the server over https (perhaps through a TLS proxy on loopback):
        # only then may the browser be told to send the cookie over https alone.
        cookie_secure=settings.serves_https(),
    )
    ctx.mailer = Mailer(settings)

    app = FastAPI(
        title="spinestep",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan(settings.threads),
    )
    app.state.ctx = ctx
    # The page renderer sits beside the context, not in it: pages depend on the context.
    app.state.pages = Pages(ctx)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.serves_https())
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # outermost: before parsing and sign-in
    return app
