"""Questionnaires over time (pure): scores, what is due, and change against the baseline.

- STarT Back once at the start; its risk group is shown to the clinician.
- ODI or RMDQ (the clinician's choice, stored with the programme; without one, the
  one taken first is followed) at the start and every 14 days.
- PSFS on the same 14-day rhythm: asked when the clinician enabled it, else optional.
- NPRS from every session: ``pain_before`` of the first session is the baseline; each
  14-day period after it contributes its most recent session as a follow-up.
Every follow-up is compared with the baseline by SPEC §5 (``spinestep.domain.change``)
and labelled with the three-way verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from spinestep.domain.change import ChangeResult, ChangeVerdict, Measure, compute_change
from spinestep.domain.scoring import (
    Bothersomeness,
    Instrument,
    ScoreResult,
    StartBackResult,
    StartBackRisk,
    score_odi,
    score_psfs,
    score_rmdq,
    score_startback,
)
from spinestep.domain.text import tidy_name
from spinestep.errors import InvalidInput
from spinestep.services.record_types import (
    Answers,
    OdiAnswers,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
    RmdqAnswers,
    SessionEntry,
    StartBackAnswers,
)

FOLLOW_UP_DAYS = 14
FOLLOW_UP = timedelta(days=FOLLOW_UP_DAYS)
VERDICT_TEXT = {
    ChangeVerdict.IMPORTANT_IMPROVEMENT: "clinically important improvement",
    ChangeVerdict.NO_IMPORTANT_CHANGE: "no important change",
    ChangeVerdict.IMPORTANT_WORSENING: "important worsening",
}
INSTRUMENT_NAMES = {
    Instrument.NPRS: "NPRS pain (0-10)",
    Instrument.ODI: "Oswestry Disability Index (%)",
    Instrument.RMDQ: "Roland-Morris (0-24)",
    Instrument.PSFS: "Patient-Specific Functional Scale (0-10)",
    Instrument.STARTBACK: "STarT Back",
}


def score_answers(answers: Answers) -> ScoreResult:
    """The score of one completed questionnaire."""
    if isinstance(answers, OdiAnswers):
        return score_odi(list(answers.sections))
    if isinstance(answers, RmdqAnswers):
        return score_rmdq(list(answers.ticked))
    if isinstance(answers, PsfsAnswers):
        return score_psfs([activity.rating for activity in answers.activities])
    return score_startback(list(answers.items), answers.bothersomeness)


def score_value(answers: Answers) -> int | Decimal:
    """The number followed over time: ODI %, RMDQ count, PSFS mean, STarT Back total."""
    result = score_answers(answers)
    if isinstance(result, StartBackResult):
        return result.total
    return result.score


def answers_to_json(answers: Answers) -> dict[str, Any]:
    """Answers in the keys of the ``spinestep score`` contract (PSFS adds activity names)."""
    if isinstance(answers, OdiAnswers):
        return {"answers": list(answers.sections)}
    if isinstance(answers, RmdqAnswers):
        return {"ticked": list(answers.ticked)}
    if isinstance(answers, PsfsAnswers):
        return {
            "ratings": [a.rating for a in answers.activities],
            "activities": [a.name for a in answers.activities],
        }
    return {"items": list(answers.items), "bothersomeness": answers.bothersomeness.value}


def answers_from_json(instrument: Instrument, data: object) -> Answers:
    """Check and read answers given as JSON (the keys of ``answers_to_json``); scores them."""
    if not isinstance(data, dict):
        raise InvalidInput("answers", "must be an object")
    allowed = set(_KEYS[instrument])
    unknown = sorted(set(data) - allowed - _OPTIONAL_KEYS.get(instrument, set()))
    if unknown:
        raise InvalidInput(unknown[0], "is not a known field")
    for key in allowed:
        if key not in data:
            raise InvalidInput(key, "is required")
    answers: Answers
    if instrument is Instrument.ODI:
        answers = OdiAnswers(sections=tuple(_list(data["answers"], "answers")))
    elif instrument is Instrument.RMDQ:
        ticked = _list(data["ticked"], "ticked")
        score_rmdq(ticked)  # checks range and duplicates before sorting
        answers = RmdqAnswers(ticked=tuple(sorted(ticked)))
    elif instrument is Instrument.PSFS:
        ratings = _list(data["ratings"], "ratings")
        names = _list(
            data.get("activities", [f"activity {i + 1}" for i in range(len(ratings))]), "activities"
        )
        # One space for any run of whitespace and no control or formatting characters
        # (so also a valid FHIR string); tidied, not refused: stored answers load here too.
        cleaned = [tidy_name(n) if isinstance(n, str) else "" for n in names]
        if len(cleaned) != len(ratings) or not all(cleaned):
            raise InvalidInput("activities", "must name each rated activity")
        answers = PsfsAnswers(
            activities=tuple(PsfsActivity(n, r) for n, r in zip(cleaned, ratings, strict=True))
        )
    elif instrument is Instrument.STARTBACK:
        try:
            bother = Bothersomeness(data["bothersomeness"])
        except ValueError:
            raise InvalidInput(
                "bothersomeness", "must be one of " + ", ".join(b.value for b in Bothersomeness)
            ) from None
        answers = StartBackAnswers(
            items=tuple(_list(data["items"], "items")), bothersomeness=bother
        )
    else:
        raise InvalidInput("instrument", "NPRS is recorded with every session")
    score_answers(answers)
    return answers


_KEYS = {
    Instrument.ODI: ("answers",),
    Instrument.RMDQ: ("ticked",),
    Instrument.PSFS: ("ratings",),
    Instrument.STARTBACK: ("items", "bothersomeness"),
    Instrument.NPRS: (),
}
_OPTIONAL_KEYS = {Instrument.PSFS: {"activities"}}


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(path, "must be an array")
    return value


@dataclass(frozen=True, slots=True)
class ScorePoint:
    at: datetime
    value: int | Decimal


@dataclass(frozen=True, slots=True)
class FollowUp:
    point: ScorePoint
    change: ChangeResult

    @property
    def verdict(self) -> ChangeVerdict:
        return self.change.verdict


@dataclass(frozen=True, slots=True)
class MeasureHistory:
    """A measure's baseline and every follow-up with its change and verdict."""

    measure: Measure
    baseline: ScorePoint
    follow_ups: tuple[FollowUp, ...]

    @property
    def latest(self) -> FollowUp | None:
        return self.follow_ups[-1] if self.follow_ups else None


