"""Running the rules on stored history, and storing what they decided (SPEC §3.5).

The rules only look at the most recent ``max(progress_after_sessions, 3)`` sessions, so
only that window is read. The decision is stored with the exact inputs it saw, in the
§3.4 request shape (so ``spinestep decide`` can replay it), and the rules version. A
pausing decision pauses the programme; progress and regress move its current stage.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from spinestep.domain.history import tail_needed
from spinestep.domain.model import (
    Decision,
    DecisionInput,
    DecisionResult,
    Dose,
    Phase,
    ProtocolDefinition,
    RuleSettings,
    SessionRecord,
)
from spinestep.domain.rules import decide
from spinestep.protocols import load_builtin
from spinestep.services.context import Actor
from spinestep.services.ports import Clock, UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    StoredDecision,
    StoredSession,
)
from spinestep.services.views import dose_from_json

#: Sessions read first when running the rules; enough for five a day over two weeks.
FIRST_BATCH = 80


def protocol_of(assignment: AssignmentRecord) -> ProtocolDefinition:
    return load_builtin(assignment.protocol_id)


def dose_overrides(assignment: AssignmentRecord) -> dict[int, Dose]:
    return {int(stage): dose_from_json(dose) for stage, dose in assignment.dose_overrides.items()}


def effective_dose(protocol: ProtocolDefinition, assignment: AssignmentRecord, stage: int) -> Dose:
    """The clinician's dose for ``stage`` if set, else the protocol's."""
    return dose_overrides(assignment).get(stage, protocol.stage(stage).dose)


def current_dose(assignment: AssignmentRecord) -> Dose:
    """The dose the patient does now: the clinician's or the protocol's for the current stage;
    in maintenance, the maintenance stage's with ``maintenance_sessions_per_day`` a day.
    """
    protocol = protocol_of(assignment)
    if assignment.phase is Phase.MAINTENANCE:
        dose = effective_dose(protocol, assignment, protocol.maintenance_stage)
        return replace(dose, sessions_per_day=assignment.maintenance_sessions_per_day)
    return effective_dose(protocol, assignment, assignment.current_stage)


def rule_settings(assignment: AssignmentRecord) -> RuleSettings:
    return RuleSettings(
        progress_after_sessions=assignment.progress_after_sessions,
        min_days_at_stage=assignment.min_days_at_stage,
        worsening_points=assignment.worsening_points,
        progress_max_pain=assignment.progress_max_pain,
        progress_max_location=assignment.progress_max_location,
        maintenance_sessions_per_day=assignment.maintenance_sessions_per_day,
    )


def apply_settings(assignment: AssignmentRecord, settings: RuleSettings) -> None:
    """Store every rule setting of ``settings`` on the programme (the inverse of
    ``rule_settings``); the caller has checked the ranges.
    """
    assignment.progress_after_sessions = settings.progress_after_sessions
    assignment.min_days_at_stage = settings.min_days_at_stage
    assignment.worsening_points = settings.worsening_points
    assignment.progress_max_pain = settings.progress_max_pain
    assignment.progress_max_location = settings.progress_max_location
    assignment.maintenance_sessions_per_day = settings.maintenance_sessions_per_day


def recent_history(
    uow: UnitOfWork, assignment: AssignmentRecord, settings: RuleSettings
) -> tuple[SessionRecord, ...]:
    """The most recent sessions, as many as the rules can look at (and no more).

    Reads a batch, asks the domain how much of it the rules walk over, and reads a
    bigger batch only when they might walk over all of it (a long run at one stage).
    """
    assert assignment.id is not None
    limit = FIRST_BATCH
    while True:
        stored = uow.sessions.recent(assignment.id, limit)
        sessions = tuple(session_record(entry) for entry in stored)
        needed = tail_needed(sessions, assignment.current_stage, assignment.run_since, settings)
        if needed is not None:
            return sessions[len(sessions) - needed :]
        if len(stored) < limit:
            return sessions
        limit *= 4


def session_record(entry: StoredSession) -> SessionRecord:
    return SessionRecord(
        at=entry.at,
        stage=entry.stage,
        effort=entry.effort,
        pain_before=entry.pain_before,
        pain_during=entry.pain_during,
        pain_after=entry.pain_after,
        location_before=entry.location_before,
        location_after=entry.location_after,
        completed=entry.completed,
        reps=entry.reps,
    )


def build_input(
    uow: UnitOfWork, patient: PatientRecord, assignment: AssignmentRecord
) -> DecisionInput:
    """The rules' input from what is stored: recent sessions, unresolved flags, settings."""
    if assignment.id is None or patient.id is None:
        raise ValueError("records must be stored first")
    protocol = protocol_of(assignment)
    settings = rule_settings(assignment)
    flags = sorted({report.code for report in uow.red_flags.unresolved_for(patient.id)})
    return DecisionInput(
        protocol=protocol,
        current_stage=assignment.current_stage,
        sessions=recent_history(uow, assignment, settings),
        clearance=assignment.clearance,
        directional_preference=assignment.directional_preference,
        red_flags=tuple(flags),
        settings=settings,
        doses=dose_overrides(assignment),
        emergency_number=patient.emergency_number.value,
        phase=assignment.phase,
        run_since=assignment.run_since,
    )


