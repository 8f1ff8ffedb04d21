"""The application factory: nothing is built at import time; ``create_app(settings)`` wires it."""

from __future__ import annotations

from pathlib import Path

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
from spinestep.web.readcache import DEFAULT_READ_CACHE_S, ClearOnWriteMiddleware, ReadCache
from spinestep.web.routers import ROUTERS
from spinestep.web.security import SessionSigner, load_or_create_secret
from spinestep.web.wiring import build_backend

STATIC_DIR = Path(__file__).parent / "static"
API_DESCRIPTION = (
    "The spinestep JSON API. Authenticate with `Authorization: Bearer <token>`; a token "
    "comes from `POST /api/v1/auth/token`. Patients reach only their own records (`/me`), "
    "clinicians only their own patients."
)


def create_app(
    settings: Settings,
    *,
    uow: UnitOfWorkFactory | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    login_policy: ThrottlePolicy = DEFAULT_POLICY,
    read_cache_s: float = DEFAULT_READ_CACHE_S,
) -> FastAPI:
    """Build the web app for ``settings``; the store is opened (and migrated) here.

    ``login_policy`` sets the delays of the login throttle (``services.login_throttle``).
    ``read_cache_s`` is the lifetime of the patient read cache (``web.readcache``);
    0 turns it off, so every request reads the database (for honest benchmarks).
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
        cache=ReadCache(ttl_s=read_cache_s),
    )
    ctx.mailer = Mailer(settings)
    ctx.pages = Pages(ctx)

    app = FastAPI(
        title="spinestep",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = ctx
    app.state.pages = ctx.pages
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(ClearOnWriteMiddleware, cache=ctx.cache)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.serves_https())
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # outermost: before parsing and sign-in
    return app
