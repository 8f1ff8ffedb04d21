"""Records commands: export/import (FHIR, CSV), reminders, report, backup/restore, questionnaires.

Thin wiring: the database comes from ``SPINESTEP_DATABASE_URL`` (or the local SQLite
file); the store feeds the services, whose plain records the interop adapters format.
``--patient`` defaults to the first profile of a local install.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import IO

import typer

from spinestep.cli import questionnaire_cli
from spinestep.errors import InvalidInput, NotFound
from spinestep.services.context import Actor, ServiceContext, SystemClock
from spinestep.settings import load_settings

LOCAL = Actor.local_person()


class CsvKind(StrEnum):
    SESSIONS = "sessions"
    DECISIONS = "decisions"


@contextmanager
def service_context() -> Iterator[ServiceContext]:
    """Open the configured database and hand the services a context over it."""
    from spinestep.store import open_store

    engine, uow = open_store(load_settings().resolved_database_url())
    try:
        yield ServiceContext(uow=uow, clock=SystemClock())
    finally:
        engine.dispose()


def patient_or_first(ctx: ServiceContext, patient: int | None) -> int:
    if patient is not None:
        return patient
    with ctx.uow() as uow:
        first = uow.patients.first()
    if first is None or first.id is None:
        raise NotFound("there is no patient profile yet")
    return first.id


def write_output(data: str | bytes, output: Path | None) -> None:
    """Write to ``output``, or to standard output when it is None or ``-``."""
    if output is None or str(output) == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    try:
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8", newline="")
    except OSError as error:
        raise InvalidInput("output", f"cannot write {output.name}: {error.strerror}") from None
    typer.echo(f"wrote {output}", err=True)


PatientOption = typer.Option(None, "--patient", help="Patient id (default: the first profile).")
OutputOption = typer.Option(
    None, "--output", "-o", help="File to write (default: standard output)."
)

export_app = typer.Typer(
    help="Export a patient's records (FHIR R4 Bundle or CSV).", no_args_is_help=True
)
import_app = typer.Typer(help="Import records exported by spinestep.", no_args_is_help=True)


@export_app.command("fhir")
def export_fhir(patient: int | None = PatientOption, output: Path | None = OutputOption) -> None:
    """Write one FHIR R4 Bundle: Patient, CarePlan, Observations, QuestionnaireResponses."""
    from spinestep.interop.fhir import bundle_json
    from spinestep.services.patient_records import load_patient_records

    with service_context() as ctx:
        records = load_patient_records(ctx, LOCAL, patient_or_first(ctx, patient))
        write_output(bundle_json(records, ctx.clock.now()), output)


@export_app.command("csv")
def export_csv(
    patient: int | None = PatientOption,
    kind: CsvKind = typer.Option(CsvKind.SESSIONS, "--what", help="sessions or decisions"),
    output: Path | None = OutputOption,
) -> None:
    """Write the patient's sessions (or decisions) as CSV."""
    from spinestep.interop.csv_io import decisions_csv, sessions_csv
    from spinestep.services.patient_records import load_patient_records

    with service_context() as ctx:
        records = load_patient_records(ctx, LOCAL, patient_or_first(ctx, patient))
    if kind is CsvKind.SESSIONS:
        write_output(sessions_csv(records.sessions), output)
    else:
        write_output(decisions_csv(records.decisions), output)


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes (standard input for ``-``); a file that cannot be
    opened is invalid input naming it."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = path.open("rb")
    except OSError as error:
        raise InvalidInput("FILE", f"cannot read {path.name}: {error.strerror}") from None
    with stream:
        yield stream


@import_app.command("fhir")
def import_fhir(
    file: Path = typer.Argument(..., help="A Bundle from 'export fhir' (- for stdin)."),
) -> None:
    """Create a new patient from a Bundle written by 'spinestep export fhir'; all or nothing."""
    from spinestep.interop.fhir_read import read_bundle_stream
    from spinestep.services.patient_records import import_patient_records

    with open_input(file) as stream:
        records = read_bundle_stream(stream, SystemClock().now())
    with service_context() as ctx:
        patient_id = import_patient_records(ctx, LOCAL, records)
    typer.echo(f"imported as patient {patient_id}; a clinician must clear the programme again")


