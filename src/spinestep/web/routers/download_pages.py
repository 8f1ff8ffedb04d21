"""Downloads from the pages: the patient's reminders, FHIR Bundle and CSV; the clinician's
FHIR Bundle, CSV and one-page PDF report of a patient (each audited by the services)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.interop.downloads import (
    Download,
    csv_download,
    fhir_download,
    reminders_download,
    report_download,
)
from spinestep.services.context import Actor, ServiceContext
from spinestep.web.access import CareTeam, Ctx, PatientScope, PatientSelf
from spinestep.web.context import WebContext
from spinestep.web.slow_work import run_slow

router = APIRouter(include_in_schema=False)

Builder = Callable[[ServiceContext, Actor, int], Download]


def _send(download: Download, filename: str | None = None) -> Response:
    name = filename or download.filename
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def _slow_send(
    request: Request,
    build: Builder,
    scope: PatientScope,
    ctx: WebContext,
    filename: str | None = None,
) -> Response:
    """A download of a whole history, built in the threads for slow requests
    (``web.slow_work``), so downloads never hold the threads of everyday requests."""
    work = partial(build, ctx.services, scope.principal.actor, scope.patient_id)
    return _send(await run_slow(request, work), filename)


@router.get("/my-data/reminders.ics")
def my_reminders(scope: PatientSelf, ctx: Ctx) -> Response:
    return _send(reminders_download(ctx.services, scope.principal.actor, scope.patient_id))


@router.get("/my-data/records.fhir.json")
async def my_fhir(request: Request, scope: PatientSelf, ctx: Ctx) -> Response:
    return await _slow_send(request, fhir_download, scope, ctx, "spinestep-my-records.fhir.json")


@router.get("/my-data/sessions.csv")
async def my_sessions_csv(request: Request, scope: PatientSelf, ctx: Ctx) -> Response:
    return await _slow_send(request, csv_download, scope, ctx, "spinestep-my-sessions.csv")


@router.get("/clinic/patients/{patient_id}/records.fhir.json")
async def patient_fhir(request: Request, scope: CareTeam, ctx: Ctx) -> Response:
    return await _slow_send(request, fhir_download, scope, ctx)


@router.get("/clinic/patients/{patient_id}/sessions.csv")
async def patient_sessions_csv(request: Request, scope: CareTeam, ctx: Ctx) -> Response:
    return await _slow_send(request, csv_download, scope, ctx)


@router.get("/clinic/patients/{patient_id}/report.pdf")
async def patient_report(request: Request, scope: CareTeam, ctx: Ctx) -> Response:
    return await _slow_send(request, report_download, scope, ctx)
