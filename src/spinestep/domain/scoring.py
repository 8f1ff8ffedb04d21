"""Scoring of the outcome questionnaires of SPEC §5: NPRS, ODI, RMDQ, PSFS, STarT Back.

Pure functions from answers to typed results. Each checks its own input (strict
integers, ranges, counts) and raises ``InvalidInput`` naming the offending value with
the JSON field names of the ``spinestep score`` contract, or ``NotScorable`` when the
answers are well formed but too incomplete to score (ODI with more than 2 sections
missing). Change between two scores lives in ``spinestep.domain.change``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from fractions import Fraction

from spinestep.domain.numbers import check_int, decimal_to_json, round_half_up_2dp
from spinestep.errors import InvalidInput, NotScorable


class Instrument(StrEnum):
    """The questionnaires spinestep scores (the ``instrument`` strings of SPEC §5)."""

    NPRS = "nprs"
    ODI = "odi"
    RMDQ = "rmdq"
    PSFS = "psfs"
    STARTBACK = "startback"


class NprsBand(StrEnum):
    """0 none, 1–3 mild, 4–6 moderate, 7–10 severe."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class OdiBand(StrEnum):
    """≤20 minimal, ≤40 moderate, ≤60 severe, ≤80 crippled, >80 bed_bound (unrounded)."""

    MINIMAL = "minimal"
    MODERATE = "moderate"
    SEVERE = "severe"
    CRIPPLED = "crippled"
    BED_BOUND = "bed_bound"


class Bothersomeness(StrEnum):
    """STarT Back item 9: how bothersome the back pain was in the last 2 weeks."""

    NOT_AT_ALL = "not_at_all"
    SLIGHTLY = "slightly"
    MODERATELY = "moderately"
    VERY_MUCH = "very_much"
    EXTREMELY = "extremely"

    @property
    def item_score(self) -> int:
        """Only ``very_much`` and ``extremely`` score 1."""
        return 1 if self in (Bothersomeness.VERY_MUCH, Bothersomeness.EXTREMELY) else 0


class StartBackRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


NPRS_MAX = 10
ODI_SECTIONS = 10
ODI_ANSWER_MAX = 5
ODI_MAX_MISSING = 2
RMDQ_ITEMS = 24
PSFS_MAX_ACTIVITIES = 5
PSFS_RATING_MAX = 10
STARTBACK_AGREE_ITEMS = 8
STARTBACK_HIGH_PSYCHOSOCIAL = 4
STARTBACK_MEDIUM_TOTAL = 4

_ODI_BAND_UPPER_PERCENT: tuple[tuple[int, OdiBand], ...] = (
    (20, OdiBand.MINIMAL),
    (40, OdiBand.MODERATE),
    (60, OdiBand.SEVERE),
    (80, OdiBand.CRIPPLED),
)


@dataclass(frozen=True, slots=True)
class NprsResult:
    score: int
    band: NprsBand
    instrument: Instrument = Instrument.NPRS

    def to_json(self) -> dict[str, object]:
        return {"instrument": self.instrument.value, "score": self.score, "band": self.band.value}


@dataclass(frozen=True, slots=True)
class OdiResult:
    """``score`` is the percentage rounded to 2 decimals; ``exact_percent`` is unrounded."""

    score: Decimal
    raw: int
    answered: int
    band: OdiBand
    exact_percent: Fraction
    instrument: Instrument = Instrument.ODI

    def to_json(self) -> dict[str, object]:
        return {
            "instrument": self.instrument.value,
            "score": decimal_to_json(self.score),
            "raw": self.raw,
            "answered": self.answered,
            "band": self.band.value,
        }


@dataclass(frozen=True, slots=True)
class RmdqResult:
    score: int
    instrument: Instrument = Instrument.RMDQ

    def to_json(self) -> dict[str, object]:
        return {"instrument": self.instrument.value, "score": self.score}


@dataclass(frozen=True, slots=True)
class PsfsResult:
    """``score`` is the mean rating rounded to 2 decimals."""

    score: Decimal
    activities: int
    instrument: Instrument = Instrument.PSFS

    def to_json(self) -> dict[str, object]:
        return {"instrument": self.instrument.value, "score": decimal_to_json(self.score)}


@dataclass(frozen=True, slots=True)
class StartBackResult:
    total: int
    psychosocial: int
    risk: StartBackRisk
    instrument: Instrument = Instrument.STARTBACK

    def to_json(self) -> dict[str, object]:
        return {
            "instrument": self.instrument.value,
            "total": self.total,
            "psychosocial": self.psychosocial,
            "risk": self.risk.value,
        }


ScoreResult = NprsResult | OdiResult | RmdqResult | PsfsResult | StartBackResult


