"""The rules of a new password (``services.password_policy``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.errors import InvalidInput
from spinestep.services.password_policy import check_new_password, common_passwords, is_common

ALPHABETIC_COMMON = sorted(word for word in common_passwords() if word.isalpha())
NUMERIC_COMMON = sorted(word for word in common_passwords() if word.isdigit())
PADDING = st.text(alphabet="0123456789!?#$%&*.-_@", max_size=12)


def problem(password: str, path: str = "password") -> str:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, path)
    assert refused.value.path == path
    return refused.value.problem


@pytest.mark.parametrize(
    "password",
    [
        "a-long-test-password",
        "correct horse battery staple",
        "Zr8#pW2m!kQ7",
        "tea kettle under the stairs",
        "ünïcödé-pässwörd-42",
    ],
)
def test_accepts_long_uncommon_passwords(password: str) -> None:
    check_new_password(password)


def test_refuses_fewer_than_twelve_characters() -> None:
    assert problem("Zr8#pW2m!kQ") == "must be at least 12 characters"
    check_new_password("Zr8#pW2m!kQ7")


def test_refuses_more_than_1000_characters() -> None:
    assert problem("ab" * 500 + "c") == "must be at most 1000 characters"


def test_refuses_one_character_repeated() -> None:
    assert problem("z" * 20) == "must not be one character repeated"


@pytest.mark.parametrize("password", [" " * 14, "\t" * 12, " \n " * 5])
def test_refuses_only_whitespace(password: str) -> None:
    assert problem(password) == "must not be empty or only spaces"


@pytest.mark.parametrize(
    "password", [" a-long-test-password", "a-long-test-password ", "a-long-test-password\n"]
)
def test_refuses_surrounding_whitespace_instead_of_stripping_it(password: str) -> None:
    assert problem(password, "new_password") == "must not start or end with a space"


def test_keeps_inner_spaces() -> None:
    check_new_password("four words with spaces")


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password2024!",
        "PASSWORD!!!!",
        "2024password",
        "!!iloveyou!!",
        "123456!!!!!!",
        "dragondragon",
        "1234123412341234",
        "qwertyuiop12",
        "trustno1!!!!",
        "Letmein-Letmein-",
    ],
)
def test_refuses_common_passwords_padded_or_repeated(password: str) -> None:
    assert problem(password).startswith("is a common password")


def test_the_message_names_the_field() -> None:
    assert problem("password1234", "new_password").startswith("is a common password")


@given(st.sampled_from(ALPHABETIC_COMMON), PADDING, PADDING, st.booleans())
def test_any_common_word_padded_with_digits_or_symbols_is_refused(
    word: str, before: str, after: str, upper: bool
) -> None:
    password = before + (word.upper() if upper else word) + after
    assert is_common(password)


@given(st.sampled_from(NUMERIC_COMMON), st.text(alphabet="!?#$%&*.-_@", max_size=12))
def test_a_common_number_padded_with_symbols_is_refused(number: str, padding: str) -> None:
    assert is_common(padding + number + padding)


@given(st.sampled_from(ALPHABETIC_COMMON), st.integers(min_value=2, max_value=5))
def test_a_common_word_repeated_is_refused(word: str, times: int) -> None:
    assert is_common(word * times)


def test_a_common_word_that_is_itself_a_repetition_is_refused_repeated() -> None:
    # "bambam" is common and is "bam" twice: four times "bam" is still "bambam" twice.
    assert is_common("bambam") and not is_common("bam")
    assert is_common("bambam" * 2)
    assert is_common("Bambam" * 3 + "!")


def test_the_list_is_the_large_one() -> None:
    assert len(common_passwords()) > 25_000
