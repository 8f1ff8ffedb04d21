"""Bounds on instants and ids, names made safe to show, and the questionnaire wording shipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from spinestep.domain.instants import MAX_ID, check_id, check_instant, check_offset
from spinestep.domain.questionnaire_wording import (
    BOTHERSOMENESS_LABELS,
    ODI_SECTION_NAMES,
    STARTBACK_STATEMENTS,
)
from spinestep.domain.scoring import Bothersomeness
from spinestep.domain.text import clean_name, terminal_safe, tidy_name
from spinestep.errors import InvalidInput

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def problem(call: object, *args: object) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.path, caught.value.problem


@pytest.mark.parametrize("hours", [-14, -3.5, 0, 5.75, 14])
def test_offsets_the_world_uses_are_accepted(hours: float) -> None:
    at = datetime(2026, 11, 20, 8, 0, tzinfo=timezone(timedelta(hours=hours)))
    assert check_instant(at, "at", NOW) is at


def test_a_naive_instant_is_refused_with_an_example() -> None:
    path, text = problem(check_offset, datetime(2026, 11, 20, 8, 0), "sessions[0].at")
    assert path == "sessions[0].at"
    assert text.startswith("must include a UTC offset, e.g. ")


def test_an_offset_beyond_fourteen_hours_is_refused() -> None:
    at = datetime(2026, 11, 20, 8, 0, tzinfo=timezone(timedelta(hours=14, minutes=1)))
    assert problem(check_instant, at, "at", NOW) == ("at", "has a UTC offset beyond ±14:00")


def test_the_earliest_and_latest_instants() -> None:
    earliest = datetime(2000, 1, 1, tzinfo=UTC)
    assert check_instant(earliest, "at", NOW) == earliest
    before = earliest - timedelta(microseconds=1)
    assert problem(check_instant, before, "at", NOW) == ("at", "must be on or after 2000-01-01")
    latest = NOW + timedelta(days=1)
    assert check_instant(latest, "at", NOW) == latest
    after = latest + timedelta(seconds=1)
    assert problem(check_instant, after, "at", NOW) == ("at", "must not be in the future")


@pytest.mark.parametrize("value", [1, MAX_ID])
def test_ids_within_a_signed_32_bit_integer_pass(value: int) -> None:
    assert check_id(value, "patient_id") == value


@pytest.mark.parametrize("value", [0, -5, MAX_ID + 1])
def test_ids_outside_a_signed_32_bit_integer_are_refused(value: int) -> None:
    assert problem(check_id, value, "patient_id") == (
        "patient_id",
        "must be an id from 1 to 2147483647",
    )


def test_a_name_is_normalised_and_its_spaces_made_plain() -> None:
    # "e" + combining acute becomes one code point; no-break and thin spaces become one space.
    assert clean_name("  Jose\u0301\u00a0\u2009 Ramos \n", "name") == "Jos\u00e9 Ramos"


def test_joiners_that_scripts_need_are_kept() -> None:
    assert (
        clean_name("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "name").count("\u200c") == 1
    )


@pytest.mark.parametrize(
    "value",
    ["Ann\x1b[31m", "Ann\u202eeeB", "\ufeffAnn", "Ann\u2028Lee", "Ann\ue000", "An\x85n"],
)
def test_control_and_formatting_characters_are_refused(value: str) -> None:
    assert problem(clean_name, value, "display_name") == (
        "display_name",
        "must not contain control or formatting characters",
    )


@pytest.mark.parametrize("value", ["", "   ", "\u00a0"])
def test_an_empty_name_is_refused(value: str) -> None:
    assert problem(clean_name, value, "name") == ("name", "must be 1-200 characters")


def test_a_name_longer_than_the_limit_is_refused() -> None:
    assert clean_name("a" * 20, "name", max_chars=20) == "a" * 20
    assert clean_name("a" * 200, "name") == "a" * 200
    assert problem(clean_name, "a" * 201, "name") == ("name", "must be 1-200 characters")
    with pytest.raises(InvalidInput, match="must be 1-20 characters"):
        clean_name("a" * 21, "name", max_chars=20)


def test_tidy_name_never_refuses_and_drops_what_clean_name_refuses() -> None:
    assert tidy_name(" Walk\x1b[0m\u202e  the\tdog ") == "Walk[0m the dog"


def test_terminal_safe_shows_control_characters_as_escapes() -> None:
    assert terminal_safe("plain name") == "plain name"
    assert terminal_safe("Ann\x1b[2J\u202e") == "Ann\\u001b[2J\\u202e"


def test_the_shipped_questionnaire_wording_is_complete() -> None:
    assert len(ODI_SECTION_NAMES) == 10
    assert len(set(ODI_SECTION_NAMES)) == 10
    # STarT Back: eight agree/disagree statements plus the bothersomeness question.
    assert len(STARTBACK_STATEMENTS) == 8
    assert set(BOTHERSOMENESS_LABELS) == set(Bothersomeness)
