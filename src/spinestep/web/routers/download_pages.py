"""Downloads from the pages: the patient's reminders, FHIR Bundle and CSV; the clinician's
FHIR Bundle, CSV and one-page PDF report of a patient (each audited by the services)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from spinestep.interop.downloads import (
    Download,
    csv_download,
    fhir_download,
    reminders_download,
    report_download,
)
from spinestep.web.access import CareTeam, Ctx, PatientSelf

router = APIRouter(include_in_schema=False)


def _send(download: Download, filename: str | None = None) -> Response:
    name = filename or download.filename
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/my-data/reminders.ics")
def my_reminders(scope: PatientSelf, ctx: Ctx) -> Response:
    return _send(reminders_download(ctx.services, scope.principal.actor, scope.patient_id))


@router.get("/my-data/records.fhir.json")
def my_fhir(scope: PatientSelf, ctx: Ctx) -> Response:
    found = fhir_download(ctx.services, scope.principal.actor, scope.patient_id)
    return _send(found, "spinestep-my-records.fhir.json")


@router.get("/my-data/sessions.csv")
def my_sessions_csv(scope: PatientSelf, ctx: Ctx) -> Response:
    found = csv_download(ctx.services, scope.principal.actor, scope.patient_id)
    return _send(found, "spinestep-my-sessions.csv")


@router.get("/clinic/patients/{patient_id}/records.fhir.json")
def patient_fhir(scope: CareTeam, ctx: Ctx) -> Response:
    return _send(fhir_download(ctx.services, scope.principal.actor, scope.patient_id))


@router.get("/clinic/patients/{patient_id}/sessions.csv")
def patient_sessions_csv(scope: CareTeam, ctx: Ctx) -> Response:
    return _send(csv_download(ctx.services, scope.principal.actor, scope.patient_id))


@router.get("/clinic/patients/{patient_id}/report.pdf")
def patient_report(scope: CareTeam, ctx: Ctx) -> Response:
    return _send(report_download(ctx.services, scope.principal.actor, scope.patient_id))
