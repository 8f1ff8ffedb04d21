"""API for the patient's exercise demonstration (``GET /api/v1/me/demonstration``)."""

from __future__ import annotations

from fastapi import APIRouter

from spinestep.web.access import Ctx, PatientSelf
from spinestep.web.demonstration import MyDemonstrationOut, demonstration_out
from spinestep.web.patient_actions import own_today
from spinestep.web.schemas import error_responses

router = APIRouter(tags=["patient"])


@router.get(
    "/api/v1/me/demonstration",
    response_model=MyDemonstrationOut,
    responses=error_responses(401, 403, 404),
)
def my_demonstration(scope: PatientSelf, ctx: Ctx) -> MyDemonstrationOut:
    """The drawn demonstration of the exercise the patient does now (in maintenance, the
    maintenance exercise) at their own dose: keyframes, cue words and one repetition's
    timing (move, hold for the dose's countdown, return, rest). Null when the protocol
    gives no demonstration for the stage."""
    today = own_today(ctx, scope)
    return MyDemonstrationOut(demonstration=demonstration_out(today.stage_definition, today.dose))
