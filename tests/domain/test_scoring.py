"""Questionnaire scoring (SPEC §5). Expected values are worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.numbers import round_half_up_2dp
from spinestep.domain.scoring import (
    Bothersomeness,
    NprsBand,
    OdiBand,
    StartBackRisk,
    odi_band,
    score_nprs,
    score_odi,
    score_psfs,
    score_rmdq,
    score_startback,
)
from spinestep.errors import InvalidInput, NotScorable

# --- rounding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1005, 1000), "1.01"),  # a tie rounds up (banker's rounding would give 1.00)
        (Fraction(2675, 1000), "2.68"),  # float round(2.675, 2) gives 2.67
        (Fraction(1004999, 1000000), "1.00"),
        (Fraction(160, 9), "17.78"),  # 17.777…
        (Fraction(-1005, 1000), "-1.01"),  # half up = ties away from zero
        (Fraction(4), "4.00"),
    ],
)
def test_rounds_half_up_to_two_decimals(value: Fraction, expected: str) -> None:
    result = round_half_up_2dp(value)
    assert result == Decimal(expected)
    assert str(result) == expected


# --- NPRS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, NprsBand.NONE),
        (1, NprsBand.MILD),
        (3, NprsBand.MILD),
        (4, NprsBand.MODERATE),
        (6, NprsBand.MODERATE),
        (7, NprsBand.SEVERE),
        (10, NprsBand.SEVERE),
    ],
)
def test_nprs_band_edges(score: int, band: NprsBand) -> None:
    result = score_nprs(score)
    assert result.score == score
    assert result.band is band


@pytest.mark.parametrize("bad", [-1, 11, True, 3.0, "3", None])
def test_nprs_rejects_anything_but_an_integer_0_10(bad: object) -> None:
    with pytest.raises(InvalidInput, match=r"^score: must be an integer 0-10$"):
        score_nprs(bad)  # type: ignore[arg-type]


# --- ODI ------------------------------------------------------------------------------


def test_odi_spec_example_with_one_section_missing() -> None:
    # 2+1+2+1+2+1+2+2+3 = 16 over 9 answered: 16 / 45 × 100 = 35.555… → 35.56 (the form prints
    # a truncated 35.5); 35.56 ≤ 40 → moderate.
    result = score_odi([2, 1, 2, 1, 2, 1, 2, None, 2, 3])
    assert (result.score, result.raw, result.answered) == (Decimal("35.56"), 16, 9)
    assert result.band is OdiBand.MODERATE
    assert result.exact_percent == Fraction(320, 9)


def test_odi_form_example_all_answered() -> None:
    # 16 / 50 × 100 = 32 → moderate.
    result = score_odi([2, 1, 2, 1, 2, 1, 2, 2, 2, 1])
    assert (result.score, result.raw, result.answered) == (Decimal("32.00"), 16, 10)
    assert result.band is OdiBand.MODERATE


def test_odi_all_fives_is_100_bed_bound() -> None:
    result = score_odi([5] * 10)
    assert (result.score, result.raw, result.band) == (Decimal(100), 50, OdiBand.BED_BOUND)


def test_odi_all_zeros_is_0_minimal() -> None:
    result = score_odi([0] * 10)
    assert (result.score, result.raw, result.band) == (Decimal(0), 0, OdiBand.MINIMAL)


def test_odi_with_two_sections_missing_is_scored_over_40() -> None:
    # 8 answered: 1 × 8 = 8 over 40 → 20.0, still minimal (≤ 20 inclusive).
    result = score_odi([1, 1, None, 1, 1, 1, None, 1, 1, 1])
    assert (result.score, result.raw, result.answered) == (Decimal(20), 8, 8)
    assert result.band is OdiBand.MINIMAL


def test_odi_with_three_sections_missing_is_not_scorable() -> None:
    with pytest.raises(NotScorable, match=r"^answers: 3 of 10 sections unanswered"):
        score_odi([1, None, 1, None, 1, None, 1, 1, 1, 1])


def test_odi_not_scorable_is_an_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        score_odi([None] * 10)


@pytest.mark.parametrize(
    ("answers", "percent", "band"),
    [
        # all 10 answered: percent = 2 × raw
        ([1] * 10, "20.00", OdiBand.MINIMAL),  # 10 / 50
        ([2, 1, 1, 1, 1, 1, 1, 1, 1, 1], "22.00", OdiBand.MODERATE),  # 11 / 50
        ([2] * 10, "40.00", OdiBand.MODERATE),  # 20 / 50 = 40.0 exactly: still moderate
        ([3, 2, 2, 2, 2, 2, 2, 2, 2, 2], "42.00", OdiBand.SEVERE),  # 21 / 50
        ([3] * 10, "60.00", OdiBand.SEVERE),  # 30 / 50
        ([4, 3, 3, 3, 3, 3, 3, 3, 3, 3], "62.00", OdiBand.CRIPPLED),  # 31 / 50
        ([4] * 10, "80.00", OdiBand.CRIPPLED),  # 40 / 50
        ([5, 4, 4, 4, 4, 4, 4, 4, 4, 4], "82.00", OdiBand.BED_BOUND),  # 41 / 50
        # 9 answered: percent = 20 × raw / 9
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, None], "40.00", OdiBand.MODERATE),  # 18 / 45 = 40.0
        ([3, 2, 2, 2, 2, 2, 2, 2, 2, None], "42.22", OdiBand.SEVERE),  # 19 / 45 = 42.22…
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, None], "20.00", OdiBand.MINIMAL),  # 9 / 45
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, None], "2.22", OdiBand.MINIMAL),  # 1 / 45 = 2.222…
        ([4, 0, 0, 0, 0, 0, 0, 0, 0, None], "8.89", OdiBand.MINIMAL),  # 4 / 45 = 8.888…
        # 8 answered: percent = 2.5 × raw
        ([None, 5, 5, 5, 5, 5, 5, 5, 5, None], "100.00", OdiBand.BED_BOUND),  # 40 / 40
        ([None, 1, 0, 0, 0, 0, 0, 0, 0, None], "2.50", OdiBand.MINIMAL),  # 1 / 40
    ],
)
def test_odi_band_boundaries(answers: list[int | None], percent: str, band: OdiBand) -> None:
    result = score_odi(answers)
    assert result.score == Decimal(percent)
    assert result.band is band


@pytest.mark.parametrize(
    ("exact_percent", "band"),
    [
        (Fraction(20), OdiBand.MINIMAL),
        (Fraction(2000001, 100000), OdiBand.MODERATE),  # 20.00001 rounds to 20.00 yet is above
        (Fraction(40), OdiBand.MODERATE),
        (Fraction(4000001, 100000), OdiBand.SEVERE),
        (Fraction(60), OdiBand.SEVERE),
        (Fraction(6000001, 100000), OdiBand.CRIPPLED),
        (Fraction(80), OdiBand.CRIPPLED),
        (Fraction(8000001, 100000), OdiBand.BED_BOUND),
    ],
)
def test_odi_band_uses_the_unrounded_value(exact_percent: Fraction, band: OdiBand) -> None:
    assert odi_band(exact_percent) is band


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([1] * 9, r"^answers: must have exactly 10 entries$"),
        ([1] * 11, r"^answers: must have exactly 10 entries$"),
        ([1, 1, 1, 6, 1, 1, 1, 1, 1, 1], r"^answers\[3\]: must be an integer 0-5 or null$"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, -1], r"^answers\[9\]: must be an integer 0-5 or null$"),
        ([True, 1, 1, 1, 1, 1, 1, 1, 1, 1], r"^answers\[0\]: must be an integer 0-5 or null$"),
        ([1, 2.0, 1, 1, 1, 1, 1, 1, 1, 1], r"^answers\[1\]: must be an integer 0-5 or null$"),
        ("1111111111", r"^answers: must be an array$"),
    ],
)
def test_odi_rejects_malformed_answers(answers: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        score_odi(answers)  # type: ignore[arg-type]
    assert not isinstance(caught.value, NotScorable)


# --- RMDQ -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticked", "score"),
    [([1, 4, 9], 3), ([], 0), (list(range(1, 25)), 24), ([24, 1], 2)],
)
def test_rmdq_counts_the_statements_ticked(ticked: list[int], score: int) -> None:
    assert score_rmdq(ticked).score == score


@pytest.mark.parametrize(
    ("ticked", "message"),
    [
        ([1, 4, 4], r"^ticked\[2\]: statement 4 is ticked twice$"),
        ([0], r"^ticked\[0\]: must be an integer 1-24$"),
        ([3, 25], r"^ticked\[1\]: must be an integer 1-24$"),
        ([True], r"^ticked\[0\]: must be an integer 1-24$"),
        (["3"], r"^ticked\[0\]: must be an integer 1-24$"),
    ],
)
def test_rmdq_rejects_duplicates_and_out_of_range(ticked: list[object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        score_rmdq(ticked)  # type: ignore[arg-type]


# --- PSFS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "mean"),
    [
        ([3, 5, 4], "4.00"),  # 12 / 3
        ([3, 4, 4], "3.67"),  # 11 / 3 = 3.666… rounds up
        ([3, 3, 4], "3.33"),  # 10 / 3 = 3.333… rounds down
        ([2, 3, 5, 7], "4.25"),  # 17 / 4
        ([0, 0, 0, 0, 1], "0.20"),  # 1 / 5
        ([10], "10.00"),
        ([0], "0.00"),
        ([10, 10, 10, 10, 9], "9.80"),  # 49 / 5
    ],
)
def test_psfs_is_the_mean_rounded_half_up(ratings: list[int], mean: str) -> None:
    result = score_psfs(ratings)
    assert result.score == Decimal(mean)
    assert result.activities == len(ratings)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([], r"^ratings: must rate 1-5 activities$"),
        ([1, 2, 3, 4, 5, 6], r"^ratings: must rate 1-5 activities$"),
        ([3, 11], r"^ratings\[1\]: must be an integer 0-10$"),
        ([3, -1], r"^ratings\[1\]: must be an integer 0-10$"),
        ([3.5], r"^ratings\[0\]: must be an integer 0-10$"),
        ([False], r"^ratings\[0\]: must be an integer 0-10$"),
    ],
)
def test_psfs_rejects_bad_ratings(ratings: list[object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        score_psfs(ratings)  # type: ignore[arg-type]


# --- STarT Back -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "bothersomeness", "total", "psychosocial", "risk"),
    [
        # SPEC example: 4 physical items, item 9 'moderately' scores 0.
        ([1, 1, 1, 1, 0, 0, 0, 0], Bothersomeness.MODERATELY, 4, 0, StartBackRisk.MEDIUM),
        # items 5, 6, 7 and item 9 ('very_much' scores 1): psychosocial 4 → high.
        ([0, 0, 0, 0, 1, 1, 1, 0], Bothersomeness.VERY_MUCH, 4, 4, StartBackRisk.HIGH),
        # psychosocial 3 with total 3 is low (Keele).
        ([0, 0, 0, 0, 1, 1, 1, 0], Bothersomeness.SLIGHTLY, 3, 3, StartBackRisk.LOW),
        # psychosocial 3 with total 4 is medium.
        ([1, 0, 0, 0, 1, 1, 1, 0], Bothersomeness.MODERATELY, 4, 3, StartBackRisk.MEDIUM),
        # items 5–8 all agree: psychosocial 4 even without item 9.
        ([0, 0, 0, 0, 1, 1, 1, 1], Bothersomeness.NOT_AT_ALL, 4, 4, StartBackRisk.HIGH),
        ([1] * 8, Bothersomeness.EXTREMELY, 9, 5, StartBackRisk.HIGH),
        ([0] * 8, Bothersomeness.NOT_AT_ALL, 0, 0, StartBackRisk.LOW),
        ([0] * 8, Bothersomeness.EXTREMELY, 1, 1, StartBackRisk.LOW),
        ([1, 1, 1, 0, 0, 0, 0, 0], Bothersomeness.SLIGHTLY, 3, 0, StartBackRisk.LOW),
    ],
)
def test_startback_totals_and_risk(
    items: list[int],
    bothersomeness: Bothersomeness,
    total: int,
    psychosocial: int,
    risk: StartBackRisk,
) -> None:
    result = score_startback(items, bothersomeness)
    assert (result.total, result.psychosocial, result.risk) == (total, psychosocial, risk)


def test_startback_item_9_scores_only_very_much_and_extremely() -> None:
    scored = {member.value for member in Bothersomeness if member.item_score == 1}
    assert scored == {"very_much", "extremely"}


@pytest.mark.parametrize(
    ("items", "bothersomeness", "message"),
    [
        ([1] * 7, Bothersomeness.SLIGHTLY, r"^items: must have exactly 8 entries$"),
        ([1] * 9, Bothersomeness.SLIGHTLY, r"^items: must have exactly 8 entries$"),
        (
            [1, 2, 0, 0, 0, 0, 0, 0],
            Bothersomeness.SLIGHTLY,
            r"^items\[1\]: must be an integer 0-1$",
        ),
        ([True] + [0] * 7, Bothersomeness.SLIGHTLY, r"^items\[0\]: must be an integer 0-1$"),
        ([0] * 8, "Slightly", r"^bothersomeness: must be one of not_at_all, slightly"),
    ],
)
def test_startback_rejects_bad_items(
    items: list[object], bothersomeness: object, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        score_startback(items, bothersomeness)  # type: ignore[arg-type]


# --- invariants -----------------------------------------------------------------------


@st.composite
def odi_answers(draw: st.DrawFn, missing: st.SearchStrategy[int]) -> list[int | None]:
    """10 answers 0–5, of which ``missing`` (a count) are replaced by None."""
    answers: list[int | None] = list(draw(st.lists(st.integers(0, 5), min_size=10, max_size=10)))
    count = draw(missing)
    for index in draw(st.permutations(range(10)))[:count]:
        answers[index] = None
    return answers


@given(odi_answers(st.integers(0, 2)))
def test_odi_score_stays_within_0_100_and_matches_its_band(answers: list[int | None]) -> None:
    result = score_odi(answers)
    assert Decimal(0) <= result.score <= Decimal(100)
    assert 0 <= result.raw <= 5 * result.answered
    assert result.answered == 10 - answers.count(None)
    exact = result.exact_percent
    assert abs(Fraction(result.score) - exact) <= Fraction(1, 200)
    assert result.band is odi_band(exact)


@given(odi_answers(st.integers(3, 10)))
def test_odi_with_more_than_two_missing_is_never_scored(answers: list[int | None]) -> None:
    with pytest.raises(NotScorable):
        score_odi(answers)


@given(st.lists(st.integers(0, 10), min_size=1, max_size=5))
def test_psfs_mean_stays_within_the_ratings(ratings: list[int]) -> None:
    score = score_psfs(ratings).score
    assert min(ratings) <= score <= max(ratings)
    assert score == score.quantize(Decimal("0.01"))


@given(st.sets(st.integers(1, 24)))
def test_rmdq_score_is_the_count_and_within_0_24(ticked: set[int]) -> None:
    assert score_rmdq(sorted(ticked)).score == len(ticked) <= 24


@given(st.lists(st.integers(0, 1), min_size=8, max_size=8), st.sampled_from(Bothersomeness))
def test_startback_scores_stay_in_range(items: list[int], bothersomeness: Bothersomeness) -> None:
    result = score_startback(items, bothersomeness)
    assert 0 <= result.psychosocial <= 5
    assert result.psychosocial <= result.total <= 9
    if result.risk is StartBackRisk.HIGH:
        assert result.psychosocial >= 4
    else:
        assert result.psychosocial <= 3


@given(st.integers(0, 10))
def test_nprs_band_is_ordered_with_the_score(score: int) -> None:
    order = [NprsBand.NONE, NprsBand.MILD, NprsBand.MODERATE, NprsBand.SEVERE]
    if score < 10:
        assert order.index(score_nprs(score).band) <= order.index(score_nprs(score + 1).band)
