"""Shared wiring of the coach commands: the database, the local person, errors, --patient."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from spinestep.cli.output import error_line
from spinestep.errors import NotFound, SpinestepError
from spinestep.services import programme
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.settings import load_settings

if TYPE_CHECKING:
    from rich.console import Console

LOCAL = Actor.local_person()
FAST_ENV = "SPINESTEP_FAST_COUNTDOWN"
INTERRUPTED_EXIT = 130

PatientOption = Annotated[
    int | None,
    typer.Option(
        "--patient",
        help="Patient profile id; by default the first profile in this database.",
        show_default=False,
    ),
]


def new_console() -> Console:
    from rich.console import Console  # imported by the commands that print with it

    return Console(highlight=False)


@contextmanager
def services() -> Iterator[ServiceContext]:
    """Open the configured database (SPINESTEP_DATABASE_URL or the local SQLite file)."""
    from spinestep.store import open_store

    engine, uow = open_store(load_settings().resolved_database_url())
    try:
        yield ServiceContext(uow=uow, clock=SystemClock())
    finally:
        engine.dispose()


def fail(error: SpinestepError) -> NoReturn:
    typer.echo(error_line(error), err=True)
    raise typer.Exit(error.exit_code)


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except SpinestepError as error:
        fail(error)


def resolve_patient(ctx: ServiceContext, patient: int | None) -> int:
    if patient is not None:
        return patient
    found = programme.first_patient_id(ctx, LOCAL)
    if found is None:
        raise NotFound("there is no profile yet: run 'spinestep init' first")
    return found
