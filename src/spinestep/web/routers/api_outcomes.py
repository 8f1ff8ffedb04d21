"""API for questionnaires over time and range of motion, for the patient and their clinician."""

from __future__ import annotations

from fastapi import APIRouter

from spinestep.domain.scoring import Instrument
from spinestep.services import rom_trend
from spinestep.services.questionnaire_scores import answers_from_json, score_answers
from spinestep.services.questionnaire_tracking import (
    questionnaire_history,
    questionnaires_due,
    record_questionnaire,
)
from spinestep.services.views import RomWeek
from spinestep.web.access import CareTeam, Ctx, PatientScope, PatientSelf
from spinestep.web.context import WebContext
from spinestep.web.questionnaire_views import due_json, history_json
from spinestep.web.schemas import error_responses
from spinestep.web.schemas_outcomes import (
    DueOut,
    PatientQuestionnairesOut,
    QuestionnaireHistoryOut,
    QuestionnaireIn,
    QuestionnaireRecordedOut,
    RomWeekOut,
)

router = APIRouter(tags=["outcomes"])
_PATIENT_ERRORS = error_responses(401, 403, 404)
_CARE_ERRORS = error_responses(401, 403, 404, 422)


def _due(ctx: WebContext, scope: PatientScope) -> list[DueOut]:
    items = questionnaires_due(ctx.services, scope.principal.actor, scope.patient_id)
    return [DueOut.model_validate(row) for row in due_json(items, ctx.clock.now())]


def _history(ctx: WebContext, scope: PatientScope) -> QuestionnaireHistoryOut:
    found = questionnaire_history(ctx.services, scope.principal.actor, scope.patient_id)
    return QuestionnaireHistoryOut.model_validate(history_json(found))


def _rom(weeks: tuple[RomWeek, ...]) -> list[RomWeekOut]:
    return [
        RomWeekOut(
            stage=w.stage,
            stage_id=w.stage_id,
            measure=w.measure,
            iso_year=w.iso_year,
            iso_week=w.iso_week,
            week_label=w.week_label,
            week_start=w.week_start,
            rom_deg_median=w.rom_deg_median,
            sessions=w.sessions,
        )
        for w in weeks
    ]


@router.get("/api/v1/me/questionnaires/due", response_model=list[DueOut], responses=_PATIENT_ERRORS)
def my_questionnaires_due(scope: PatientSelf, ctx: Ctx) -> list[DueOut]:
    """Questionnaires due now or next: STarT Back once, ODI or RMDQ (the clinician's choice)
    at the start and every 14 days, PSFS (asked when enabled, else optional)."""
    return _due(ctx, scope)


@router.get(
    "/api/v1/me/questionnaires", response_model=QuestionnaireHistoryOut, responses=_PATIENT_ERRORS
)
def my_questionnaires(scope: PatientSelf, ctx: Ctx) -> QuestionnaireHistoryOut:
    """STarT Back risk group, and each measure's baseline and follow-ups with their verdict."""
    return _history(ctx, scope)


@router.post(
    "/api/v1/me/questionnaires",
    status_code=201,
    response_model=QuestionnaireRecordedOut,
    responses=error_responses(401, 403, 404, 422),
)
def my_questionnaire_record(
    body: QuestionnaireIn, scope: PatientSelf, ctx: Ctx
) -> QuestionnaireRecordedOut:
    """Answer a questionnaire (the keys of ``spinestep score``); it is scored and kept."""
    instrument = Instrument(body.instrument)
    data = body.model_dump(exclude={"instrument"})
    if data.get("activities") == []:
        del data["activities"]
    entry = record_questionnaire(
        ctx.services, scope.principal.actor, scope.patient_id, answers_from_json(instrument, data)
    )
    return QuestionnaireRecordedOut(
        instrument=body.instrument,
        taken_at=entry.taken_at,
        result=score_answers(entry.answers).to_json(),
    )


@router.get("/api/v1/me/rom", response_model=list[RomWeekOut], responses=_PATIENT_ERRORS)
def my_rom(scope: PatientSelf, ctx: Ctx) -> list[RomWeekOut]:
    """Range of motion per stage and ISO week, from sessions saved with a motion analysis."""
    return _rom(rom_trend.rom_by_stage_week(ctx.services, scope.principal.actor, scope.patient_id))


@router.get(
    "/api/v1/patients/{patient_id}/questionnaires",
    response_model=PatientQuestionnairesOut,
    responses=_CARE_ERRORS,
)
def patient_questionnaires(scope: CareTeam, ctx: Ctx) -> PatientQuestionnairesOut:
    """The patient's outcome measure choice, what is due, STarT Back risk and the verdicts."""
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(scope.patient_id)
    return PatientQuestionnairesOut(
        outcome_measure=None if assignment is None else assignment.outcome_measure.value,
        psfs_enabled=assignment is not None and assignment.psfs_enabled,
        due=_due(ctx, scope),
        history=_history(ctx, scope),
    )


@router.get(
    "/api/v1/patients/{patient_id}/rom", response_model=list[RomWeekOut], responses=_CARE_ERRORS
)
def patient_rom(scope: CareTeam, ctx: Ctx) -> list[RomWeekOut]:
    """Range of motion per stage and ISO week (audited)."""
    return _rom(rom_trend.rom_by_stage_week(ctx.services, scope.principal.actor, scope.patient_id))
