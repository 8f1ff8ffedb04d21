"""Change between a baseline and a follow-up score (SPEC §5).

The thresholds of NPRS, ODI and RMDQ are the minimal important changes of Ostelo et al.
2008; the PSFS threshold of 2 points is its minimum detectable change (Stratford 1995),
as no important change for low back pain was found.

- ``improvement`` = baseline − follow-up (follow-up − baseline for PSFS, where higher
  is better), signed.
- ``improvement_percent`` = improvement ÷ baseline × 100, signed; ``None`` when the
  baseline is 0. Reported for PSFS too, but PSFS verdicts use points only.
- ``important``: improvement ≥ the points threshold, or (not PSFS) percent ≥ 30.
- ``worsened``: −improvement ≥ the points threshold (points only).
Thresholds are inclusive and are applied to the exact, unrounded values; rounding to
2 decimals (half up) is for reporting only, as for the ODI bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from spinestep.domain.numbers import (
    check_int,
    check_number,
    decimal_to_json,
    round_half_up_2dp,
)
from spinestep.domain.scoring import Instrument, ScoreResult, StartBackResult
from spinestep.errors import InvalidInput


class Measure(StrEnum):
    """The scores whose change spinestep judges (the ``measure`` strings of SPEC §5)."""

    NPRS = "nprs"
    ODI = "odi"
    RMDQ = "rmdq"
    PSFS = "psfs"

    @property
    def higher_is_better(self) -> bool:
        return self is Measure.PSFS

    @property
    def integer_valued(self) -> bool:
        """NPRS and RMDQ are whole numbers; ODI and PSFS scores may have decimals."""
        return self in (Measure.NPRS, Measure.RMDQ)

    @property
    def points_threshold(self) -> int:
        return _POINTS_THRESHOLD[self]

    @property
    def uses_percent_rule(self) -> bool:
        """The 30 % rule of Ostelo 2008 does not apply to PSFS."""
        return self is not Measure.PSFS

    @property
    def maximum(self) -> int:
        return _MAXIMUM[self]


_POINTS_THRESHOLD = {Measure.NPRS: 2, Measure.ODI: 10, Measure.RMDQ: 5, Measure.PSFS: 2}
_MAXIMUM = {Measure.NPRS: 10, Measure.ODI: 100, Measure.RMDQ: 24, Measure.PSFS: 10}
IMPORTANT_PERCENT = 30


class ChangeVerdict(StrEnum):
    """Three-way reading of a change, for showing questionnaires over time."""

    IMPORTANT_IMPROVEMENT = "important_improvement"
    NO_IMPORTANT_CHANGE = "no_important_change"
    IMPORTANT_WORSENING = "important_worsening"


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """``improvement`` and ``improvement_percent`` are exact for NPRS/RMDQ points and
    otherwise rounded to 2 decimals half up; the flags come from the unrounded values."""

    measure: Measure
    improvement: int | Decimal
    improvement_percent: Decimal | None
    important: bool
    worsened: bool

    @property
    def verdict(self) -> ChangeVerdict:
        if self.important:
            return ChangeVerdict.IMPORTANT_IMPROVEMENT
        if self.worsened:
            return ChangeVerdict.IMPORTANT_WORSENING
        return ChangeVerdict.NO_IMPORTANT_CHANGE

    def to_json(self) -> dict[str, object]:
        improvement: int | float = (
            self.improvement
            if isinstance(self.improvement, int)
            else decimal_to_json(self.improvement)
        )
        percent = (
            None if self.improvement_percent is None else decimal_to_json(self.improvement_percent)
        )
        return {
            "instrument": "change",
            "measure": self.measure.value,
            "improvement": improvement,
            "improvement_percent": percent,
            "important": self.important,
            "worsened": self.worsened,
        }


def compute_change(
    measure: Measure, baseline: int | float | Decimal, followup: int | float | Decimal
) -> ChangeResult:
    """Judge the change from ``baseline`` to ``followup`` on ``measure``.

    NPRS takes integers 0–10, RMDQ integers 0–24, ODI numbers 0–100, PSFS numbers 0–10
    (a number is an int, a finite float or a ``Decimal``; never a bool).
    """
    if not isinstance(measure, Measure):
        raise InvalidInput("measure", "must be one of " + ", ".join(m.value for m in Measure))
    base = _checked_value(measure, baseline, "baseline")
    follow = _checked_value(measure, followup, "followup")
    exact_improvement = follow - base if measure.higher_is_better else base - follow
    exact_percent = None if base == 0 else exact_improvement / base * 100
    threshold = measure.points_threshold
    important = exact_improvement >= threshold or (
        measure.uses_percent_rule
        and exact_percent is not None
        and exact_percent >= IMPORTANT_PERCENT
    )
    improvement: int | Decimal
    if measure.integer_valued:
        improvement = int(exact_improvement)
    else:
        improvement = round_half_up_2dp(exact_improvement)
    return ChangeResult(
        measure=measure,
        improvement=improvement,
        improvement_percent=None if exact_percent is None else round_half_up_2dp(exact_percent),
        important=important,
        worsened=-exact_improvement >= threshold,
    )


def change_verdict(
    measure: Measure, baseline: int | float | Decimal, followup: int | float | Decimal
) -> ChangeVerdict:
    """``important_improvement``, ``no_important_change`` or ``important_worsening``."""
    return compute_change(measure, baseline, followup).verdict


def _checked_value(measure: Measure, value: object, path: str) -> Fraction:
    if measure.integer_valued:
        return Fraction(check_int(value, 0, measure.maximum, path))
    return Fraction(check_number(value, 0, measure.maximum, path))


def measure_of(instrument: Instrument) -> Measure:
    """The change measure of a questionnaire; STarT Back is a screening tool and has none."""
    try:
        return Measure(instrument.value)
    except ValueError:
        raise InvalidInput("instrument", f"{instrument.value} has no change measure") from None


def change_between(baseline: ScoreResult, followup: ScoreResult) -> ChangeResult:
    """The change from one scored questionnaire to a later one of the same instrument.

    Uses the scores as reported (ODI and PSFS rounded to 2 decimals), so the verdict
    matches what ``spinestep score`` gives for the two numbers a clinician sees.
    """
    if baseline.instrument is not followup.instrument:
        raise InvalidInput(
            "followup",
            f"is {followup.instrument.value}, but the baseline is {baseline.instrument.value}",
        )
    if isinstance(baseline, StartBackResult) or isinstance(followup, StartBackResult):
        raise InvalidInput("instrument", "startback has no change measure")
    return compute_change(measure_of(baseline.instrument), baseline.score, followup.score)
