"""A small, hand-made patient history used by the interop tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from spinestep.domain.model import (
    Decision,
    Direction,
    Dose,
    Effort,
    Location,
    SessionRecord,
    Urgency,
)
from spinestep.domain.scoring import Bothersomeness
from spinestep.services.record_types import (
    ChangeKind,
    DecisionEntry,
    FlagEntry,
    OdiAnswers,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    ProgrammeStatus,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
    ReminderPlan,
    RmdqAnswers,
    RomEntry,
    RomMeasure,
    SessionEntry,
    StagePlan,
    StageStatus,
    StartBackAnswers,
)

CET = timezone(timedelta(hours=1))
DOSE = Dose(reps=10, hold_s_min=1, hold_s_max=2, sessions_per_day=5)


def session(
    index: int,
    at: datetime,
    stage: int,
    pains: tuple[int, int, int],
    *,
    effort: Effort = Effort.EASY,
    where: tuple[Location, Location] = (Location.THIGH, Location.BUTTOCK),
    completed: bool = True,
    reps: int | None = 10,
) -> SessionEntry:
    before, during, after = pains
    return SessionEntry(
        id=str(index),
        record=SessionRecord(
            at=at,
            stage=stage,
            effort=effort,
            pain_before=before,
            pain_during=during,
            pain_after=after,
            location_before=where[0],
            location_after=where[1],
            completed=completed,
            reps=reps,
        ),
    )


def sample_records() -> PatientRecords:
    day = datetime(2026, 11, 2, 8, 0, tzinfo=CET)
    sessions = (
        session(1, day, 1, (6, 5, 4)),
        session(2, day + timedelta(hours=3), 1, (5, 5, 4)),
        session(3, day + timedelta(days=1), 1, (4, 3, 3), where=(Location.BUTTOCK, Location.BACK)),
        session(4, day + timedelta(days=2), 2, (4, 6, 5), effort=Effort.MODERATE),
        session(
            5,
            datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
            2,
            (3, 4, 4),
            effort=Effort.HARD,
            where=(Location.BACK, Location.BELOW_KNEE),
            completed=False,
            reps=None,
        ),
    )
    decisions = (
        DecisionEntry(
            id="1",
            at=day + timedelta(days=1, minutes=20),
            decision=Decision.PROGRESS,
            urgency=Urgency.NONE,
            current_stage=1,
            next_stage=2,
            rules=("R8",),
            message="Well done, move on to sitting, bending forward.",
            rules_version="1",
        ),
        DecisionEntry(
            id="2",
            at=datetime(2026, 11, 5, 9, 40, tzinfo=UTC),
            decision=Decision.STOP,
            urgency=Urgency.SOON,
            current_stage=2,
            next_stage=None,
            rules=("R4",),
            message='Stop; symptoms spread, see your clinician. "Quoted", with a comma.',
            rules_version="1",
        ),
    )
    questionnaires = (
        QuestionnaireEntry(
            id="1",
            taken_at=day - timedelta(hours=1),
            answers=StartBackAnswers(
                items=(1, 0, 1, 1, 1, 0, 1, 1), bothersomeness=Bothersomeness.VERY_MUCH
            ),
        ),
        QuestionnaireEntry(
            id="2",
            taken_at=day - timedelta(minutes=50),
            answers=OdiAnswers(sections=(3, 2, 3, 2, 3, 2, 3, None, 3, 2)),
        ),
        QuestionnaireEntry(
            id="3",
            taken_at=day - timedelta(minutes=40),
            answers=PsfsAnswers(
                activities=(
                    PsfsActivity(name="walking to the shop", rating=3),
                    PsfsActivity(name="gardening", rating=4),
                )
            ),
        ),
        QuestionnaireEntry(
            id="4",
            taken_at=day + timedelta(days=14),
            answers=OdiAnswers(sections=(1, 1, 2, 1, 1, 1, 1, None, 1, 1)),
        ),
        QuestionnaireEntry(
            id="5",
            taken_at=day + timedelta(days=14, minutes=5),
            answers=RmdqAnswers(ticked=(1, 4, 9)),
        ),
    )
    programme = ProgrammeInfo(
        protocol_id="lumbar-flexion",
        title="Lumbar flexion",
        direction=Direction.FLEXION,
        current_stage=2,
        status=ProgrammeStatus.PAUSED,
        started_at=day - timedelta(hours=2),
        stages=(
            StagePlan(1, "supine", "Knees to chest, lying", DOSE, StageStatus.COMPLETED),
            StagePlan(
                2,
                "seated",
                "Bending forward, sitting",
                Dose(reps=8, hold_s_min=1, hold_s_max=3, sessions_per_day=4),
                StageStatus.IN_PROGRESS,
            ),
            StagePlan(3, "standing", "Bending forward, standing", DOSE, StageStatus.NOT_STARTED),
        ),
    )
    return PatientRecords(
        patient=PatientInfo(
            id="7", name="Ana Example", birth_date=date(1961, 4, 12), time_zone="Europe/Berlin"
        ),
        programme=programme,
        sessions=sessions,
        decisions=decisions,
        questionnaires=questionnaires,
        rom=(
            RomEntry(
                id="4",
                at=day + timedelta(days=2),
                stage=2,
                measure=RomMeasure.TRUNK_FLEXION,
                rom_deg=Decimal("61.5"),
            ),
            RomEntry(
                id="1",
                at=day,
                stage=1,
                measure=RomMeasure.HIP_FLEXION,
                rom_deg=Decimal("102.0"),
            ),
        ),
        changes=(
            ProgrammeChange(
                at=day - timedelta(hours=2),
                kind=ChangeKind.PRESCRIBE,
                reason="lumbar-flexion from stage 1",
                note="Flexion eases her leg pain; start lying.",
            ),
            ProgrammeChange(
                at=day + timedelta(days=1, minutes=20),
                kind=ChangeKind.STAGE_CHANGE,
                reason="progress: stage 1 to 2 (R8)",
            ),
            ProgrammeChange(
                at=datetime(2026, 11, 5, 9, 40, tzinfo=UTC),
                kind=ChangeKind.PAUSE,
                reason="stop (R4)",
            ),
            ProgrammeChange(
                at=datetime(2026, 11, 6, 10, 0, tzinfo=UTC),
                kind=ChangeKind.SETTINGS_CHANGE,
                reason="dose",
                note='Fewer reps: "8 is plenty" — *not* markdown, ü',
            ),
        ),
        flags=(
            FlagEntry(
                code="weaker_cancer_risk",
                raised_at=day - timedelta(hours=1),
                resolved_at=day + timedelta(days=1),
            ),
            FlagEntry(
                code="bilateral_leg_symptoms", raised_at=datetime(2026, 11, 5, 9, 40, tzinfo=UTC)
            ),
        ),
    )


def sample_reminders() -> ReminderPlan:
    return ReminderPlan(
        patient_id="7",
        title="Lumbar flexion: bending forward, sitting",
        time_zone="Europe/Berlin",
        start=date(2026, 11, 2),
        times=(time(8, 0), time(10, 30), time(13, 0), time(15, 30), time(18, 0)),
        until=date(2026, 11, 29),
        duration_min=10,
        description="8 repetitions, hold 1-3 s.",
    )
