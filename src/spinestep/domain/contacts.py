"""Contact details of the care team (the clinic and each clinician): checked and tidied.

Each of phone, e-mail and hours is optional (an empty value means "not given"). Texts
are stored in Unicode NFC, without surrounding whitespace, each run of spaces one
space, and are refused when they hold a control or formatting character (see
``spinestep.domain.text``).

- phone: digits, spaces and ``+ ( ) - . /``, at least 3 digits, at most 40 characters;
- e-mail: ``local@domain`` with a dot in the domain, no spaces, at most 254 characters;
- hours: free text such as "Mon-Fri 8:00-18:00", at most 200 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from spinestep.domain.text import clean_name
from spinestep.errors import InvalidInput

MAX_PHONE_CHARS: Final = 40
MAX_EMAIL_CHARS: Final = 254
MAX_HOURS_CHARS: Final = 200
MIN_PHONE_DIGITS: Final = 3
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """Phone, e-mail and opening hours; None where not given."""

    phone: str | None = None
    email: str | None = None
    hours: str | None = None

    @property
    def empty(self) -> bool:
        return self.phone is None and self.email is None and self.hours is None

    @property
    def phone_link(self) -> str | None:
        """The phone number for a ``tel:`` link: the ``+`` and the digits only."""
        if self.phone is None:
            return None
        return "".join(c for c in self.phone if c.isdigit() or c == "+")


def check_contact_details(
    phone: str | None, email: str | None, hours: str | None, path: str = ""
) -> ContactDetails:
    """Tidy and check one set of contact details; InvalidInput names the field."""
    prefix = f"{path}." if path else ""
    return ContactDetails(
        phone=_phone(phone, f"{prefix}phone"),
        email=_email(email, f"{prefix}email"),
        hours=_optional(hours, f"{prefix}hours", MAX_HOURS_CHARS),
    )


def _optional(value: str | None, path: str, max_chars: int) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_name(value, path, max_chars=max_chars)


def _phone(value: str | None, path: str) -> str | None:
    text = _optional(value, path, MAX_PHONE_CHARS)
    if text is None:
        return None
    digits = sum(c.isdigit() for c in text)
    if not _PHONE.match(text) or not text.isascii() or digits < MIN_PHONE_DIGITS:
        raise InvalidInput(
            path, "must be a phone number: digits, spaces and + ( ) - . / (at least 3 digits)"
        )
    return text


def _email(value: str | None, path: str) -> str | None:
    text = _optional(value, path, MAX_EMAIL_CHARS)
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise InvalidInput(path, "must be an e-mail address such as reception@clinic.example")
    return text
