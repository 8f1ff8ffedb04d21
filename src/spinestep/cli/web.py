"""``spinestep serve``, ``spinestep user add`` and ``spinestep demo``: the web app's commands."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from typing import Annotated, Any

import typer

from spinestep.domain.text import terminal_safe
from spinestep.errors import InvalidInput
from spinestep.services import accounts, portal
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.services.passwords import Argon2PasswordHasher
from spinestep.services.records import Role
from spinestep.settings import Settings, load_settings

_DB_HELP = "SQLAlchemy URL of the database (default: SPINESTEP_DATABASE_URL or SQLite)."
_INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)


def _settings(database_url: str | None) -> Settings:
    settings = load_settings()
    if database_url:
        settings = settings.replace(database_url=database_url)
    return settings


def _services(settings: Settings) -> ServiceContext:
    from spinestep.store.uow import open_store

    _engine, uow = open_store(settings.resolved_database_url())
    return ServiceContext(uow=uow, clock=SystemClock(), hasher=Argon2PasswordHasher())


def serve(
    host: str = typer.Option(None, help="Address to listen on (default from settings: 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default from settings: 8000)."),
    database_url: str = typer.Option(
        None, "--database-url", help="SQLAlchemy URL of the database."
    ),
    read_cache_s: float = typer.Option(
        0.0,
        "--read-cache-s",
        min=0.0,
        max=300.0,
        hidden=True,
        help="No effect: the app keeps no read cache (accepted for old scripts).",
    ),
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes sharing the port (each reads the database afresh).",
        ),
    ] = 1,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            max=64,
            help="Worker threads per process for database work and pages "
            "(default from settings: 4).",
        ),
    ] = None,
) -> None:
    """Start the web app (SQLite by default; PostgreSQL with SPINESTEP_DATABASE_URL)."""
    import uvicorn

    from spinestep.web.app import create_app

    del read_cache_s  # every process reads the database on every request
    settings = _settings(database_url)
    if port is not None and not 0 < port < 65536:
        raise InvalidInput("port", "must be 1-65535")
    if host:
        settings = settings.replace(host=host)
    if port:
        settings = settings.replace(port=port)
    if threads is not None:
        settings = settings.replace(threads=threads)
    if settings.port == 0:
        raise InvalidInput("SPINESTEP_PORT", "must be 1-65535")
    _configure_logging()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "server_header": False,
        # X-Forwarded-For is read by the app, from SPINESTEP_TRUSTED_PROXIES only.
        "proxy_headers": False,
    }
    if workers == 1:
        app: Any = create_app(settings)
    else:
        _prepare_for_workers(settings)
        app = f"{__name__}:worker_app"
        options.update(factory=True, workers=workers)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"spinestep is running at http://{shown}:{settings.port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, **options)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _prepare_for_workers(settings: Settings) -> None:
    """Migrate the database and make the secret key once, before the workers start.

    The workers read their settings from the environment, so the command line's
    database URL, address, port and threads are put there for them.
    """
    from spinestep.store.uow import open_store
    from spinestep.web.security import load_or_create_secret

    url = settings.resolved_database_url()
    engine, _uow = open_store(url)
    engine.dispose()
    load_or_create_secret(settings.secret_key, settings.data_dir)
    os.environ.update(
        SPINESTEP_DATABASE_URL=url,
        SPINESTEP_HOST=settings.host,
        SPINESTEP_PORT=str(settings.port),
        SPINESTEP_THREADS=str(settings.threads),
    )


def worker_app() -> Any:
    """The app of one worker process of ``spinestep serve --workers N`` (a uvicorn factory)."""
    from spinestep.web.app import create_app

    _configure_logging()
    return create_app(load_settings())


user_app = typer.Typer(help="Manage accounts of the web app.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    email: str = typer.Argument(..., help="E-mail address (the sign-in name)."),
    name: str = typer.Option(..., "--name", help="Name shown in the app."),
    role: str = typer.Option("admin", "--role", help="admin, clinician or patient."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    database_url: str = typer.Option(
        None, "--database-url", help="SQLAlchemy URL of the database."
    ),
) -> None:
    """Add an account (the first admin of a fresh install, or any other)."""
    if role not in {r.value for r in Role}:
        raise InvalidInput("role", "must be admin, clinician or patient")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise InvalidInput("password", "the two entries differ")
    ctx = _services(_settings(database_url))
    user = accounts.create_user(ctx, _INSTALLER, email, name, Role(role), password)
    print(f"added {user.role.value} account {terminal_safe(user.email)}")


def demo(
    database_url: str = typer.Option(
        None, "--database-url", help="SQLAlchemy URL of the database."
    ),
) -> None:
    """Fill an empty database with a demo clinic: clinicians, patients, weeks of sessions."""
    from spinestep.services.demo import build_demo

    ctx = _services(_settings(database_url))
    if portal.has_users(ctx):
        raise InvalidInput("database", "already has accounts; the demo needs an empty database")
    assert ctx.hasher is not None
    summary = build_demo(ctx.uow, ctx.hasher, ctx.clock)
    print(f"demo clinic created; every account's password is: {summary.password}")
    for account in summary.accounts:
        story = f"  ({account.story})" if account.story else ""
        print(f"  {account.role.value:<9} {account.email}{story}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(user_app, name="user")
