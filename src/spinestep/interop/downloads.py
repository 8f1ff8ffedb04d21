"""Ready-made downloads for the web app: bytes, a file name and a media type.

Each function runs the service use case (access checks and audit included) and formats
the result, so a route only has to send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.interop.csv_io import decisions_csv, sessions_csv
from spinestep.interop.fhir import bundle_bytes, gc_paused
from spinestep.interop.ical import reminders_ics
from spinestep.interop.pdf import report_pdf
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.patient_records import load_patient_records
from spinestep.services.record_exports import clinician_report, reminder_plan


@dataclass(frozen=True, slots=True)
class Download:
    content: bytes
    filename: str
    media_type: str


def fhir_download(ctx: ServiceContext, actor: Actor, patient_id: int) -> Download:
    with gc_paused():  # thousands of records, then a Bundle of them: no reference cycles
        records = load_patient_records(ctx, actor, patient_id)
        content = bundle_bytes(records, ctx.clock.now())
    return Download(content, f"spinestep-patient-{patient_id}.fhir.json", "application/fhir+json")


def csv_download(
    ctx: ServiceContext, actor: Actor, patient_id: int, *, decisions: bool = False
) -> Download:
    records = load_patient_records(ctx, actor, patient_id)
    kind = "decisions" if decisions else "sessions"
    text = decisions_csv(records.decisions) if decisions else sessions_csv(records.sessions)
    return Download(
        text.encode("utf-8"),
        f"spinestep-patient-{patient_id}-{kind}.csv",
        "text/csv; charset=utf-8",
    )


def reminders_download(ctx: ServiceContext, actor: Actor, patient_id: int) -> Download:
    plan = reminder_plan(ctx, actor, patient_id)
    return Download(
        reminders_ics(plan, ctx.clock.now()),
        "spinestep-sessions.ics",
        "text/calendar; charset=utf-8",
    )


def report_download(ctx: ServiceContext, actor: Actor, patient_id: int) -> Download:
    content = report_pdf(clinician_report(ctx, actor, patient_id))
    return Download(content, f"spinestep-report-patient-{patient_id}.pdf", "application/pdf")