def nprs_band(score_0_10: int) -> NprsBand:
    """The band of an NPRS score (checked 0–10)."""
    check_int(score_0_10, 0, NPRS_MAX, "score")
    if score_0_10 == 0:
        return NprsBand.NONE
    if score_0_10 <= 3:
        return NprsBand.MILD
    if score_0_10 <= 6:
        return NprsBand.MODERATE
    return NprsBand.SEVERE


def score_nprs(score_0_10: int) -> NprsResult:
    return NprsResult(score=score_0_10, band=nprs_band(score_0_10))


def odi_band(exact_percent: Fraction | int) -> OdiBand:
    """The ODI band of an unrounded percentage: 40 is moderate, anything above 40 severe."""
    for upper, band in _ODI_BAND_UPPER_PERCENT:
        if exact_percent <= upper:
            return band
    return OdiBand.BED_BOUND


def score_odi(answers: Sequence[int | None]) -> OdiResult:
    """Score the 10 ODI sections (each 0–5, ``None`` when unanswered).

    Percentage = total ÷ (5 × answered) × 100. At most 2 sections may be missing,
    otherwise ``NotScorable``. The band is taken from the unrounded percentage.
    """
    _check_sequence(answers, "answers")
    if len(answers) != ODI_SECTIONS:
        raise InvalidInput("answers", f"must have exactly {ODI_SECTIONS} entries")
    given = [
        check_int(answer, 0, ODI_ANSWER_MAX, f"answers[{index}]", nullable=True)
        for index, answer in enumerate(answers)
        if answer is not None
    ]
    missing = ODI_SECTIONS - len(given)
    if missing > ODI_MAX_MISSING:
        raise NotScorable(
            "answers",
            f"{missing} of {ODI_SECTIONS} sections unanswered; "
            f"at most {ODI_MAX_MISSING} may be missing",
        )
    raw = sum(given)
    exact_percent = Fraction(raw * 100, ODI_ANSWER_MAX * len(given))
    return OdiResult(
        score=round_half_up_2dp(exact_percent),
        raw=raw,
        answered=len(given),
        band=odi_band(exact_percent),
        exact_percent=exact_percent,
    )


def score_rmdq(ticked: Sequence[int]) -> RmdqResult:
    """Score the Roland-Morris questionnaire: the number of distinct statements ticked (1–24)."""
    _check_sequence(ticked, "ticked")
    seen: set[int] = set()
    for index, statement in enumerate(ticked):
        check_int(statement, 1, RMDQ_ITEMS, f"ticked[{index}]")
        if statement in seen:
            raise InvalidInput(f"ticked[{index}]", f"statement {statement} is ticked twice")
        seen.add(statement)
    return RmdqResult(score=len(seen))


def score_psfs(ratings: Sequence[int]) -> PsfsResult:
    """Score the Patient-Specific Functional Scale: the mean of 1–5 ratings, each 0–10."""
    _check_sequence(ratings, "ratings")
    if not 1 <= len(ratings) <= PSFS_MAX_ACTIVITIES:
        raise InvalidInput("ratings", f"must rate 1-{PSFS_MAX_ACTIVITIES} activities")
    checked = [
        check_int(rating, 0, PSFS_RATING_MAX, f"ratings[{index}]")
        for index, rating in enumerate(ratings)
    ]
    mean = Fraction(sum(checked), len(checked))
    return PsfsResult(score=round_half_up_2dp(mean), activities=len(checked))


def score_startback(items: Sequence[int], bothersomeness: Bothersomeness) -> StartBackResult:
    """Score the Keele STarT Back tool.

    ``items`` are items 1–8 (1 agree, 0 disagree); item 9 comes from ``bothersomeness``.
    Total = all 9 (0–9); psychosocial = items 5–9 (0–5). Risk: psychosocial ≥ 4 high,
    else total ≥ 4 medium, else low.
    """
    _check_sequence(items, "items")
    if len(items) != STARTBACK_AGREE_ITEMS:
        raise InvalidInput("items", f"must have exactly {STARTBACK_AGREE_ITEMS} entries")
    checked = [check_int(item, 0, 1, f"items[{index}]") for index, item in enumerate(items)]
    if not isinstance(bothersomeness, Bothersomeness):
        raise InvalidInput("bothersomeness", f"must be one of {_choices(Bothersomeness)}")
    item_9 = bothersomeness.item_score
    total = sum(checked) + item_9
    psychosocial = sum(checked[4:8]) + item_9
    if psychosocial >= STARTBACK_HIGH_PSYCHOSOCIAL:
        risk = StartBackRisk.HIGH
    elif total >= STARTBACK_MEDIUM_TOTAL:
        risk = StartBackRisk.MEDIUM
    else:
        risk = StartBackRisk.LOW
    return StartBackResult(total=total, psychosocial=psychosocial, risk=risk)


def _check_sequence(value: object, path: str) -> None:
    if not isinstance(value, list | tuple):
        raise InvalidInput(path, "must be an array")


def _choices(enum: type[Enum]) -> str:
    return ", ".join(str(member.value) for member in enum)