@dataclass(frozen=True, slots=True)
class StartBackSummary:
    at: datetime
    total: int
    psychosocial: int
    risk: StartBackRisk


@dataclass(frozen=True, slots=True)
class QuestionnaireHistory:
    startback: StartBackSummary | None
    measures: tuple[MeasureHistory, ...]


def history(
    questionnaires: Sequence[QuestionnaireEntry], sessions: Sequence[SessionEntry]
) -> QuestionnaireHistory:
    """Baselines, follow-ups and verdicts of every measure the patient has."""
    pains = [(entry.record.at, entry.record.pain_before) for entry in sessions]
    return history_of_pains(questionnaires, pains)


def history_of_pains(
    questionnaires: Sequence[QuestionnaireEntry], pains: Sequence[tuple[datetime, int]]
) -> QuestionnaireHistory:
    """``history`` from each session's time and pain before it (all the NPRS needs)."""
    ordered = sorted(questionnaires, key=lambda q: q.taken_at)
    startback = None
    for entry in ordered:
        if isinstance(entry.answers, StartBackAnswers):
            result = score_startback(list(entry.answers.items), entry.answers.bothersomeness)
            startback = StartBackSummary(
                entry.taken_at, result.total, result.psychosocial, result.risk
            )
            break
    measures = []
    nprs = _nprs_points(pains)
    if nprs:
        measures.append(_measure_history(Measure.NPRS, nprs))
    for measure, answer_type in (
        (Measure.ODI, OdiAnswers),
        (Measure.RMDQ, RmdqAnswers),
        (Measure.PSFS, PsfsAnswers),
    ):
        points = [
            ScorePoint(q.taken_at, score_value(q.answers))
            for q in ordered
            if isinstance(q.answers, answer_type)
        ]
        if points:
            measures.append(_measure_history(measure, points))
    return QuestionnaireHistory(startback=startback, measures=tuple(measures))


