"""The clinician's dashboard: who needs attention first, and the alert list (web helper).

Ordering (most urgent first): an open emergency flag; an open urgent flag (same-day or
urgent referral); another open flag awaiting review; a stop or pause; a regression;
falling adherence (below 50 % over the last 7 days, or below the 7 days before; both by
``services.adherence``, the one definition every screen shows; only once the programme
was active on at least 3 of the 7 days). Within a level, the most recent last session
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo

from spinestep.domain.model import Decision, Phase, Urgency
from spinestep.domain.redflags import RED_FLAGS
from spinestep.errors import PermissionDenied
from spinestep.services.access import audit
from spinestep.services.adherence import adherence_in
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import PatientRecord, ProgrammeStatus, Role

ADHERENCE_WINDOW = timedelta(days=7)
FALLING_BELOW_PERCENT = 50
#: Adherence is called falling only once the programme was active on this many of the 7 days.
FALLING_AFTER_DAYS = 3
ALERT_WINDOW = timedelta(days=30)
_ALERT_FLAG_URGENCIES = frozenset({Urgency.EMERGENCY, Urgency.URGENT_SAME_DAY, Urgency.URGENT})


class Attention(IntEnum):
    NONE = 0
    FALLING_ADHERENCE = 1
    REGRESSED = 2
    STOPPED = 3
    FLAG_REVIEW = 4
    FLAG_URGENT = 5
    FLAG_EMERGENCY = 6

    @property
    def label(self) -> str:
        return {
            Attention.NONE: "on track",
            Attention.FALLING_ADHERENCE: "adherence falling",
            Attention.REGRESSED: "regressed",
            Attention.STOPPED: "stopped",
            Attention.FLAG_REVIEW: "clinician review",
            Attention.FLAG_URGENT: "urgent referral",
            Attention.FLAG_EMERGENCY: "emergency",
        }[self]

    @property
    def level(self) -> str:
        """A CSS-friendly code: decision-like names the pages colour."""
        return {
            Attention.NONE: "none",
            Attention.FALLING_ADHERENCE: "soon",
            Attention.REGRESSED: "regress",
            Attention.STOPPED: "stop",
            Attention.FLAG_REVIEW: "clinician_review",
            Attention.FLAG_URGENT: "urgent_referral",
            Attention.FLAG_EMERGENCY: "emergency",
        }[self]


@dataclass(frozen=True, slots=True)
class AttentionRow:
    patient_id: int
    display_name: str
    attention: Attention
    reason: str
    protocol_id: str | None
    stage: int | None
    status: ProgrammeStatus | None
    last_session_at: datetime | None
    adherence_7d_percent: int | None
    time_zone: str
    phase: Phase | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    patient_id: int
    display_name: str
    kind: str  # "red_flag" or "stop"
    urgency: Urgency
    at: datetime
    summary: str
    resolved: bool


def _clinician_patients(uow: UnitOfWork, actor: Actor) -> list[PatientRecord]:
    if actor.role is not Role.CLINICIAN or actor.user_id is None:
        raise PermissionDenied("only a clinician has a patient list")
    return uow.patients.for_clinician(actor.user_id)


def _row(uow: UnitOfWork, patient: PatientRecord, now: datetime) -> AttentionRow:
    assert patient.id is not None
    assignment = uow.assignments.current_for(patient.id)
    flags = uow.red_flags.unresolved_for(patient.id)
    week_ago = now - ADHERENCE_WINDOW
    regressed = any(
        d.decision is Decision.REGRESS and d.made_at >= week_ago
        for d in uow.decisions.for_patient(patient.id)
    )
    recent = uow.sessions.recent(assignment.id, 1) if assignment and assignment.id else []
    adherence = None
    falling = False
    if assignment is not None:
        week = adherence_in(uow, assignment, patient.time_zone, now)
        before = adherence_in(uow, assignment, patient.time_zone, now - ADHERENCE_WINDOW).percent
        adherence = week.percent
        active = assignment.status is not ProgrammeStatus.PAUSED and assignment.clearance
        falling = (
            active
            and adherence is not None
            and week.active_days >= FALLING_AFTER_DAYS
            and (adherence < FALLING_BELOW_PERCENT or (before is not None and adherence < before))
        )
    attention, reason = Attention.NONE, "on track"
    urgencies = [RED_FLAGS[f.code].urgency for f in flags]
    if Urgency.EMERGENCY in urgencies:
        attention, reason = Attention.FLAG_EMERGENCY, "emergency red flag open"
    elif any(u in (Urgency.URGENT_SAME_DAY, Urgency.URGENT) for u in urgencies):
        attention, reason = Attention.FLAG_URGENT, "urgent red flag open"
    elif flags:
        attention, reason = Attention.FLAG_REVIEW, "red flag awaiting review"
    elif assignment is not None and assignment.status is ProgrammeStatus.PAUSED:
        attention, reason = Attention.STOPPED, "programme paused after a stop"
    elif regressed:
        attention, reason = Attention.REGRESSED, "moved back a stage this week"
    elif falling:
        attention, reason = Attention.FALLING_ADHERENCE, "fewer sessions than planned"
    elif assignment is not None and not assignment.clearance:
        reason = "awaiting your clearance"
    elif assignment is not None and (
        assignment.phase is Phase.MAINTENANCE or assignment.status is ProgrammeStatus.COMPLETED
    ):
        reason = "programme complete: maintenance"
    return AttentionRow(
        patient_id=patient.id,
        display_name=patient.display_name,
        attention=attention,
        reason=reason,
        protocol_id=None if assignment is None else assignment.protocol_id,
        stage=None if assignment is None else assignment.current_stage,
        status=None if assignment is None else assignment.status,
        last_session_at=recent[-1].at if recent else None,
        adherence_7d_percent=adherence,
        time_zone=patient.time_zone,
        phase=None if assignment is None else assignment.phase,
    )


def attention_list(ctx: ServiceContext, actor: Actor) -> tuple[AttentionRow, ...]:
    """The clinician's own patients, the ones needing attention first."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        rows = [_row(uow, patient, now) for patient in _clinician_patients(uow, actor)]
        audit(uow, ctx.clock, actor, "patient.list", None)
        uow.commit()
    floor = datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return tuple(
        sorted(
            rows,
            key=lambda r: (-r.attention, -(r.last_session_at or floor).timestamp(), r.patient_id),
        )
    )


