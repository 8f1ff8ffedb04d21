"""The clinician's dashboard: who needs attention first, and the alert list (web helper).

Ordering (most urgent first): an open emergency flag; an open urgent flag (same-day or
urgent referral); another open flag awaiting review; a stop or pause (the safety
items); then a message from the patient the clinician has not read; a regression;
falling adherence (below 50 % over the last 7 days, or below the 7 days before; both by
``services.adherence``, the one definition every screen shows; only once the programme
was active on at least 3 of the 7 days). Within a level, the most recent last session
first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo

from spinestep.domain.model import Phase, Urgency
from spinestep.domain.redflags import RED_FLAGS
from spinestep.errors import PermissionDenied
from spinestep.services.access import audit
from spinestep.services.adherence import (
    SessionMark,
    programme_adherence,
    window_start,
)
from spinestep.services.caseload_port import CaseloadPatient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.messages import caseload_unread
from spinestep.services.records import (
    AssignmentRecord,
    ProgrammeEvent,
    ProgrammeStatus,
    RedFlagReport,
    Role,
)

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
    #: Unread messages about the patient: after the safety items, before a regression.
    UNREAD_MESSAGES = 3
    STOPPED = 4
    FLAG_REVIEW = 5
    FLAG_URGENT = 6
    FLAG_EMERGENCY = 7

    @property
    def label(self) -> str:
        return {
            Attention.NONE: "on track",
            Attention.FALLING_ADHERENCE: "adherence falling",
            Attention.REGRESSED: "regressed",
            Attention.UNREAD_MESSAGES: "unread messages",
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
            Attention.UNREAD_MESSAGES: "message",
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
    #: Messages about the patient the clinician has not read.
    unread_messages: int = 0


@dataclass(frozen=True, slots=True)
class Alert:
    patient_id: int
    display_name: str
    kind: str  # "red_flag" or "stop"
    urgency: Urgency
    at: datetime
    summary: str
    resolved: bool


def _clinician_id(actor: Actor) -> int:
    if actor.role is not Role.CLINICIAN or actor.user_id is None:
        raise PermissionDenied("only a clinician has a patient list")
    return actor.user_id


def _falling(
    assignment: AssignmentRecord,
    time_zone: str,
    now: datetime,
    sessions: Sequence[SessionMark],
    events: Sequence[ProgrammeEvent],
) -> tuple[int | None, bool]:
    """The 7-day adherence and whether it is falling."""
    week = programme_adherence(assignment, time_zone, now, sessions, events)
    before = programme_adherence(
        assignment, time_zone, now - ADHERENCE_WINDOW, sessions, events
    ).percent
    adherence = week.percent
    active = assignment.status is not ProgrammeStatus.PAUSED and assignment.clearance
    falling = (
        active
        and adherence is not None
        and week.active_days >= FALLING_AFTER_DAYS
        and (adherence < FALLING_BELOW_PERCENT or (before is not None and adherence < before))
    )
    return adherence, falling


def _level(
    entry: CaseloadPatient, flags: Sequence[RedFlagReport], falling: bool, unread: int = 0
) -> tuple[Attention, str]:
    assignment = entry.assignment
    urgencies = {RED_FLAGS[f.code].urgency for f in flags if f.code in RED_FLAGS}
    if Urgency.EMERGENCY in urgencies:
        return Attention.FLAG_EMERGENCY, "emergency red flag open"
    if urgencies & {Urgency.URGENT_SAME_DAY, Urgency.URGENT}:
        return Attention.FLAG_URGENT, "urgent red flag open"
    if flags:
        return Attention.FLAG_REVIEW, "red flag awaiting review"
    if assignment is not None and assignment.status is ProgrammeStatus.PAUSED:
        return Attention.STOPPED, "programme paused after a stop"
    if unread:
        return Attention.UNREAD_MESSAGES, "unread message" if unread == 1 else "unread messages"
    if entry.regressed:
        return Attention.REGRESSED, "moved back a stage this week"
    if falling:
        return Attention.FALLING_ADHERENCE, "fewer sessions than planned"
    if assignment is not None and not assignment.clearance:
        return Attention.NONE, "awaiting your clearance"
    if assignment is not None and (
        assignment.phase is Phase.MAINTENANCE or assignment.status is ProgrammeStatus.COMPLETED
    ):
        return Attention.NONE, "programme complete: maintenance"
    return Attention.NONE, "on track"


def _row(
    entry: CaseloadPatient,
    flags: Sequence[RedFlagReport],
    sessions: Sequence[SessionMark],
    events: Sequence[ProgrammeEvent],
    now: datetime,
    unread: int = 0,
) -> AttentionRow:
    patient, assignment = entry.patient, entry.assignment
    assert patient.id is not None
    adherence, falling = None, False
    if assignment is not None:
        adherence, falling = _falling(assignment, patient.time_zone, now, sessions, events)
    attention, reason = _level(entry, flags, falling, unread)
    return AttentionRow(
        patient_id=patient.id,
        display_name=patient.display_name,
        attention=attention,
        reason=reason,
        protocol_id=None if assignment is None else assignment.protocol_id,
        stage=None if assignment is None else assignment.current_stage,
        status=None if assignment is None else assignment.status,
        last_session_at=entry.last_session_at,
        adherence_7d_percent=adherence,
        time_zone=patient.time_zone,
        phase=None if assignment is None else assignment.phase,
        unread_messages=unread,
    )


def attention_list(ctx: ServiceContext, actor: Actor) -> tuple[AttentionRow, ...]:
    """The clinician's own patients, the ones needing attention first.

    Six reads about the whole caseload, whatever its size (``CaseloadQueries``): the
    patients with their programme, last session and any regression this week; the open
    red flags; the sessions of the last 15 days (both adherence windows); the programme
    events; the clinician's unread messages per patient; then the audit entry. Adherence
    is the one of ``services.adherence``.
    """
    clinician_id = _clinician_id(actor)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        caseload = uow.caseload.patients(clinician_id, now - ADHERENCE_WINDOW)
        flags = uow.caseload.open_flags(clinician_id)
        recent = uow.caseload.sessions_since(clinician_id, window_start(now - ADHERENCE_WINDOW))
        events = uow.caseload.events(clinician_id)
        unread = caseload_unread(uow, clinician_id)
        audit(uow, ctx.clock, actor, "patient.list", None)
        uow.commit()
    flags_of: dict[int, list[RedFlagReport]] = defaultdict(list)
    for flag in flags:
        flags_of[flag.patient_id].append(flag)
    # Each instant in the patient's own zone once: the adherence's day of a session is
    # then read without converting it again (``astimezone`` to the same zone is free).
    zone_of = {
        e.assignment.id: ZoneInfo(e.patient.time_zone) for e in caseload if e.assignment is not None
    }
    marks_of: dict[int, list[SessionMark]] = defaultdict(list)
    for s in recent:
        zone = zone_of.get(s.assignment_id)
        if zone is not None:
            marks_of[s.assignment_id].append(
                SessionMark(s.at.astimezone(zone), s.completed, s.stage)
            )
    events_of: dict[int, list[ProgrammeEvent]] = defaultdict(list)
    for event in events:
        events_of[event.patient_id].append(event)
    rows = []
    for entry in caseload:
        patient_id = entry.patient.id
        assert patient_id is not None
        assignment_id = None if entry.assignment is None else entry.assignment.id
        rows.append(
            _row(
                entry,
                flags_of.get(patient_id, []),
                marks_of.get(assignment_id, []) if assignment_id is not None else [],
                events_of.get(patient_id, []),
                now,
                unread.get(patient_id, 0),
            )
        )
    floor = datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return tuple(
        sorted(
            rows,
            key=lambda r: (-r.attention, -(r.last_session_at or floor).timestamp(), r.patient_id),
        )
    )


def alerts(ctx: ServiceContext, actor: Actor) -> tuple[Alert, ...]:
    """Emergency and urgent red flags and stops of the last 30 days; open ones first.

    Four reads whatever the caseload: the patients' names, their flags and stop
    decisions of the window, the audit entry.
    """
    clinician_id = _clinician_id(actor)
    now = ctx.clock.now()
    since = now - ALERT_WINDOW
    with ctx.uow() as uow:
        names = {p.id: p.display_name for p in uow.patients.for_clinician(clinician_id)}
        flags = uow.caseload.flags_since(clinician_id, since)
        stops = uow.caseload.stops_since(clinician_id, since)
        audit(uow, ctx.clock, actor, "alerts.list", None)
        uow.commit()
    found: list[Alert] = []
    for report in flags:
        flag = RED_FLAGS.get(report.code)
        if flag is not None and flag.urgency in _ALERT_FLAG_URGENCIES:
            found.append(
                Alert(
                    report.patient_id,
                    names.get(report.patient_id, ""),
                    "red_flag",
                    flag.urgency,
                    report.reported_at,
                    flag.question,
                    report.resolved,
                )
            )
    for stop in stops:
        found.append(
            Alert(
                stop.patient_id,
                names.get(stop.patient_id, ""),
                "stop",
                stop.urgency,
                stop.made_at,
                "the rules stopped the programme",
                False,
            )
        )
    return tuple(sorted(found, key=lambda a: (a.resolved, -a.urgency.rank, -a.at.timestamp())))


def clinician_email(ctx: ServiceContext, patient_id: int) -> str | None:
    """The e-mail of the patient's clinician, for an alert (None for a self-managed person)."""
    with ctx.uow() as uow:
        patient = uow.patients.get(patient_id)
        if patient is None or patient.clinician_id is None:
            return None
        clinician = uow.users.get(patient.clinician_id)
        return None if clinician is None or not clinician.active else clinician.email