def _measure_history(measure: Measure, points: list[ScorePoint]) -> MeasureHistory:
    baseline = points[0]
    follow_ups = tuple(
        FollowUp(point, compute_change(measure, baseline.value, point.value))
        for point in points[1:]
    )
    return MeasureHistory(measure=measure, baseline=baseline, follow_ups=follow_ups)


def _nprs_points(pains: Sequence[tuple[datetime, int]]) -> list[ScorePoint]:
    """Baseline = first session; then the most recent session of each 14-day period."""
    ordered = sorted(pains, key=lambda pain: pain[0])
    if not ordered:
        return []
    first_at, first_pain = ordered[0]
    points = [ScorePoint(first_at, first_pain)]
    by_period: dict[int, ScorePoint] = {}
    for at, pain_before in ordered[1:]:
        period = (at - first_at) // FOLLOW_UP
        by_period[period] = ScorePoint(at, pain_before)
    points.extend(by_period[key] for key in sorted(by_period))
    return points


@dataclass(frozen=True, slots=True)
class DueItem:
    """A questionnaire that is due (``due_at`` in the past or now) or coming up."""

    instrument: Instrument
    due_at: datetime
    optional: bool
    reason: str


def taken_first(questionnaires: Sequence[QuestionnaireEntry]) -> Instrument | None:
    """ODI or RMDQ, whichever was taken first (ODI on a tie); None before either."""
    first_taken: dict[Instrument, datetime] = {}
    for entry in questionnaires:
        instrument = entry.instrument
        if instrument in (Instrument.ODI, Instrument.RMDQ):
            earlier = first_taken.get(instrument, entry.taken_at)
            first_taken[instrument] = min(earlier, entry.taken_at)
    taken = [i for i in (Instrument.ODI, Instrument.RMDQ) if i in first_taken]
    return min(taken, key=lambda i: first_taken[i]) if taken else None


def due(
    questionnaires: Sequence[QuestionnaireEntry],
    now: datetime,
    chosen: Instrument | None = None,
    *,
    psfs_enabled: bool = False,
) -> tuple[DueItem, ...]:
    """What to ask next: STarT Back once, ODI/RMDQ every 14 days, PSFS.

    ``chosen`` is the clinician's choice between ODI and RMDQ; without it the one taken
    first is followed, and before either was taken both are offered. PSFS is asked
    when ``psfs_enabled``, otherwise offered as optional.
    """
    last: dict[Instrument, datetime] = {}
    for entry in questionnaires:
        instrument = entry.instrument
        last[instrument] = max(last.get(instrument, entry.taken_at), entry.taken_at)
    items = []
    if Instrument.STARTBACK not in last:
        items.append(DueItem(Instrument.STARTBACK, now, False, "baseline risk screening"))
    if chosen is None:
        chosen = taken_first(questionnaires)
    followed = [chosen] if chosen is not None else [Instrument.ODI, Instrument.RMDQ]
    for instrument in followed:
        items.append(_next(instrument, last.get(instrument), now, optional=chosen is None))
    items.append(_next(Instrument.PSFS, last.get(Instrument.PSFS), now, optional=not psfs_enabled))
    return tuple(items)


def _next(
    instrument: Instrument, last: datetime | None, now: datetime, *, optional: bool
) -> DueItem:
    if last is None:
        reason = (
            "baseline"
            if not optional or instrument is Instrument.PSFS
            else "baseline (clinician chooses ODI or RMDQ)"
        )
        return DueItem(instrument, now, optional, reason)
    return DueItem(instrument, last + FOLLOW_UP, optional, f"{FOLLOW_UP_DAYS}-day follow-up")
