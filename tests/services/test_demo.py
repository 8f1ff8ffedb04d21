"""The demo clinic tells the same story a real patient's Today would (SPEC §3.5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from spinestep.domain.model import Decision, Phase
from spinestep.services import programme
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.demo import build_demo
from spinestep.services.views import TodayView
from spinestep.store import open_store


class PlainHasher:
    """A fake hasher: the demo's accounts are not signed in to here."""

    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


@pytest.fixture(
    params=[
        datetime(2026, 12, 3, 7, 0, tzinfo=UTC),  # before the day's first session slot
        datetime(2026, 12, 3, 20, 0, tzinfo=UTC),  # after the day's flag time
    ],
    ids=["morning", "evening"],
    scope="module",
)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TodayView]]:
    folder = tmp_path_factory.mktemp("demo")
    engine, uow = open_store(f"sqlite:///{folder / 'demo.db'}")
    clock = FixedClock(request.param)
    build_demo(uow, PlainHasher(), clock)
    ctx = ServiceContext(uow=uow, clock=clock)
    local = Actor.local_person()
    with uow() as unit:
        patients = unit.patients.list_all()
    yield {p.display_name.split()[0]: programme.today(ctx, local, p.id or 0) for p in patients}
    engine.dispose()


def test_the_patient_with_an_emergency_flag_sees_the_emergency(
    demo: dict[str, TodayView],
) -> None:
    farid = demo["Farid"]
    assert farid.paused and not farid.can_exercise
    assert farid.open_red_flags == ("new_bladder_dysfunction",)
    assert farid.last_decision is not None
    assert farid.last_decision.decision is Decision.EMERGENCY  # the newest decision
    assert farid.pause_decision == farid.last_decision
    assert farid.emergency
    assert "Carry on" not in (farid.current_decision.message if farid.current_decision else "")


def test_no_open_flag_or_pause_is_told_to_carry_on(demo: dict[str, TodayView]) -> None:
    for name, today in demo.items():
        if today.open_red_flags or today.paused:
            assert today.paused, name
            assert today.pause_decision is not None, name
            assert today.pause_decision.pauses_programme, name
            current = today.current_decision
            assert current is None or current.pauses_programme, name
        else:
            assert today.pause_decision is None, name


def test_the_demo_stories_hold(demo: dict[str, TodayView]) -> None:
    alice = demo["Alice"]
    assert alice.phase is Phase.MAINTENANCE
    assert (alice.stage, alice.dose.sessions_per_day) == (1, 2)
    assert demo["Chloe"].stage == 1  # regressed from stage 2
    assert demo["Dev"].pause_decision is not None
    assert demo["Dev"].pause_decision.decision is Decision.STOP
    assert demo["Grace"].pause_decision is not None
    assert demo["Grace"].pause_decision.decision is Decision.URGENT_REFERRAL
    assert demo["Hugo"].pause_decision is not None
    assert demo["Hugo"].pause_decision.decision is Decision.CLINICIAN_REVIEW
    assert not demo["Iris"].clearance
    assert demo["Iris"].adherence is not None and demo["Iris"].adherence.percent is None
    kate = demo["Kate"]
    assert not kate.paused and kate.can_exercise
    jon = demo["Jon"]
    # Jon: one session a day on 4 of the last 7 days, 5 planned a day: 4 / 35 = 11 %.
    assert jon.adherence is not None and jon.adherence.percent == 11