def input_snapshot(inp: DecisionInput) -> dict[str, Any]:
    """The input as a SPEC §3.4 request (under ``request``) plus the emergency number."""
    sessions: list[dict[str, Any]] = []
    for session in inp.sessions:
        item: dict[str, Any] = {
            "at": session.at.isoformat(),
            "stage": session.stage,
            "completed": session.completed,
            "effort": session.effort.value,
            "pain_before": session.pain_before,
            "pain_during": session.pain_during,
            "pain_after": session.pain_after,
            "location_before": session.location_before.code,
            "location_after": session.location_after.code,
        }
        if session.reps is not None:
            item["reps"] = session.reps
        sessions.append(item)
    settings = inp.settings
    request: dict[str, Any] = {
        "protocol": inp.protocol.id,
        "current_stage": inp.current_stage,
        "clearance": inp.clearance,
        "directional_preference": inp.directional_preference.value,
        "red_flags": list(inp.red_flags),
        "settings": {
            "progress_after_sessions": settings.progress_after_sessions,
            "min_days_at_stage": settings.min_days_at_stage,
            "worsening_points": settings.worsening_points,
            "progress_max_pain": settings.progress_max_pain,
            "progress_max_location": settings.progress_max_location.code,
            "maintenance_sessions_per_day": settings.maintenance_sessions_per_day,
        },
        "doses": {str(stage): dose.to_json() for stage, dose in sorted(inp.doses.items())},
        "phase": inp.phase.value,
        "sessions": sessions,
    }
    if inp.run_since is not None:
        request["run_since"] = inp.run_since.isoformat()
    return {"request": request, "emergency_number": inp.emergency_number}


def store_decision(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient: PatientRecord,
    assignment: AssignmentRecord,
    inp: DecisionInput,
    result: DecisionResult,
    session_id: int | None,
) -> StoredDecision:
    """Store the decision and apply it to the assignment, in the caller's unit of work."""
    if patient.id is None or assignment.id is None:
        raise ValueError("records must be stored first")
    now = clock.now()
    entry = uow.decisions.add(
        StoredDecision(
            patient_id=patient.id,
            assignment_id=assignment.id,
            session_id=session_id,
            made_at=now,
            decision=result.decision,
            urgency=result.urgency,
            current_stage=result.current_stage,
            next_stage=result.next_stage,
            reasons=[reason.to_json() for reason in result.reasons],
            message=result.message,
            dose=None if result.dose is None else result.dose.to_json(),
            responses=None if result.responses is None else result.responses.to_json(),
            inputs=input_snapshot(inp),
            rules_version=result.rules_version,
            phase=result.phase,
        )
    )
    _apply(uow, now, actor, patient.id, assignment, result)
    return entry


def _apply(
    uow: UnitOfWork,
    now: datetime,
    actor: Actor,
    patient_id: int,
    assignment: AssignmentRecord,
    result: DecisionResult,
) -> None:
    """Pause on a pausing decision; move the stage on progress/regress; enter maintenance
    on maintain. A stage or phase change starts a new run (``run_since``).
    """
    assert assignment.id is not None
    decision = result.decision
    rules = ", ".join(sorted({reason.rule for reason in result.reasons}))

    def event(kind: EventKind, reason: str) -> None:
        uow.events.add(
            ProgrammeEvent(
                patient_id=patient_id,
                assignment_id=assignment.id or 0,
                kind=kind,
                at=now,
                reason=reason,
                actor_user_id=actor.user_id,
            )
        )

    changed = False
    if decision.pauses_programme and assignment.status is not ProgrammeStatus.PAUSED:
        assignment.status = ProgrammeStatus.PAUSED
        assignment.paused_reason = f"{decision.value} ({rules})"
        assignment.paused_at = now
        event(EventKind.PAUSE, assignment.paused_reason)
        changed = True
    elif decision is Decision.MAINTAIN and assignment.phase is Phase.PROGRESSION:
        maintenance = result.next_stage or assignment.current_stage
        event(
            EventKind.COMPLETE,
            f"maintain: programme complete at stage {assignment.current_stage}; maintenance "
            f"at stage {maintenance} ({rules})",
        )
        assignment.phase = Phase.MAINTENANCE
        assignment.current_stage = maintenance
        assignment.run_since = now
        changed = True
    elif (
        decision in (Decision.PROGRESS, Decision.REGRESS)
        and result.next_stage is not None
        and result.next_stage != assignment.current_stage
    ):
        event(
            EventKind.STAGE_CHANGE,
            f"{decision.value}: stage {assignment.current_stage} to {result.next_stage} ({rules})",
        )
        assignment.current_stage = result.next_stage
        assignment.run_since = now
        changed = True
    if changed:
        assignment.updated_at = now
        uow.assignments.update(assignment)


def run_rules(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    patient: PatientRecord,
    assignment: AssignmentRecord,
    session_id: int | None = None,
) -> StoredDecision:
    """Build the input from storage, decide, store and apply; the caller commits."""
    inp = build_input(uow, patient, assignment)
    return store_decision(uow, clock, actor, patient, assignment, inp, decide(inp), session_id)
