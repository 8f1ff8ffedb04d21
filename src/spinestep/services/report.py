"""The clinician's one-page progress report, as plain values (rendered by ``interop.pdf``).

Built from ``PatientRecords`` and the time it is made: the programme and its stage
timeline, the pain series, questionnaire change with verdicts, adherence over the last
7 local days (``services.adherence``, the one definition every screen shows), red flags,
and every stop or referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from spinestep.domain.model import PAUSING_DECISIONS
from spinestep.services.adherence import Adherence, Interval, SessionMark, seven_days
from spinestep.services.questionnaire_scores import QuestionnaireHistory, history
from spinestep.services.record_types import (
    DecisionEntry,
    FlagEntry,
    PatientRecords,
    ProgrammeStatus,
)


@dataclass(frozen=True, slots=True)
class StageLine:
    number: int
    title: str
    status: str
    dose: str
    sessions: int
    first: date | None
    last: date | None


@dataclass(frozen=True, slots=True)
class PainPoint:
    at: datetime
    before: int
    during: int
    after: int
    completed: bool


@dataclass(frozen=True, slots=True)
class ClinicianReport:
    records: PatientRecords
    generated_at: datetime
    local_today: date
    stages: tuple[StageLine, ...]
    pain: tuple[PainPoint, ...]
    questionnaires: QuestionnaireHistory
    adherence: Adherence | None
    flags: tuple[FlagEntry, ...]
    stops: tuple[DecisionEntry, ...]


def counted(number: int | str, noun: str) -> str:
    """A count with its noun in the right number: ``"1 session"``, ``"3 sessions"``,
    ``"1.5 points"``; a number given as text is singular only when it reads "1"."""
    text = str(number)
    return f"{text} {noun if text == '1' else noun + 's'}"


def build_report(
    records: PatientRecords, now: datetime, adherence: Adherence | None = None
) -> ClinicianReport:
    """The report as of ``now``. ``adherence`` is the stored programme's (with its pauses,
    from ``services.adherence.adherence_in``); without it, it is worked out from the
    records alone by the same definition."""
    zone = ZoneInfo(records.patient.time_zone)
    today = now.astimezone(zone).date()
    sessions = sorted(records.sessions, key=lambda s: s.record.at)
    stages = []
    if records.programme is not None:
        for stage in records.programme.stages:
            days = [
                s.record.at.astimezone(zone).date()
                for s in sessions
                if s.record.stage == stage.number
            ]
            dose = stage.dose
            stages.append(
                StageLine(
                    number=stage.number,
                    title=stage.title,
                    status=stage.status.value.replace("_", " "),
                    dose=(
                        f"{dose.reps} × {dose.hold_s_min}-{dose.hold_s_max} s, "
                        f"{dose.sessions_per_day}/day"
                    ),
                    sessions=len(days),
                    first=min(days) if days else None,
                    last=max(days) if days else None,
                )
            )
    pain = tuple(
        PainPoint(
            s.record.at,
            s.record.pain_before,
            s.record.pain_during,
            s.record.pain_after,
            s.record.completed,
        )
        for s in sessions
    )
    stops = tuple(
        d for d in sorted(records.decisions, key=lambda d: d.at) if d.decision in PAUSING_DECISIONS
    )
    return ClinicianReport(
        records=records,
        generated_at=now,
        local_today=today,
        stages=tuple(stages),
        pain=pain,
        questionnaires=history(records.questionnaires, records.sessions),
        adherence=adherence if adherence is not None else records_adherence(records, now),
        flags=tuple(sorted(records.flags, key=lambda f: f.raised_at)),
        stops=stops,
    )


def records_adherence(records: PatientRecords, now: datetime) -> Adherence | None:
    """7-day adherence from exported records: the programme counts from its start; a
    paused programme counts up to its last stop or referral (the records hold no resume
    times); planned per day is the current stage's dose."""
    programme = records.programme
    if programme is None:
        return None
    paused: list[Interval] = []
    if programme.status is ProgrammeStatus.PAUSED:
        stops = [d.at for d in records.decisions if d.decision in PAUSING_DECISIONS]
        paused.append((max(stops) if stops else now, None))
    per_stage = {stage.number: stage.dose.sessions_per_day for stage in programme.stages}
    planned = per_stage.get(programme.current_stage, 0)
    return seven_days(
        now=now,
        time_zone=records.patient.time_zone,
        started_at=programme.started_at,
        paused=paused,
        sessions=[SessionMark(s.record.at, s.record.completed) for s in records.sessions],
        sessions_per_day_at=lambda _instant, _day: planned,
    )
