"""The clinician's list shows, and sorts by, the one 7-day adherence (SPEC §3.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spinestep.services import accounts, dashboard, programme
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.dashboard import Attention
from spinestep.services.records import Role
from tests.services.support import easy, onboard, screened_session

INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)
ONBOARDED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # London is on UTC: local = UTC


def test_falling_adherence_comes_first_and_every_number_is_the_same(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    user = accounts.create_user(
        ctx, INSTALLER, "physio@clinic.example", "Pat Physio", Role.CLINICIAN, "a-long-password"
    )
    doctor = Actor.for_user(user)
    clock.set(ONBOARDED)
    steady = onboard(
        ctx, doctor, time_zone="Europe/London", clinician_id=user.id, self_managed=False
    )
    lapsing = onboard(
        ctx, doctor, time_zone="Europe/London", clinician_id=user.id, self_managed=False
    )
    for day in range(27, 34):  # 27 Nov - 3 Dec
        first = datetime(2026, 11, 1, 8, 0, tzinfo=UTC) + timedelta(days=day - 1)
        for hours in (0, 4, 8):  # three a day
            clock.set(first + timedelta(hours=hours))
            screened_session(ctx, doctor, steady, easy())
        clock.set(first + timedelta(hours=1))
        screened_session(ctx, doctor, lapsing, easy())  # one a day
    clock.set(datetime(2026, 12, 3, 20, 0, tzinfo=UTC))

    rows = dashboard.attention_list(ctx, doctor)
    # All 7 days count (onboarded 23 Nov), 5 planned a day = 35: 21 done is 60 %, 7 is 20 %.
    assert [(r.patient_id, r.adherence_7d_percent) for r in rows] == [(lapsing, 20), (steady, 60)]
    assert rows[0].attention is Attention.FALLING_ADHERENCE
    assert rows[1].attention is Attention.NONE
    for row in rows:
        today = programme.today(ctx, doctor, row.patient_id)
        assert today.adherence is not None
        assert today.adherence.percent == row.adherence_7d_percent


def test_a_new_patient_is_not_called_falling_on_their_first_days(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    user = accounts.create_user(
        ctx, INSTALLER, "gp@clinic.example", "Gil GP", Role.CLINICIAN, "a-long-password"
    )
    doctor = Actor.for_user(user)
    clock.set(ONBOARDED)
    onboard(ctx, doctor, time_zone="Europe/London", clinician_id=user.id, self_managed=False)
    clock.set(ONBOARDED + timedelta(days=1))
    (row,) = dashboard.attention_list(ctx, doctor)
    # Two days count (23 and 24 Nov), nothing done: 0 %, but too early to call it falling.
    assert row.adherence_7d_percent == 0
    assert row.attention is Attention.NONE
