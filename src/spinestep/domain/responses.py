"""Derived McKenzie responses of one session (SPEC §3.2) and whether it qualifies.

Every function here is total on a valid ``SessionRecord``: pain scores 0-10 and the
six locations always map to exactly one response.
"""

from __future__ import annotations

from spinestep.domain.model import (
    AfterResponse,
    DuringResponse,
    Effort,
    Location,
    LocationResponse,
    Responses,
    SessionRecord,
)

_QUALIFYING_DURING = frozenset(
    {DuringResponse.NO_EFFECT, DuringResponse.DECREASED, DuringResponse.ABOLISHED}
)
_PAIN_RAISED_DURING = frozenset({DuringResponse.PRODUCED, DuringResponse.INCREASED})
_PAIN_EASED_DURING = frozenset({DuringResponse.DECREASED, DuringResponse.ABOLISHED})


def during_response(pain_before: int, pain_during: int) -> DuringResponse:
    """How the worst pain during the exercise compares with the pain before it."""
    if pain_during == pain_before:
        return DuringResponse.NO_EFFECT
    if pain_before == 0:
        return DuringResponse.PRODUCED
    if pain_during > pain_before:
        return DuringResponse.INCREASED
    if pain_during == 0:
        return DuringResponse.ABOLISHED
    return DuringResponse.DECREASED


def after_response(pain_before: int, pain_after: int, during: DuringResponse) -> AfterResponse:
    """How the pain about five minutes after compares with the pain before."""
    if pain_after < pain_before:
        return AfterResponse.BETTER
    if pain_after > pain_before:
        return AfterResponse.WORSE
    if during in _PAIN_RAISED_DURING:
        return AfterResponse.NO_WORSE
    if during in _PAIN_EASED_DURING:
        return AfterResponse.NO_BETTER
    return AfterResponse.NO_EFFECT


def location_response(location_before: Location, location_after: Location) -> LocationResponse:
    """Whether the symptoms spread further out (peripheralised) or retreated (centralised)."""
    if location_after > location_before and location_after >= Location.BUTTOCK:
        return LocationResponse.PERIPHERALISED
    if location_after < location_before and location_before >= Location.BUTTOCK:
        return LocationResponse.CENTRALISED
    return LocationResponse.UNCHANGED


def derive_responses(session: SessionRecord) -> Responses:
    """The three derived responses of one session."""
    during = during_response(session.pain_before, session.pain_during)
    return Responses(
        during=during,
        after=after_response(session.pain_before, session.pain_after, during),
        location=location_response(session.location_before, session.location_after),
    )


def is_worse(session: SessionRecord) -> bool:
    """Pain about five minutes after is higher than before (after response ``worse``)."""
    return session.pain_after > session.pain_before


def is_peripheralised(session: SessionRecord) -> bool:
    return (
        location_response(session.location_before, session.location_after)
        is LocationResponse.PERIPHERALISED
    )


def qualifies(
    session: SessionRecord,
    progress_max_pain: int = 2,
    progress_max_location: Location = Location.BACK,
) -> bool:
    """Easy and painless (SPEC §3.2): completed, effort easy, pain not produced or
    increased during, not worse after, not peripheralised, pain during and after at most
    ``progress_max_pain``, and symptoms before and after reaching no further than
    ``progress_max_location``. Low steady pain still qualifies; leg symptoms do not
    unless the clinician allowed them.
    """
    if not session.completed or session.effort is not Effort.EASY:
        return False
    if during_response(session.pain_before, session.pain_during) not in _QUALIFYING_DURING:
        return False
    if max(session.pain_during, session.pain_after) > progress_max_pain:
        return False
    if max(session.location_before, session.location_after) > progress_max_location:
        return False
    return not is_worse(session) and not is_peripheralised(session)
