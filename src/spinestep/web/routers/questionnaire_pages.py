"""The patient's questionnaire pages: what is due, answer one, and the change over time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from spinestep.domain.scoring import Bothersomeness, Instrument
from spinestep.errors import InvalidInput
from spinestep.services.clinic_port import StoredWordingPack
from spinestep.services.questionnaire_tracking import (
    questionnaire_history,
    questionnaires_due,
    record_questionnaire,
)
from spinestep.services.wording_packs import current_pack
from spinestep.web.access import Ctx, PatientSelf
from spinestep.web.pages import CheckedForm, PagesDep, redirect
from spinestep.web.questionnaire_views import (
    BOTHER_LABELS,
    ODI_SECTIONS,
    PSFS_ACTIVITIES,
    RMDQ_STATEMENTS,
    STARTBACK_ITEMS,
    TITLES,
    answers_from_form,
    asked_instrument,
    due_page_values,
    history_page_values,
    shown_pack_id,
)

router = APIRouter(include_in_schema=False)


def _pack_values(pack: StoredWordingPack | None) -> dict[str, Any] | None:
    """A wording pack as the form shows it: items numbered from 1, options in scoring order."""
    if pack is None:
        return None
    return {
        "id": pack.id,
        "version": pack.pack_version,
        "title": pack.title,
        "instructions": pack.instructions,
        "source": pack.source,
        "questions": [
            (n, item["text"], [(o["score"], o["text"]) for o in item["options"]])
            for n, item in enumerate(pack.content["items"], start=1)
        ],
    }


def _form_values(instrument: Instrument, pack: StoredWordingPack | None = None) -> dict[str, Any]:
    return {
        "pack": _pack_values(pack),
        "instrument": instrument.value,
        "title": TITLES[instrument],
        "odi_sections": list(enumerate(ODI_SECTIONS, start=1)),
        "rmdq_count": RMDQ_STATEMENTS,
        "psfs_count": PSFS_ACTIVITIES,
        "startback_items": list(enumerate(STARTBACK_ITEMS, start=1)),
        "bother": [(b.value, BOTHER_LABELS[b]) for b in Bothersomeness],
    }


@router.get("/questionnaires")
def questionnaires_page(
    request: Request, scope: PatientSelf, ctx: Ctx, pages: PagesDep
) -> Response:
    actor = scope.principal.actor
    zone = scope.patient.time_zone
    due = questionnaires_due(ctx.services, actor, scope.patient_id)
    paper = [
        TITLES[i]
        for i in (Instrument.ODI, Instrument.RMDQ)
        if current_pack(ctx.services, i) is None
    ]
    found = questionnaire_history(ctx.services, actor, scope.patient_id)
    return pages.render(
        request,
        "patient/questionnaires.html",
        notice="Thank you: your answers were saved."
        if request.query_params.get("done") == "saved"
        else None,
        due=due_page_values(due, ctx.clock.now(), zone),
        history=history_page_values(found, zone),
        paper=paper,
    )


@router.get("/questionnaires/{instrument}")
def questionnaire_form(
    request: Request, instrument: str, scope: PatientSelf, ctx: Ctx, pages: PagesDep
) -> Response:
    asked = asked_instrument(instrument)
    pack = current_pack(ctx.services, asked)
    return pages.render(
        request, "patient/questionnaire.html", error=None, **_form_values(asked, pack)
    )


@router.post("/questionnaires/{instrument}")
def questionnaire_submit(
    request: Request,
    instrument: str,
    scope: PatientSelf,
    ctx: Ctx,
    pages: PagesDep,
    form: CheckedForm,
) -> Response:
    asked = asked_instrument(instrument)
    try:
        shown = shown_pack_id(form)
        answers = answers_from_form(asked, form)
        record_questionnaire(
            ctx.services, scope.principal.actor, scope.patient_id, answers, wording_pack_id=shown
        )
    except InvalidInput as error:
        return pages.render(
            request,
            "patient/questionnaire.html",
            status_code=422,
            error=str(error),
            **_form_values(asked, current_pack(ctx.services, asked)),
        )
    return redirect("/questionnaires?done=saved")
