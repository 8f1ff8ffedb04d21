"""A local day holds at most 3 × sessions_per_day + 5 sessions; stop now has its own cap,
twice as large, so a real stop is always recorded while a flood is still bounded."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from spinestep.domain.model import Location
from spinestep.errors import SessionLimitReached
from spinestep.protocols import load_builtin
from spinestep.services import sessions
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.sessions import StopNowInput
from tests.services.conftest import START
from tests.services.support import easy, onboard, screen
from tests.support.stored import add_easy_session_and_stay

PER_DAY = load_builtin("lumbar-flexion").stage(1).dose.sessions_per_day
CAP = 3 * PER_DAY + 5
STOP_CAP = 2 * CAP
ROUNDS = 6
RACERS = 8
LEFT_BEFORE_RACE = 3
STEADY = StopNowInput(
    pain_before=1, pain_now=1, location_before=Location.BACK, location_now=Location.BACK
)


def _fill(ctx: ServiceContext, patient_id: int, count: int, last: datetime) -> None:
    """``count`` sessions stored straight away, one minute apart, the last at ``last``."""
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
        assert assignment is not None and assignment.id is not None
        for index in range(count):
            at = last - timedelta(minutes=count - 1 - index)
            add_easy_session_and_stay(uow, patient_id, assignment.id, at, (1, 1, 1), "stay")
        uow.commit()


def _count(ctx: ServiceContext, patient_id: int) -> int:
    with ctx.uow() as uow:
        return len(uow.sessions.for_patient(patient_id))


def test_a_full_day_refuses_the_next_session(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    _fill(ctx, patient_id, CAP, START - timedelta(minutes=30))  # 07:30 in Auckland
    screen(ctx, me, patient_id)
    with pytest.raises(SessionLimitReached) as refused:
        sessions.record_session(ctx, me, patient_id, easy())
    assert refused.value.exit_code == 9
    assert _count(ctx, patient_id) == CAP


def test_a_day_below_the_cap_takes_one_more(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    _fill(ctx, patient_id, CAP - 1, START - timedelta(minutes=30))
    screen(ctx, me, patient_id)
    sessions.record_session(ctx, me, patient_id, easy())
    assert _count(ctx, patient_id) == CAP


def test_the_cap_counts_the_patients_own_local_day(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)  # Auckland: START is 08:00 on 21 November there
    _fill(ctx, patient_id, CAP, START - timedelta(hours=8, minutes=1))  # 23:59 on the 20th
    screen(ctx, me, patient_id)
    sessions.record_session(ctx, me, patient_id, easy())
    assert _count(ctx, patient_id) == CAP + 1


def test_a_session_given_a_time_is_counted_on_that_day(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    yesterday = START - timedelta(hours=9)  # 23:00 on 20 November in Auckland
    _fill(ctx, patient_id, CAP, yesterday)
    screen(ctx, me, patient_id)
    with pytest.raises(SessionLimitReached):
        sessions.record_session(ctx, me, patient_id, easy(at=yesterday + timedelta(seconds=30)))


def test_stop_now_is_taken_past_the_ordinary_cap(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    _fill(ctx, patient_id, CAP, START - timedelta(minutes=30))
    sessions.stop_now(ctx, me, patient_id, STEADY)
    assert _count(ctx, patient_id) == CAP + 1


def test_stop_now_has_its_own_larger_cap(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    _fill(ctx, patient_id, STOP_CAP, START - timedelta(minutes=30))
    with pytest.raises(SessionLimitReached):
        sessions.stop_now(ctx, me, patient_id, STEADY)
    assert _count(ctx, patient_id) == STOP_CAP


def _race_stop_nows(
    ctx: ServiceContext, me: Actor, patient_id: int
) -> tuple[list[SessionLimitReached], list[BaseException]]:
    """``RACERS`` stop-nows released at once; what was refused, and anything unexpected."""
    barrier = threading.Barrier(RACERS)
    refused: list[SessionLimitReached] = []
    unexpected: list[BaseException] = []

    def stop() -> None:
        barrier.wait()
        try:
            sessions.stop_now(ctx, me, patient_id, STEADY)
        except SessionLimitReached as error:
            refused.append(error)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            unexpected.append(error)

    threads = [threading.Thread(target=stop) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a racing stop now never finished"
    return refused, unexpected


def test_racing_stop_nows_never_pass_the_cap_together(ctx: ServiceContext, me: Actor) -> None:
    for _ in range(ROUNDS):
        patient_id = onboard(ctx, me)
        _fill(ctx, patient_id, STOP_CAP - LEFT_BEFORE_RACE, START - timedelta(minutes=30))
        refused, unexpected = _race_stop_nows(ctx, me, patient_id)
        assert unexpected == []
        assert len(refused) == RACERS - LEFT_BEFORE_RACE
        assert _count(ctx, patient_id) == STOP_CAP
