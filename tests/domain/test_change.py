"""Change between a baseline and a follow-up (SPEC §5). Expected values worked out by hand."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.change import (
    ChangeVerdict,
    Measure,
    change_between,
    change_verdict,
    compute_change,
    measure_of,
)
from spinestep.domain.scoring import (
    Bothersomeness,
    Instrument,
    score_nprs,
    score_odi,
    score_psfs,
    score_startback,
)
from spinestep.errors import InvalidInput

IMPROVED = ChangeVerdict.IMPORTANT_IMPROVEMENT
SAME = ChangeVerdict.NO_IMPORTANT_CHANGE
WORSE = ChangeVerdict.IMPORTANT_WORSENING

# measure, baseline, followup, improvement, percent (None: baseline 0), important, worsened
CASES = [
    # NPRS: 2 points or 30 %
    (Measure.NPRS, 6, 3, 3, "50.00", True, False),  # SPEC example
    (Measure.NPRS, 5, 3, 2, "40.00", True, False),  # exactly 2 points: inclusive
    (Measure.NPRS, 10, 8, 2, "20.00", True, False),  # 2 points while only 20 %
    (Measure.NPRS, 10, 9, 1, "10.00", False, False),
    (Measure.NPRS, 3, 2, 1, "33.33", True, False),  # 1 point but 33.3 % ≥ 30
    (Measure.NPRS, 7, 6, 1, "14.29", False, False),  # 14.285… rounds up
    (Measure.NPRS, 6, 5, 1, "16.67", False, False),  # 16.666…
    (Measure.NPRS, 3, 5, -2, "-66.67", False, True),  # worse by 2: inclusive
    (Measure.NPRS, 3, 4, -1, "-33.33", False, False),  # −33 % is not a worsening (points only)
    (Measure.NPRS, 0, 2, -2, None, False, True),  # baseline 0: no percentage
    (Measure.NPRS, 0, 0, 0, None, False, False),
    (Measure.NPRS, 4, 4, 0, "0.00", False, False),
    # RMDQ: 5 points or 30 %
    (Measure.RMDQ, 20, 15, 5, "25.00", True, False),  # exactly 5 points
    (Measure.RMDQ, 20, 16, 4, "20.00", False, False),
    (Measure.RMDQ, 10, 7, 3, "30.00", True, False),  # exactly 30 %: inclusive
    (Measure.RMDQ, 11, 8, 3, "27.27", False, False),  # 27.27 % below 30
    (Measure.RMDQ, 4, 9, -5, "-125.00", False, True),
    (Measure.RMDQ, 4, 8, -4, "-100.00", False, False),
    # ODI: 10 points or 30 %
    (Measure.ODI, 20, 14, "6.00", "30.00", True, False),  # 6 points but 30 %
    (Measure.ODI, 20, 14.01, "5.99", "29.95", False, False),
    (Measure.ODI, 50, 40, "10.00", "20.00", True, False),  # exactly 10 points
    (Measure.ODI, 50, 40.01, "9.99", "19.98", False, False),
    (Measure.ODI, 30, 40, "-10.00", "-33.33", False, True),
    (Measure.ODI, 30, 39.99, "-9.99", "-33.30", False, False),
    (Measure.ODI, 10, 14, "-4.00", "-40.00", False, False),  # −40 % is not a worsening
    (Measure.ODI, 35.56, 22.22, "13.34", "37.51", True, False),  # 13.34 / 35.56 = 37.514…
    (Measure.ODI, 0, 10, "-10.00", None, False, True),
    # PSFS: higher is better; 2 points, no 30 % rule
    (Measure.PSFS, 3, 5, "2.00", "66.67", True, False),
    (Measure.PSFS, 2, 3, "1.00", "50.00", False, False),  # 50 % reported, not used
    (Measure.PSFS, 4.0, 5.5, "1.50", "37.50", False, False),
    (Measure.PSFS, 5, 3, "-2.00", "-40.00", False, True),
    (Measure.PSFS, 0, 1, "1.00", None, False, False),
    (Measure.PSFS, 0, 2, "2.00", None, True, False),
    (Measure.PSFS, 3.67, 6, "2.33", "63.49", True, False),  # 2.33 / 3.67 = 0.634877…
]


@pytest.mark.parametrize(
    ("measure", "baseline", "followup", "improvement", "percent", "important", "worsened"),
    CASES,
)
def test_change_worked_examples(
    measure: Measure,
    baseline: float,
    followup: float,
    improvement: int | str,
    percent: str | None,
    important: bool,
    worsened: bool,
) -> None:
    result = compute_change(measure, baseline, followup)
    if isinstance(improvement, int):
        assert type(result.improvement) is int
        assert result.improvement == improvement
    else:
        assert result.improvement == Decimal(improvement)
    if percent is None:
        assert result.improvement_percent is None
    else:
        assert result.improvement_percent == Decimal(percent)
    assert (result.important, result.worsened) == (important, worsened)
    expected_verdict = IMPROVED if important else WORSE if worsened else SAME
    assert result.verdict is expected_verdict
    assert change_verdict(measure, baseline, followup) is expected_verdict


def test_spec_example_json() -> None:
    assert compute_change(Measure.NPRS, 6, 3).to_json() == {
        "instrument": "change",
        "measure": "nprs",
        "improvement": 3,
        "improvement_percent": 50.0,
        "important": True,
        "worsened": False,
    }


def test_json_keeps_integer_measures_integral_and_others_as_2dp_numbers() -> None:
    nprs = compute_change(Measure.NPRS, 0, 3).to_json()
    assert type(nprs["improvement"]) is int
    assert nprs["improvement"] == -3
    assert nprs["improvement_percent"] is None
    odi = compute_change(Measure.ODI, 20, 14).to_json()
    assert type(odi["improvement"]) is float
    assert (odi["improvement"], odi["improvement_percent"]) == (6.0, 30.0)


def test_float_inputs_are_read_as_the_decimals_written() -> None:
    # 2.3 − 0.3 is 1.9999999999999998 in binary floating point; read as decimals it is
    # exactly 2, which reaches the 2-point PSFS threshold.
    result = compute_change(Measure.PSFS, 0.3, 2.3)
    assert result.improvement == Decimal("2.00")
    assert result.important
    assert compute_change(Measure.PSFS, 2.3, 0.3).worsened


def test_percent_is_rounded_half_up() -> None:
    # 0.002 / 40 × 100 = 0.005 exactly → 0.01 (half up), improvement 0.002 → 0.00
    result = compute_change(Measure.ODI, 40, Decimal("39.998"))
    assert result.improvement == Decimal("0.00")
    assert result.improvement_percent == Decimal("0.01")


def test_flags_use_unrounded_values() -> None:
    # 9.996 points rounds to 10.00 for display but is below the 10-point threshold;
    # 9.996 / 40 = 24.99 % is below 30 %.
    result = compute_change(Measure.ODI, 40, Decimal("30.004"))
    assert result.improvement == Decimal("10.00")
    assert not result.important


@pytest.mark.parametrize(
    ("measure", "baseline", "followup", "message"),
    [
        (Measure.NPRS, 3.0, 2, r"^baseline: must be an integer 0-10$"),
        (Measure.NPRS, 3, 11, r"^followup: must be an integer 0-10$"),
        (Measure.NPRS, True, 2, r"^baseline: must be an integer 0-10$"),
        (Measure.RMDQ, 25, 2, r"^baseline: must be an integer 0-24$"),
        (Measure.RMDQ, 5, -1, r"^followup: must be an integer 0-24$"),
        (Measure.ODI, 100.5, 2, r"^baseline: must be a number 0-100$"),
        (Measure.ODI, False, 2, r"^baseline: must be a number 0-100$"),
        (Measure.ODI, float("nan"), 2, r"^baseline: must be a number 0-100$"),
        (Measure.ODI, 20, float("inf"), r"^followup: must be a number 0-100$"),
        (Measure.ODI, "20", 10, r"^baseline: must be a number 0-100$"),
        (Measure.PSFS, 5, 10.01, r"^followup: must be a number 0-10$"),
        (Measure.PSFS, -0.5, 3, r"^baseline: must be a number 0-10$"),
        ("nprs", 5, 3, r"^measure: must be one of nprs, odi, rmdq, psfs$"),
    ],
)
def test_rejects_values_outside_the_measure(
    measure: Measure, baseline: object, followup: object, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        compute_change(measure, baseline, followup)  # type: ignore[arg-type]


def test_change_between_two_odi_results_uses_the_reported_scores() -> None:
    # 16/45 → 35.56 (moderate), then 10/50 → 20.00: 15.56 points, 15.56 / 35.56 = 43.757…%
    before = score_odi([2, 1, 2, 1, 2, 1, 2, None, 2, 3])
    after = score_odi([1] * 10)
    result = change_between(before, after)
    assert result.measure is Measure.ODI
    assert (result.improvement, result.improvement_percent) == (Decimal("15.56"), Decimal("43.76"))
    assert result.verdict is IMPROVED


def test_change_between_psfs_results_and_nprs_results() -> None:
    # PSFS 11/3 = 3.67 → 17/3 = 5.67: 2.00 points up → important
    assert change_between(score_psfs([3, 4, 4]), score_psfs([5, 6, 6])).verdict is IMPROVED
    # NPRS 4 → 6: 2 points worse
    assert change_between(score_nprs(4), score_nprs(6)).verdict is WORSE


def test_change_between_needs_the_same_instrument_and_a_change_measure() -> None:
    with pytest.raises(InvalidInput, match=r"^followup: is nprs, but the baseline is odi$"):
        change_between(score_odi([1] * 10), score_nprs(3))
    startback = score_startback([0] * 8, Bothersomeness.SLIGHTLY)
    with pytest.raises(InvalidInput, match=r"^instrument: startback has no change measure$"):
        change_between(startback, startback)
    with pytest.raises(InvalidInput, match=r"^instrument: startback has no change measure$"):
        measure_of(Instrument.STARTBACK)
    assert measure_of(Instrument.RMDQ) is Measure.RMDQ


# --- invariants -----------------------------------------------------------------------


def values(measure: Measure) -> st.SearchStrategy[int | float]:
    if measure in (Measure.NPRS, Measure.RMDQ):
        return st.integers(0, measure.maximum)
    return st.one_of(
        st.integers(0, measure.maximum),
        st.floats(0, measure.maximum, allow_nan=False, allow_infinity=False),
    )


@st.composite
def changes(draw: st.DrawFn) -> tuple[Measure, int | float, int | float]:
    measure = draw(st.sampled_from(Measure))
    return measure, draw(values(measure)), draw(values(measure))


@given(changes())
def test_never_both_important_and_worsened(
    change: tuple[Measure, int | float, int | float],
) -> None:
    result = compute_change(*change)
    assert not (result.important and result.worsened)


@given(changes())
def test_swapping_baseline_and_followup_negates_the_points(
    change: tuple[Measure, int | float, int | float],
) -> None:
    measure, baseline, followup = change
    forward = compute_change(measure, baseline, followup)
    backward = compute_change(measure, followup, baseline)
    assert forward.improvement == -backward.improvement
    # a points-sized improvement one way is a worsening the other way
    points = Decimal(measure.points_threshold)
    with localcontext(prec=2000):  # exact: floats as tiny as 1e-300 must not round away
        exact = Decimal(repr(followup)) - Decimal(repr(baseline))
    if measure is not Measure.PSFS:
        exact = -exact
    assert backward.worsened == (exact >= points)


@given(changes())
def test_improvement_stays_within_the_scale(
    change: tuple[Measure, int | float, int | float],
) -> None:
    measure, _, _ = change
    result = compute_change(*change)
    assert -measure.maximum <= result.improvement <= measure.maximum
    if result.improvement_percent is not None and result.improvement > 0:
        assert result.improvement_percent > 0
