"""Idempotency keys on record_session and stop_now (SPEC §3.5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spinestep.domain.model import Decision, Location
from spinestep.errors import InvalidInput, ProgrammePaused, ScreeningRequired
from spinestep.services import screening, sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.sessions import StopNowInput
from tests.services.support import easy, onboard

SPREADING = StopNowInput(3, 6, Location.THIGH, Location.FOOT)
STEADY = StopNowInput(2, 2, Location.BACK, Location.BACK)


def _screen(ctx: ServiceContext, me: Actor, patient_id: int) -> None:
    questions = screening.session_questions(ctx, me, patient_id)
    screening.record_screening(ctx, me, patient_id, {q.code: False for q in questions})


def _count(ctx: ServiceContext, patient_id: int) -> tuple[int, int]:
    with ctx.uow() as uow:
        return (
            len(uow.sessions.for_patient(patient_id)),
            len(uow.decisions.for_patient(patient_id)),
        )


def test_a_repeated_key_returns_the_first_answer_after_the_programme_paused(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    _screen(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(minutes=1))
    first = sessions.record_session(ctx, me, patient_id, easy(), idempotency_key="s-1")
    assert not first.replayed
    clock.set(clock.now() + timedelta(minutes=1))
    stopped = sessions.stop_now(ctx, me, patient_id, SPREADING, idempotency_key="stop-1")
    assert stopped.decision.decision is Decision.STOP and stopped.paused
    assert _count(ctx, patient_id) == (2, 2)
    clock.set(clock.now() + timedelta(minutes=1))
    # Paused now: a new session is refused, but the retry of the first gets its answer.
    with pytest.raises(ProgrammePaused):
        sessions.record_session(ctx, me, patient_id, easy(), idempotency_key="s-2")
    again = sessions.record_session(ctx, me, patient_id, easy(), idempotency_key="s-1")
    assert again.replayed
    assert (again.session.id, again.decision.id) == (first.session.id, first.decision.id)
    assert (again.stage_before, again.stage_after, again.paused) == (1, 1, False)
    stop_again = sessions.stop_now(ctx, me, patient_id, SPREADING, idempotency_key="stop-1")
    assert stop_again.session.id == stopped.session.id and stop_again.paused
    assert _count(ctx, patient_id) == (2, 2)


def test_a_refused_request_does_not_use_up_its_key(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy(), idempotency_key="k")
    assert _count(ctx, patient_id) == (0, 0)
    _screen(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(minutes=1))
    stored = sessions.record_session(ctx, me, patient_id, easy(), idempotency_key="k")
    assert not stored.replayed
    assert _count(ctx, patient_id) == (1, 1)


def test_the_same_key_for_two_patients_is_two_keys(ctx: ServiceContext, me: Actor) -> None:
    ann = onboard(ctx, me)
    bo = onboard(ctx, me)
    one = sessions.stop_now(ctx, me, ann, STEADY, idempotency_key="shared")
    two = sessions.stop_now(ctx, me, bo, STEADY, idempotency_key="shared")
    assert one.session.id != two.session.id
    assert _count(ctx, ann) == _count(ctx, bo) == (1, 1)


@pytest.mark.parametrize("key", ["", "x" * 101, "naïve", "line\nbreak", "\x7f"])
def test_a_malformed_key_is_invalid_input_and_nothing_is_stored(
    ctx: ServiceContext, me: Actor, key: str
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput, match="1-100 printable ASCII") as raised:
        sessions.stop_now(ctx, me, patient_id, STEADY, idempotency_key=key)
    assert raised.value.path == "idempotency_key"
    assert _count(ctx, patient_id) == (0, 0)


@pytest.mark.parametrize("key", [" ", "~" * 100, "0123-abcd ABCD_!?"])
def test_printable_ascii_keys_up_to_100_characters_are_accepted(
    ctx: ServiceContext, me: Actor, key: str
) -> None:
    patient_id = onboard(ctx, me)
    sessions.stop_now(ctx, me, patient_id, STEADY, idempotency_key=key)
    assert _count(ctx, patient_id) == (1, 1)
