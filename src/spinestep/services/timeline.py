"""A patient's timeline for their clinician, one page of local days at a time.

A page holds the ``PAGE_DAYS`` local days (the patient's time zone) that end on the day
of the newest item before the page's cursor, so it skips stretches without activity and
costs the same reads whatever the length of the history: the newest item before the
cursor, the sessions, decisions, events and red flags of the window (all through the
patient's time indexes), the messages a clinician attached to those decisions, and
whether anything older exists. ``recent_history`` gives
the charts their last ``CHART_DAYS`` of sessions, also bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from spinestep.services.access import audit_read, load_patient
from spinestep.services.caseload_port import TimelineFilter
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.local_days import day_bounds
from spinestep.services.messages_port import MessageRecord
from spinestep.services.records import ProgrammeEvent, RedFlagReport, Role
from spinestep.services.rom_trend import rom_weeks, stage_ids_of
from spinestep.services.views import DecisionView, HistoryView, SessionView

PAGE_DAYS = 14
CHART_DAYS = 90
#: The days every zone can show whole (rows stored before instants were checked may lie
#: at the calendar's ends; the store reads them as these days).
_FIRST_DAY, _LAST_DAY = date(1, 1, 2), date(9999, 12, 30)
_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """The items of local days ``first_day``..``last_day`` (None: nothing to show), and the
    cursor of the next, older page (None: nothing older)."""

    time_zone: str
    shown: TimelineFilter
    first_day: date | None
    last_day: date | None
    sessions: tuple[SessionView, ...]
    decisions: tuple[DecisionView, ...]
    events: tuple[ProgrammeEvent, ...]
    flags: tuple[RedFlagReport, ...]
    older_before: date | None
    #: Messages a clinician attached to any of ``decisions`` (shown to clinicians only).
    decision_messages: tuple[MessageRecord, ...] = ()


def timeline_page(
    ctx: ServiceContext,
    actor: Actor,
    patient_id: int,
    *,
    before: date | None = None,
    shown: TimelineFilter = TimelineFilter.ALL,
) -> TimelinePage:
    """The page of the timeline that ends on the newest day with an item before the local
    date ``before`` (None: the newest page); audited as a read of the history."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        zone = ZoneInfo(patient.time_zone)
        if before is not None:
            before = min(max(before, _FIRST_DAY), _LAST_DAY)
        cursor = None if before is None else day_bounds(zone, before)[0]
        newest = uow.caseload.newest_before(patient_id, cursor, shown)
        if newest is None:
            audit_read(uow, ctx.clock, actor, "patient.history", patient_id)
            uow.commit()
            return TimelinePage(patient.time_zone, shown, None, None, (), (), (), (), None)
        last_day = min(max(newest.astimezone(zone).date(), _FIRST_DAY), _LAST_DAY)
        first_day = last_day - timedelta(days=min(PAGE_DAYS - 1, (last_day - _FIRST_DAY).days))
        since, until = day_bounds(zone, first_day)[0], day_bounds(zone, last_day)[1]
        if first_day == _FIRST_DAY:  # the calendar's first page holds everything before it
            since = _EARLIEST
        if last_day == _LAST_DAY:
            until = _LATEST
        sessions = uow.sessions.for_patient(patient_id, since, until)
        decisions = uow.caseload.decisions_between(patient_id, since, until)
        events = [e for e in uow.events.for_patient(patient_id) if since <= e.at < until]
        flags = [f for f in uow.red_flags.for_patient(patient_id) if since <= f.reported_at < until]
        older = None if since == _EARLIEST else uow.caseload.newest_before(patient_id, since, shown)
        attached = (
            uow.messages.for_decisions([d.id for d in decisions if d.id is not None])
            if actor.role is Role.CLINICIAN and not actor.local
            else []
        )
        audit_read(uow, ctx.clock, actor, "patient.history", patient_id)
        uow.commit()
    return TimelinePage(
        time_zone=patient.time_zone,
        shown=shown,
        first_day=first_day,
        last_day=last_day,
        sessions=tuple(SessionView.of(s) for s in sessions),
        decisions=tuple(DecisionView.of(d) for d in decisions),
        events=tuple(events),
        flags=tuple(flags),
        older_before=None if older is None else first_day,
        decision_messages=tuple(attached),
    )


def recent_history(ctx: ServiceContext, actor: Actor, patient_id: int) -> HistoryView:
    """The sessions of the last ``CHART_DAYS`` days (oldest first) and their ROM per stage
    and week, for the charts of the patient page; ``decisions`` and ``pain_trend`` are left
    empty (the timeline shows the decisions). Audited as a read of the history."""
    since: datetime = ctx.clock.now() - timedelta(days=CHART_DAYS)
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        sessions = uow.sessions.for_patient(patient_id, since, None)
        stage_ids = stage_ids_of(uow, patient_id)
        audit_read(uow, ctx.clock, actor, "patient.history", patient_id)
        uow.commit()
    return HistoryView(
        patient_id=patient_id,
        time_zone=patient.time_zone,
        sessions=tuple(SessionView.of(s) for s in sessions),
        decisions=(),
        pain_trend=(),
        rom_trend=rom_weeks(sessions, stage_ids, patient.time_zone),
    )
