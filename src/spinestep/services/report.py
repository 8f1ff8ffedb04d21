"""The clinician's one-page progress report, as plain values (rendered by ``interop.pdf``).

Built from ``PatientRecords`` and the time it is made: the programme and its stage
timeline, the pain series, questionnaire change with verdicts, adherence over the last
14 local days, red flags, and every stop or referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from spinestep.domain.model import PAUSING_DECISIONS
from spinestep.services.questionnaire_scores import QuestionnaireHistory, history
from spinestep.services.record_types import (
    DecisionEntry,
    FlagEntry,
    PatientRecords,
    ProgrammeStatus,
)

ADHERENCE_DAYS = 14
"""Adherence covers the last 14 local days; for a paused or finished programme the 14 days
up to its last session."""


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
class Adherence:
    first_day: date
    last_day: date
    planned: int
    completed: int
    not_completed: int
    per_day: tuple[tuple[date, int], ...]

    @property
    def percent(self) -> int | None:
        """Completed of planned, rounded half up to a whole percent."""
        if self.planned == 0:
            return None
        return (200 * self.completed + self.planned) // (2 * self.planned)


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


def build_report(records: PatientRecords, now: datetime) -> ClinicianReport:
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
        adherence=_adherence(records, zone, today),
        flags=tuple(sorted(records.flags, key=lambda f: f.raised_at)),
        stops=stops,
    )


def _adherence(records: PatientRecords, zone: ZoneInfo, today: date) -> Adherence | None:
    programme = records.programme
    if programme is None:
        return None
    start_day = programme.started_at.astimezone(zone).date()
    last_day = today
    if programme.status is not ProgrammeStatus.ACTIVE and records.sessions:
        # Paused or finished: no sessions are planned after the last one.
        last_day = min(today, max(s.record.at.astimezone(zone).date() for s in records.sessions))
    first_day = max(start_day, last_day - timedelta(days=ADHERENCE_DAYS - 1))
    if first_day > last_day:
        return None
    per_stage = {stage.number: stage.dose.sessions_per_day for stage in programme.stages}
    planned_per_day = per_stage.get(programme.current_stage, 0)
    days = (last_day - first_day).days + 1
    counts = {first_day + timedelta(days=i): 0 for i in range(days)}
    not_completed = 0
    for entry in records.sessions:
        day = entry.record.at.astimezone(zone).date()
        if day not in counts:
            continue
        if entry.record.completed:
            counts[day] += 1
        else:
            not_completed += 1
    return Adherence(
        first_day=first_day,
        last_day=last_day,
        planned=planned_per_day * days,
        completed=sum(counts.values()),
        not_completed=not_completed,
        per_day=tuple(sorted(counts.items())),
    )
