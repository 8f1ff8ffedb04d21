"""What Today says about the programme now (SPEC §3.5, "Today tells one story").

The latest decision's message applies until the programme changes after it: a resume,
a plan or stage change, a new clearance, a pause, or a red flag resolved. Those changes
are compared with the decision by their stored instants; the newest one that came after
the decision replaces its message ("Your clinician resumed your programme on 3 Dec at
10:02."). Changes the rules made with the decision itself (a stage change, a pause) carry
the decision's own instant and so never replace it.

In maintenance the exercise is the protocol's maintenance stage at the maintenance dose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from spinestep.domain.model import Dose, Phase, ProtocolDefinition
from spinestep.services.deciding import current_dose, effective_dose
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    PatientRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    RedFlagReport,
    StoredDecision,
)
from spinestep.services.views import DecisionView, ProgrammeUpdate

_KIND = {
    EventKind.RESUME: "resume",
    EventKind.PAUSE: "pause",
    EventKind.STAGE_CHANGE: "stage_change",
    EventKind.SETTINGS_CHANGE: "plan_change",
    EventKind.CLEARANCE: "clearance",
    EventKind.PRESCRIBE: "new_programme",
    EventKind.COMPLETE: "maintenance",
}
_SAYS = {
    "resume": "{who} resumed your programme on {when}.",
    "pause": "Your programme was paused on {when}.",
    "stage_change": "{who} changed your stage on {when}.",
    "plan_change": "{who} changed your plan on {when}.",
    "clearance": "{who} updated your clearance on {when}.",
    "new_programme": "{who} set up a new programme for you on {when}.",
    "maintenance": "Your programme moved to maintenance on {when}.",
    "flag_resolved": "{who} recorded the review of your red flag on {when}.",
}


def local_when(at: datetime, time_zone: str) -> str:
    """The local time as "3 Dec at 10:02", in the patient's time zone."""
    local = at.astimezone(ZoneInfo(time_zone))
    return f"{local.day} {local:%b} at {local:%H:%M}"


def _who(user_id: int | None, patient: PatientRecord, self_confirmed: bool = False) -> str:
    if self_confirmed or user_id is None or user_id == patient.user_id:
        return "You"
    return "Your clinician"


def _update(kind: str, at: datetime, who: str, patient: PatientRecord) -> ProgrammeUpdate:
    text = _SAYS[kind].format(who=who, when=local_when(at, patient.time_zone))
    return ProgrammeUpdate(kind=kind, at=at, text=text)


def update_after(
    decision: StoredDecision | None,
    events: Sequence[ProgrammeEvent],
    flags: Sequence[RedFlagReport],
    patient: PatientRecord,
) -> ProgrammeUpdate | None:
    """The newest programme change strictly after ``decision`` (None if there is none, or
    no decision yet)."""
    if decision is None:
        return None
    since = decision.made_at
    found: list[ProgrammeUpdate] = []
    for event in events:
        kind = _KIND.get(event.kind)
        if kind is not None and event.at > since:
            found.append(_update(kind, event.at, _who(event.actor_user_id, patient), patient))
    for report in flags:
        if report.resolved_at is not None and report.resolved_at > since:
            who = _who(report.resolved_by, patient, report.resolved_by_self)
            found.append(_update("flag_resolved", report.resolved_at, who, patient))
    return max(found, key=lambda update: update.at, default=None)


def pause_cause(
    uow: UnitOfWork, assignment: AssignmentRecord, latest: StoredDecision | None
) -> DecisionView | None:
    """The decision that paused the programme (None when it is not paused by a decision)."""
    if assignment.status is not ProgrammeStatus.PAUSED:
        return None
    if latest is not None and latest.decision.pauses_programme:
        return DecisionView.of(latest)
    # A newer decision that does not pause (older data): look for the pausing one.
    paused_at = assignment.paused_at
    causes = [
        d
        for d in uow.decisions.for_patient(assignment.patient_id)
        if d.decision.pauses_programme and (paused_at is None or d.made_at <= paused_at)
    ]
    return DecisionView.of(causes[-1]) if causes else None


def exercise_now(protocol: ProtocolDefinition, assignment: AssignmentRecord) -> tuple[int, Dose]:
    """The stage the person exercises at now and its dose: in maintenance the maintenance
    stage at ``maintenance_sessions_per_day`` (also for a programme stored as completed
    before the maintenance phase existed)."""
    if assignment.phase is Phase.MAINTENANCE:
        return protocol.maintenance_stage, current_dose(assignment)
    if assignment.status is ProgrammeStatus.COMPLETED:
        stage = protocol.maintenance_stage
        dose = effective_dose(protocol, assignment, stage)
        return stage, replace(dose, sessions_per_day=assignment.maintenance_sessions_per_day)
    return assignment.current_stage, current_dose(assignment)


def phase_now(assignment: AssignmentRecord) -> Phase:
    if assignment.status is ProgrammeStatus.COMPLETED:
        return Phase.MAINTENANCE
    return assignment.phase