def alerts(ctx: ServiceContext, actor: Actor) -> tuple[Alert, ...]:
    """Emergency and urgent red flags and stops of the last 30 days; open ones first."""
    now = ctx.clock.now()
    found: list[Alert] = []
    with ctx.uow() as uow:
        for patient in _clinician_patients(uow, actor):
            assert patient.id is not None
            for report in uow.red_flags.for_patient(patient.id):
                flag = RED_FLAGS[report.code]
                if (
                    flag.urgency in _ALERT_FLAG_URGENCIES
                    and now - report.reported_at <= ALERT_WINDOW
                ):
                    found.append(
                        Alert(
                            patient.id,
                            patient.display_name,
                            "red_flag",
                            flag.urgency,
                            report.reported_at,
                            flag.question,
                            report.resolved,
                        )
                    )
            for decision in uow.decisions.for_patient(patient.id):
                if decision.decision is Decision.STOP and now - decision.made_at <= ALERT_WINDOW:
                    found.append(
                        Alert(
                            patient.id,
                            patient.display_name,
                            "stop",
                            decision.urgency,
                            decision.made_at,
                            "the rules stopped the programme",
                            False,
                        )
                    )
        audit(uow, ctx.clock, actor, "alerts.list", None)
        uow.commit()
    return tuple(sorted(found, key=lambda a: (a.resolved, -a.urgency.rank, -a.at.timestamp())))


def clinician_email(ctx: ServiceContext, patient_id: int) -> str | None:
    """The e-mail of the patient's clinician, for an alert (None for a self-managed person)."""
    with ctx.uow() as uow:
        patient = uow.patients.get(patient_id)
        if patient is None or patient.clinician_id is None:
            return None
        clinician = uow.users.get(patient.clinician_id)
        return None if clinician is None or not clinician.active else clinician.email
