"""What a new password must be, the same on every page, the API and the CLI.

A password is taken exactly as typed: nothing is stripped or normalised, at sign-in or
when it is set. A new password must:

- have 12 to 1000 characters;
- not start or end with whitespace (a space copied by accident would otherwise lock the
  person out later), and not be all whitespace;
- not be one character repeated;
- not contain NUL;
- not be a common password. The list is zxcvbn's 30,000 most frequent leaked passwords
  (all lower case). The comparison ignores case, and also refuses:

  * a common password padded with digits or symbols on either side: the password with
    its leading and trailing non-alphanumeric characters removed, and again with its
    leading and trailing non-letters removed, is looked up (``Password2024!`` →
    ``password``; ``123456!!!!!!`` → ``123456``);
  * a repetition of a common password or of such a padded one (``dragondragon``,
    ``1234123412341234``).

  Cores shorter than four characters are not looked up (no entry of the list is), so a
  long random string that happens to contain one letter is not refused.
"""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from spinestep.errors import InvalidInput

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1000
_SHORTEST_LOOKUP = 4


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _strip_where(text: str, letters_only: bool = False) -> str:
    """``text`` without leading/trailing characters that are not alphanumeric (or letters)."""
    start, end = 0, len(text)

    def kept(char: str) -> bool:
        return char.isalpha() if letters_only else char.isalnum()

    while start < end and not kept(text[start]):
        start += 1
    while end > start and not kept(text[end - 1]):
        end -= 1
    return text[start:end]


def _repeated_units(text: str) -> set[str]:
    """Every ``unit`` with ``text == unit * k`` for some k ≥ 2 ("bambam" * 2 gives "bam"
    and "bambam"); empty when ``text`` is not a repetition."""
    length = len(text)
    return {
        text[:size]
        for size in range(1, length // 2 + 1)
        if length % size == 0 and text[:size] * (length // size) == text
    }


def _candidates(password: str) -> set[str]:
    lowered = password.lower()
    cores = {lowered, _strip_where(lowered), _strip_where(lowered, letters_only=True)}
    found = set(cores)
    for core in cores:
        for unit in _repeated_units(core):
            found |= {unit, _strip_where(unit), _strip_where(unit, letters_only=True)}
    return {word for word in found if len(word) >= _SHORTEST_LOOKUP}


def is_common(password: str) -> bool:
    """Whether ``password`` is, or is padded or repeated from, a common password."""
    return not _candidates(password).isdisjoint(common_passwords())


def check_new_password(password: str, path: str = "password") -> None:
    """Raise ``InvalidInput`` naming ``path`` when ``password`` may not be set."""
    if "\x00" in password:
        raise InvalidInput(path, "contains characters that are not allowed")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(path, f"must be at most {MAX_PASSWORD_CHARS} characters")
    if password.strip() == "":
        raise InvalidInput(path, "must not be empty or only spaces")
    if password != password.strip():
        raise InvalidInput(path, "must not start or end with a space")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(path, f"must be at least {MIN_PASSWORD_CHARS} characters")
    if len(set(password)) == 1:
        raise InvalidInput(path, "must not be one character repeated")
    if is_common(password):
        raise InvalidInput(
            path,
            "is a common password (or one with digits or symbols added); "
            "choose another, e.g. three or four unrelated words",
        )
