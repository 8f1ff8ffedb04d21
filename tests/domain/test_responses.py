"""Derived McKenzie responses (SPEC §3.2), worked out by hand, plus totality."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.model import (
    AfterResponse,
    DuringResponse,
    Effort,
    Location,
    LocationResponse,
    SessionRecord,
)
from spinestep.domain.responses import (
    after_response,
    derive_responses,
    during_response,
    location_response,
    qualifies,
)

AT = datetime(2026, 11, 20, 8, tzinfo=UTC)


def session(
    before: int,
    during: int,
    after: int,
    loc_before: Location = Location.BACK,
    loc_after: Location = Location.BACK,
    effort: Effort = Effort.EASY,
    completed: bool = True,
) -> SessionRecord:
    return SessionRecord(
        at=AT,
        stage=1,
        effort=effort,
        pain_before=before,
        pain_during=during,
        pain_after=after,
        location_before=loc_before,
        location_after=loc_after,
        completed=completed,
    )


@pytest.mark.parametrize(
    ("before", "during", "expected"),
    [
        (0, 0, DuringResponse.NO_EFFECT),
        (4, 4, DuringResponse.NO_EFFECT),
        (0, 1, DuringResponse.PRODUCED),
        (0, 10, DuringResponse.PRODUCED),
        (1, 2, DuringResponse.INCREASED),
        (3, 9, DuringResponse.INCREASED),
        (5, 4, DuringResponse.DECREASED),
        (2, 1, DuringResponse.DECREASED),
        (1, 0, DuringResponse.ABOLISHED),
        (10, 0, DuringResponse.ABOLISHED),
    ],
)
def test_during_response(before: int, during: int, expected: DuringResponse) -> None:
    assert during_response(before, during) is expected


@pytest.mark.parametrize(
    ("before", "during", "after", "expected"),
    [
        (3, 3, 2, AfterResponse.BETTER),
        (3, 5, 2, AfterResponse.BETTER),
        (3, 3, 4, AfterResponse.WORSE),
        (3, 0, 4, AfterResponse.WORSE),
        (0, 2, 0, AfterResponse.NO_WORSE),  # produced during, back to baseline after
        (2, 4, 2, AfterResponse.NO_WORSE),  # increased during
        (4, 2, 4, AfterResponse.NO_BETTER),  # decreased during
        (4, 0, 4, AfterResponse.NO_BETTER),  # abolished during
        (3, 3, 3, AfterResponse.NO_EFFECT),
        (0, 0, 0, AfterResponse.NO_EFFECT),
    ],
)
def test_after_response(before: int, during: int, after: int, expected: AfterResponse) -> None:
    assert after_response(before, after, during_response(before, during)) is expected


@pytest.mark.parametrize(
    ("loc_before", "loc_after", "expected"),
    [
        ("back", "buttock", LocationResponse.PERIPHERALISED),
        ("thigh", "foot", LocationResponse.PERIPHERALISED),
        ("none", "below_knee", LocationResponse.PERIPHERALISED),
        ("none", "back", LocationResponse.UNCHANGED),  # further, but not as far as the buttock
        ("thigh", "buttock", LocationResponse.CENTRALISED),
        ("buttock", "back", LocationResponse.CENTRALISED),
        ("foot", "none", LocationResponse.CENTRALISED),
        ("back", "none", LocationResponse.UNCHANGED),  # nearer, but started above the buttock
        ("thigh", "thigh", LocationResponse.UNCHANGED),
        ("none", "none", LocationResponse.UNCHANGED),
    ],
)
def test_location_response(loc_before: str, loc_after: str, expected: LocationResponse) -> None:
    assert (
        location_response(Location.from_code(loc_before), Location.from_code(loc_after)) is expected
    )


def test_spec_example_session() -> None:
    responses = derive_responses(session(3, 3, 2, Location.THIGH, Location.BUTTOCK))
    assert responses.to_json() == {
        "during": "no_effect",
        "after": "better",
        "location": "centralised",
    }


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (session(2, 2, 2), True),  # low steady pain still qualifies
        (session(1, 1, 1), True),
        (session(3, 2, 2), True),  # decreased during; pain before may be above the limit
        (session(3, 0, 1), True),  # abolished during
        (session(8, 0, 0), True),
        (session(2, 1, 2), True),  # decreased during, no better after
        (session(0, 0, 0, Location.NONE, Location.BACK), True),
        (session(0, 0, 0, Location.NONE, Location.NONE), True),
        (session(1, 1, 1, Location.BACK, Location.NONE), True),
        (session(3, 3, 3), False),  # steady, but above progress_max_pain
        (session(4, 2, 4), False),  # pain after above progress_max_pain
        (session(8, 8, 8, Location.BELOW_KNEE, Location.BELOW_KNEE), False),
        (session(1, 1, 1, Location.BUTTOCK, Location.BUTTOCK), False),  # beyond the back
        (session(1, 1, 1, Location.THIGH, Location.BACK), False),  # centralised, began in leg
        (session(1, 1, 1, Location.BACK, Location.THIGH), False),
        (session(2, 2, 2, effort=Effort.MODERATE), False),
        (session(2, 2, 2, effort=Effort.HARD), False),
        (session(2, 2, 2, completed=False), False),  # a stop-now session never qualifies
        (session(0, 1, 0), False),  # produced during
        (session(1, 2, 1), False),  # increased during
        (session(1, 1, 2), False),  # worse after
        (session(1, 1, 1, Location.BACK, Location.BUTTOCK), False),  # peripheralised
    ],
)
def test_qualifies_with_the_default_limits(record: SessionRecord, expected: bool) -> None:
    assert qualifies(record) is expected
    assert qualifies(record, 2, Location.BACK) is expected


@pytest.mark.parametrize(
    ("record", "max_pain", "max_location", "expected"),
    [
        (session(3, 3, 3), 3, Location.BACK, True),
        (session(4, 3, 3), 3, Location.BACK, True),
        (session(4, 4, 3), 3, Location.BACK, False),  # during above the limit
        (session(3, 3, 3), 10, Location.BACK, True),
        (session(1, 1, 1), 0, Location.BACK, False),
        (session(0, 0, 0), 0, Location.BACK, True),
        (session(1, 0, 0), 0, Location.BACK, True),
        (session(1, 1, 1, Location.BELOW_KNEE, Location.BELOW_KNEE), 2, Location.BELOW_KNEE, True),
        (session(1, 1, 1, Location.FOOT, Location.BELOW_KNEE), 2, Location.BELOW_KNEE, False),
        (session(1, 1, 1, Location.BELOW_KNEE, Location.FOOT), 2, Location.FOOT, False),  # periph.
        (session(1, 1, 1, Location.FOOT, Location.FOOT), 2, Location.FOOT, True),
        (session(1, 1, 1, Location.THIGH, Location.BUTTOCK), 2, Location.THIGH, True),
        (session(1, 1, 1, Location.BACK, Location.BACK), 2, Location.NONE, False),
        (session(1, 1, 1, Location.NONE, Location.NONE), 2, Location.NONE, True),
        (
            session(1, 1, 1, Location.THIGH, Location.THIGH, completed=False),
            10,
            Location.FOOT,
            False,
        ),
    ],
)
def test_qualifies_with_the_clinicians_limits(
    record: SessionRecord, max_pain: int, max_location: Location, expected: bool
) -> None:
    assert qualifies(record, max_pain, max_location) is expected


pain = st.integers(min_value=0, max_value=10)
locations = st.sampled_from(list(Location))


@given(
    pain,
    pain,
    pain,
    locations,
    locations,
    st.sampled_from(list(Effort)),
    st.booleans(),
    pain,
    locations,
)
def test_derived_responses_are_total_and_consistent(
    before: int,
    during: int,
    after: int,
    loc_before: Location,
    loc_after: Location,
    effort: Effort,
    completed: bool,
    max_pain: int,
    max_location: Location,
) -> None:
    record = session(before, during, after, loc_before, loc_after, effort, completed)
    responses = derive_responses(record)
    assert isinstance(responses.during, DuringResponse)
    assert isinstance(responses.after, AfterResponse)
    assert isinstance(responses.location, LocationResponse)
    assert (responses.after is AfterResponse.WORSE) == (after > before)
    assert (responses.after is AfterResponse.BETTER) == (after < before)
    assert (responses.during is DuringResponse.NO_EFFECT) == (during == before)
    if responses.location is LocationResponse.PERIPHERALISED:
        assert loc_after > loc_before
    if qualifies(record, max_pain, max_location):
        assert completed and effort is Effort.EASY
        assert during <= before and after <= before
        assert during <= max_pain and after <= max_pain
        assert loc_before <= max_location and loc_after <= max_location
        assert responses.location is not LocationResponse.PERIPHERALISED
        # Raising a limit never takes qualifying away.
        assert qualifies(record, max(max_pain, 10), Location.FOOT)
    if qualifies(record, max_pain, max_location) is False and qualifies(record, 10, Location.FOOT):
        assert max(during, after) > max_pain or max(loc_before, loc_after) > max_location