@import_app.command("csv")
def import_csv(
    file: Path = typer.Argument(..., help="A sessions CSV from 'export csv' (- for stdin)."),
    patient: int | None = PatientOption,
) -> None:
    """Add the sessions of a CSV file to a patient; all rows or none. Decisions are not
    imported: the rules decide again from the sessions."""
    from spinestep.interop.csv_io import read_csv_stream
    from spinestep.services.patient_records import import_sessions

    with open_input(file) as stream:
        contents = read_csv_stream(stream, SystemClock().now())
    with service_context() as ctx:
        patient_id = patient_or_first(ctx, patient)
        count = import_sessions(ctx, LOCAL, patient_id, contents.sessions)
    typer.echo(f"imported {count} sessions for patient {patient_id}")


def _times(text: str | None) -> tuple[time, ...] | None:
    if not text:
        return None
    out = []
    for index, part in enumerate(text.split(",")):
        try:
            out.append(time.fromisoformat(part.strip()))
        except ValueError:
            raise InvalidInput(f"--times[{index}]", "must be HH:MM") from None
    return tuple(out)


def reminders(
    ics: Path = typer.Option(..., "--ics", help="Calendar file to write (- for stdout)."),
    patient: int | None = PatientOption,
    times: str | None = typer.Option(None, help="Session times, e.g. 08:00,11:00,14:00."),
    start: str | None = typer.Option(None, help="First day, YYYY-MM-DD (default today)."),
    days: int | None = typer.Option(None, help="Repeat for this many days (default: no end)."),
) -> None:
    """Write the planned session times as iCalendar events with daily recurrence."""
    from spinestep.interop.ical import reminders_ics
    from spinestep.services.record_exports import reminder_plan

    try:
        first_day = date.fromisoformat(start) if start else None
    except ValueError:
        raise InvalidInput("--start", "must be a date YYYY-MM-DD") from None
    with service_context() as ctx:
        plan = reminder_plan(
            ctx, LOCAL, patient_or_first(ctx, patient), _times(times), first_day, days
        )
        write_output(reminders_ics(plan, ctx.clock.now()), ics)


def report(
    pdf: Path = typer.Option(..., "--pdf", help="PDF file to write."),
    patient: int | None = PatientOption,
) -> None:
    """Write the clinician's one-page progress report as PDF."""
    from spinestep.interop.pdf import report_pdf
    from spinestep.services.record_exports import clinician_report

    with service_context() as ctx:
        content = clinician_report(ctx, LOCAL, patient_or_first(ctx, patient))
    write_output(report_pdf(content), pdf)


def backup(
    file: Path = typer.Argument(..., help="Backup file to create (owner-only, 0600)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
) -> None:
    """Back up the whole database, with a manifest of its rows, while spinestep keeps running."""
    from spinestep.store.backup import backup as run_backup

    summary = run_backup(load_settings().resolved_database_url(), file, overwrite=overwrite)
    typer.echo(f"backed up {summary.rows} rows ({summary.kind}) to {file}")


def restore(
    file: Path = typer.Argument(..., help="A file made by 'spinestep backup'."),
    yes: bool = typer.Option(False, "--yes", help="Replace the records already in the database."),
) -> None:
    """Check a backup in a separate copy, then swap it in; records are replaced only with --yes.

    A backup that fails a check (manifest, schema revision, unexpected triggers or views,
    integrity) is refused with exit status 2 and the database is left as it was.
    """
    from spinestep.store.backup import restore as run_restore

    summary = run_restore(load_settings().resolved_database_url(), file, replace=yes)
    revision = f" (schema {summary.revision}, upgraded to this version)" if summary.revision else ""
    typer.echo(f"restored {summary.rows} rows from {file}{revision}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the application."""
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
    app.command("reminders")(reminders)
    app.command("report")(report)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.add_typer(questionnaire_cli.build(service_context, patient_or_first), name="questionnaire")


__all__ = ["register", "service_context"]
