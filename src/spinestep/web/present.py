"""Turns the services' read-only views into the API's JSON shapes (and the pages' values)."""

from __future__ import annotations

from collections.abc import Sequence

from spinestep.domain.model import Dose, StageDefinition
from spinestep.domain.redflags import red_flag
from spinestep.services.instructions import countdown_hold_s
from spinestep.services.views import (
    DecisionView,
    ProgrammeUpdate,
    RedFlagView,
    SessionView,
    TodayView,
)
from spinestep.web import schemas


def dose_out(dose: Dose) -> schemas.DoseOut:
    return schemas.DoseOut(
        reps=dose.reps,
        hold_s=[dose.hold_s_min, dose.hold_s_max],
        sessions_per_day=dose.sessions_per_day,
    )


def stage_out(
    stage: StageDefinition, dose: Dose, instructions: Sequence[str] | None = None
) -> schemas.StageOut:
    """The stage in ``dose``; ``instructions`` are the lines in that dose (by default the
    protocol's own lines)."""
    return schemas.StageOut(
        number=stage.number,
        id=stage.id,
        title=stage.title,
        instructions=list(stage.instructions if instructions is None else instructions),
        dose=dose_out(dose),
        countdown_hold_s=countdown_hold_s(dose),
    )


def update_out(update: ProgrammeUpdate) -> schemas.ProgrammeUpdateOut:
    return schemas.ProgrammeUpdateOut(kind=update.kind, at=update.at, text=update.text)


def decision_out(view: DecisionView) -> schemas.DecisionOut:
    responses = None
    if view.responses is not None:
        responses = schemas.ResponsesOut(
            during=view.responses["during"],
            after=view.responses["after"],
            location=view.responses["location"],
        )
    return schemas.DecisionOut(
        decision=view.decision.value,
        urgency=view.urgency.value,
        current_stage=view.current_stage,
        next_stage=view.next_stage,
        continue_programme=view.decision.continues_programme,
        responses=responses,
        reasons=[schemas.ReasonOut(rule=r.rule, text=r.text, flag=r.flag) for r in view.reasons],
        message=view.message,
        dose=None if view.dose is None else dose_out(view.dose),
        made_at=view.made_at,
        rules_version=view.rules_version,
    )


def plan_out(today: TodayView, session_flags: list[str]) -> schemas.PlanOut:
    return schemas.PlanOut(
        protocol=today.protocol_id,
        protocol_title=today.protocol_title,
        direction=_direction(today),
        stage=stage_out(today.stage_definition, today.dose, today.instructions or None),
        stage_count=today.final_stage,
        status=today.status.value,
        paused=today.paused,
        paused_reason=today.paused_reason,
        clearance=today.clearance,
        directional_preference=today.directional_preference.value,
        sessions_today=today.sessions_done_today,
        sessions_planned_today=today.sessions_planned,
        time_zone=today.time_zone,
        emergency_number=today.emergency_number,
        session_flags=session_flags,
        latest_decision=None if today.last_decision is None else decision_out(today.last_decision),
        phase=today.phase.value,
        current_decision=(
            None if today.current_decision is None else decision_out(today.current_decision)
        ),
        update=None if today.update is None else update_out(today.update),
        pause_decision=(
            None if today.pause_decision is None else decision_out(today.pause_decision)
        ),
        adherence_7d_percent=None if today.adherence is None else today.adherence.percent,
        clinician_name=today.clinician_name,
    )


def _direction(today: TodayView) -> str:
    from spinestep.protocols import builtin_protocols

    protocol = builtin_protocols().get(today.protocol_id)
    return "" if protocol is None else protocol.direction.value


def session_out(view: SessionView) -> schemas.SessionOut:
    return schemas.SessionOut(
        id=view.id,
        at=view.at,
        stage=view.stage,
        completed=view.completed,
        reps=view.reps,
        effort=view.effort.value,
        pain_before=view.pain_before,
        pain_during=view.pain_during,
        pain_after=view.pain_after,
        location_before=view.location_before.code,
        location_after=view.location_after.code,
    )


def red_flag_out(view: RedFlagView) -> schemas.RedFlagOut:
    return schemas.RedFlagOut(
        id=view.id,
        code=view.code,
        question=view.question,
        urgency=view.urgency.value,
        reported_at=view.reported_at,
        resolved=view.resolved_at is not None,
        resolved_at=view.resolved_at,
        outcome=view.outcome,
    )


def flag_question(code: str) -> str:
    return red_flag(code).question
