"""The JSON shapes of questionnaires over time and range of motion (requests strict)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from spinestep.web.schemas import ShortText, Strict

InstrumentCode = Literal["startback", "odi", "rmdq", "psfs"]
VerdictCode = Literal["important_improvement", "no_important_change", "important_worsening"]
BotherCode = Literal["not_at_all", "slightly", "moderately", "very_much", "extremely"]
Score = int | float


class OdiIn(Strict):
    instrument: Literal["odi"]
    answers: Annotated[
        list[Annotated[int, Field(ge=0, le=5, strict=True)] | None],
        Field(min_length=10, max_length=10),
    ]


class RmdqIn(Strict):
    instrument: Literal["rmdq"]
    ticked: Annotated[list[Annotated[int, Field(ge=1, le=24, strict=True)]], Field(max_length=24)]


class PsfsIn(Strict):
    instrument: Literal["psfs"]
    ratings: Annotated[
        list[Annotated[int, Field(ge=0, le=10, strict=True)]], Field(min_length=1, max_length=5)
    ]
    activities: Annotated[list[ShortText], Field(max_length=5, default_factory=list)]


class StartBackIn(Strict):
    instrument: Literal["startback"]
    items: Annotated[
        list[Annotated[int, Field(ge=0, le=1, strict=True)]], Field(min_length=8, max_length=8)
    ]
    bothersomeness: BotherCode


QuestionnaireIn = Annotated[
    OdiIn | RmdqIn | PsfsIn | StartBackIn, Field(discriminator="instrument")
]


class DueOut(BaseModel):
    instrument: InstrumentCode
    title: str
    due_at: datetime
    due_now: bool
    optional: bool
    reason: str


class StartBackOut(BaseModel):
    at: datetime
    total: int
    psychosocial: int
    risk: Literal["low", "medium", "high"]


class ScoreAtOut(BaseModel):
    at: datetime
    score: Score


class FollowUpOut(BaseModel):
    at: datetime
    score: Score
    improvement: Score
    improvement_percent: float | None
    important: bool
    worsened: bool
    verdict: VerdictCode
    verdict_text: str


class MeasureHistoryOut(BaseModel):
    measure: Literal["nprs", "odi", "rmdq", "psfs"]
    name: str
    baseline: ScoreAtOut
    follow_ups: list[FollowUpOut]


class QuestionnaireHistoryOut(BaseModel):
    startback: StartBackOut | None
    measures: list[MeasureHistoryOut]


class QuestionnaireRecordedOut(BaseModel):
    instrument: InstrumentCode
    taken_at: datetime
    result: dict[str, Any]


class PatientQuestionnairesOut(BaseModel):
    outcome_measure: Literal["odi", "rmdq"] | None
    psfs_enabled: bool
    due: list[DueOut]
    history: QuestionnaireHistoryOut


class RomWeekOut(BaseModel):
    stage: int
    stage_id: str
    measure: str
    iso_year: int
    iso_week: int
    week_label: str
    week_start: date
    rom_deg_median: float
    sessions: int
