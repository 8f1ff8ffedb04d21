"""Adherence over the last 7 local days: the one definition every screen uses (SPEC §3.5).

Adherence = completed sessions ÷ planned sessions over the patient's last 7 local days
(today included), counting only the days on which the programme was active: a day
counts when the programme had started (it was set up and cleared) by the end of it and
was not paused for the whole of it. The result is a whole percent (rounded half up),
capped at 100, or "—" when no day counts.

Planned sessions on a day are the ``sessions_per_day`` of the dose that applied when the
day's active part began: the maintenance dose once the programme is in maintenance,
before that the dose of the stage the day's first session was at (the current stage on a
day without a session). A day's completed sessions are those whose local date it is.

``seven_days`` is a pure function of plain values (so the report can use it on exported
records); ``adherence_in`` reads what it needs from the store: the sessions of the last
8 days, the programme's events and the programme itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from spinestep.domain.model import Phase
from spinestep.services.access import load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import current_dose, effective_dose, protocol_of
from spinestep.services.local_days import day_bounds
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    ProgrammeEvent,
    ProgrammeStatus,
    StoredSession,
)

ADHERENCE_DAYS = 7
NO_DAY_COUNTS = "—"

#: A stretch of time when the programme was paused: from, and until (None: still paused).
Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class SessionMark:
    """What adherence needs of one session: when (with its offset), done, and its stage."""

    at: datetime
    completed: bool
    stage: int = 0


@dataclass(frozen=True, slots=True)
class AdherenceDay:
    """One local day: whether it counts, the sessions planned and done on it."""

    day: date
    active: bool
    planned: int
    completed: int
    not_completed: int


@dataclass(frozen=True, slots=True)
class Adherence:
    """The last ``ADHERENCE_DAYS`` local days, oldest first."""

    days: tuple[AdherenceDay, ...]

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def last_day(self) -> date:
        return self.days[-1].day

    @property
    def active_days(self) -> int:
        return sum(1 for d in self.days if d.active)

    @property
    def planned(self) -> int:
        """Sessions planned on the days that count."""
        return sum(d.planned for d in self.days if d.active)

    @property
    def completed(self) -> int:
        """Sessions completed on the days that count."""
        return sum(d.completed for d in self.days if d.active)

    @property
    def not_completed(self) -> int:
        """Sessions stopped early on the days that count."""
        return sum(d.not_completed for d in self.days if d.active)

    @property
    def percent(self) -> int | None:
        """Completed of planned as a whole percent (half up), at most 100; None when no day
        counts."""
        planned = self.planned
        if planned == 0:
            return None
        return min(100, (200 * self.completed + planned) // (2 * planned))

    @property
    def text(self) -> str:
        """``"57 %"``, or ``"—"`` when no day counts."""
        percent = self.percent
        return NO_DAY_COUNTS if percent is None else f"{percent} %"

    @property
    def per_day(self) -> tuple[tuple[date, int], ...]:
        """Completed sessions per day (every day of the window, for charts)."""
        return tuple((d.day, d.completed) for d in self.days)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    """``at``'s date in ``zone``. An instant already in ``zone`` (the caseload converts each
    session once) is not converted again: ``astimezone`` to its own zone changes nothing
    but still costs a call, thousands of times per patient list."""
    return (at if at.tzinfo is zone else at.astimezone(zone)).date()


def first_active(start: datetime, end: datetime, paused: Sequence[Interval]) -> datetime | None:
    """The first instant in ``[start, end)`` outside every paused interval, or None."""
    moment = start
    for paused_from, paused_until in sorted(paused, key=lambda interval: interval[0]):
        if paused_until is not None and paused_until <= moment:
            continue
        if paused_from > moment:
            break
        if paused_until is None:
            return None
        moment = paused_until
    return moment if moment < end else None


def seven_days(
    *,
    now: datetime,
    time_zone: str,
    started_at: datetime | None,
    paused: Sequence[Interval],
    sessions: Iterable[SessionMark],
    sessions_per_day_at: Callable[[datetime, date], int],
    days: int = ADHERENCE_DAYS,
) -> Adherence:
    """Adherence over the ``days`` local days up to and including ``now``'s local date.

    ``started_at`` None means the programme has not started (no day counts).
    ``sessions_per_day_at(instant, day)`` gives the sessions planned on ``day`` for a day
    whose active part began at ``instant``.
    """
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    done: dict[date, int] = {}
    stopped: dict[date, int] = {}
    for mark in sessions:
        day = local_date(mark.at, zone)
        counter = done if mark.completed else stopped
        counter[day] = counter.get(day, 0) + 1
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        begin, day_end = day_bounds(zone, day)
        end = min(day_end, now)
        began = (
            None
            if started_at is None
            else first_active(max(begin, started_at), max(end, begin), paused)
        )
        out.append(
            AdherenceDay(
                day=day,
                active=began is not None,
                planned=0 if began is None else sessions_per_day_at(began, day),
                completed=done.get(day, 0),
                not_completed=stopped.get(day, 0),
            )
        )
    return Adherence(days=tuple(out))


def paused_intervals(
    events: Sequence[ProgrammeEvent], assignment: AssignmentRecord
) -> list[Interval]:
    """The programme's paused stretches from its pause and resume events (of this
    programme) and, when it is paused now without a matching event, from its ``paused_at``."""
    intervals: list[Interval] = []
    opened: datetime | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.kind is EventKind.PAUSE and opened is None:
            opened = event.at
        elif event.kind is EventKind.RESUME and opened is not None:
            intervals.append((opened, event.at))
            opened = None
    if assignment.status is ProgrammeStatus.PAUSED:
        intervals.append((opened or assignment.paused_at or assignment.updated_at, None))
    elif opened is not None:
        # Resumed without a resume event (older data): paused until the last change.
        intervals.append((opened, max(opened, assignment.updated_at)))
    return intervals


def programme_start(assignment: AssignmentRecord) -> datetime | None:
    """When the programme started: set up and cleared (None while not cleared)."""
    if not assignment.clearance:
        return None
    if assignment.cleared_at is None:
        return assignment.created_at
    return max(assignment.created_at, assignment.cleared_at)


def maintenance_since(
    events: Sequence[ProgrammeEvent], assignment: AssignmentRecord
) -> datetime | None:
    """When the programme entered maintenance (None in the progression phase)."""
    if assignment.phase is not Phase.MAINTENANCE:
        return None
    entries = [e.at for e in events if e.kind is EventKind.COMPLETE]
    if entries:
        return max(entries)
    return assignment.run_since or assignment.created_at


def planned_per_day(
    assignment: AssignmentRecord,
    events: Sequence[ProgrammeEvent],
    sessions: Sequence[SessionMark],
    time_zone: str,
) -> Callable[[datetime, date], int]:
    """``sessions_per_day_at`` for ``seven_days`` from the stored programme."""
    protocol = protocol_of(assignment)
    maintenance_from = maintenance_since(events, assignment)
    zone = ZoneInfo(time_zone)
    first_stage: dict[date, int] = {}
    for mark in sorted(sessions, key=lambda m: m.at):
        first_stage.setdefault(local_date(mark.at, zone), mark.stage)
    if maintenance_from is not None:
        maintenance = current_dose(assignment).sessions_per_day
        earlier_stage = protocol.final_stage
    else:
        maintenance = 0
        earlier_stage = assignment.current_stage

    def at(instant: datetime, day: date) -> int:
        if maintenance_from is not None and instant >= maintenance_from:
            return maintenance
        stage = first_stage.get(day, earlier_stage)
        if not 1 <= stage <= protocol.final_stage:
            stage = earlier_stage
        return effective_dose(protocol, assignment, stage).sessions_per_day

    return at


def marks(sessions: Iterable[StoredSession]) -> list[SessionMark]:
    return [SessionMark(at=s.at, completed=s.completed, stage=s.stage) for s in sessions]


def adherence_in(
    uow: UnitOfWork,
    assignment: AssignmentRecord,
    time_zone: str,
    now: datetime,
    *,
    sessions: Sequence[StoredSession] | None = None,
    events: Sequence[ProgrammeEvent] | None = None,
) -> Adherence:
    """The patient's 7-day adherence, read inside an open unit of work (no audit).

    ``sessions`` (those since ``window_start(now)`` at least) and ``events`` (the
    patient's) may be given when the caller has read them already.
    """
    if sessions is None:
        sessions = uow.sessions.for_patient(assignment.patient_id, window_start(now), None)
    if events is None:
        events = uow.events.for_patient(assignment.patient_id)
    mine = marks(s for s in sessions if s.assignment_id == assignment.id)
    return programme_adherence(assignment, time_zone, now, mine, events)


def programme_adherence(
    assignment: AssignmentRecord,
    time_zone: str,
    now: datetime,
    sessions: Sequence[SessionMark],
    events: Sequence[ProgrammeEvent],
) -> Adherence:
    """The 7-day adherence of ``assignment`` from its sessions' marks and the patient's
    events (those of other programmes are left out), for callers that read them already."""
    own_events = [e for e in events if e.assignment_id == assignment.id]
    return seven_days(
        now=now,
        time_zone=time_zone,
        started_at=programme_start(assignment),
        paused=paused_intervals(own_events, assignment),
        sessions=sessions,
        sessions_per_day_at=planned_per_day(assignment, own_events, sessions, time_zone),
    )


def window_start(now: datetime) -> datetime:
    """Sessions from this instant on cover the 7 local days up to ``now`` in any time zone."""
    return now - timedelta(days=ADHERENCE_DAYS + 1)


def patient_adherence(ctx: ServiceContext, actor: Actor, patient_id: int) -> Adherence | None:
    """The patient's 7-day adherence now (None without a programme). Not audited: it is
    read alongside a view that is (the report, an export)."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        assignment = uow.assignments.current_for(patient_id)
        if assignment is None:
            return None
        return adherence_in(uow, assignment, patient.time_zone, ctx.clock.now())
