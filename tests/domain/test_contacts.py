"""Care-team contact details: checked, tidied, bounded."""

from __future__ import annotations

import pytest

from spinestep.domain.contacts import check_contact_details
from spinestep.errors import InvalidInput


def test_details_are_tidied_and_empty_ones_left_out() -> None:
    details = check_contact_details("  +44 (0)20 7946-0000 ", "", "Mon\u00a0-\u00a0Fri  8-18")
    assert details.phone == "+44 (0)20 7946-0000"
    assert details.email is None
    assert details.hours == "Mon - Fri 8-18"
    assert details.phone_link == "+440207946000" + "0"


def test_nothing_given_is_empty() -> None:
    details = check_contact_details(None, " ", None)
    assert details.empty
    assert details.phone_link is None


@pytest.mark.parametrize(
    ("phone", "email", "hours", "path"),
    [
        ("call me", None, None, "phone"),
        ("12", None, None, "phone"),
        ("+1 555 0100 " + "1" * 40, None, None, "phone"),
        ("٠١٢٣٤٥", None, None, "phone"),
        (None, "not an address", None, "email"),
        (None, "a@b", None, "email"),
        (None, "a b@clinic.example", None, "email"),
        (None, "x" * 250 + "@clinic.example", None, "email"),
        (None, None, "9-5\x1b[2J", "hours"),
        (None, None, "9-5\u202e", "hours"),
        (None, None, "x" * 201, "hours"),
    ],
)
def test_bad_details_are_refused_naming_the_field(
    phone: str | None, email: str | None, hours: str | None, path: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_contact_details(phone, email, hours, "clinic")
    assert caught.value.path == f"clinic.{path}"


def test_an_email_in_nfc_is_kept() -> None:
    details = check_contact_details(None, "re\u0301ception@clinic.example", None)
    assert details.email == "r\u00e9ception@clinic.example"
