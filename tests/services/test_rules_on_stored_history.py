"""The rules run on stored history (services.deciding), on SQLite and PostgreSQL.

The services read only the tail of the history the rules walk over; these tests check
that the decision on that tail is the decision on the whole history, that the stored
input replays to the same decision (SPEC §3.5: any past decision can be explained), and
that stage and phase changes start a new run and enter maintenance as SPEC §3.3 says.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from spinestep.domain.decide_request import in_time_order, parse_decide_request
from spinestep.domain.model import Decision, Effort, Location, Phase, RuleSettings
from spinestep.domain.rules import RULES_VERSION, decide
from spinestep.protocols import builtin_protocols
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.deciding import (
    build_input,
    current_dose,
    input_snapshot,
    run_rules,
    session_record,
)
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import EventKind, ProgrammeStatus, StoredSession
from tests.services.support import onboard

DAY0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def add_session(
    uow: UnitOfWork,
    patient_id: int,
    assignment_id: int,
    at: datetime,
    stage: int,
    pain: tuple[int, int, int] = (1, 1, 1),
    location: Location = Location.BACK,
    effort: Effort = Effort.EASY,
) -> None:
    uow.sessions.add(
        StoredSession(
            patient_id=patient_id,
            assignment_id=assignment_id,
            at=at,
            stage=stage,
            completed=True,
            effort=effort,
            pain_before=pain[0],
            pain_during=pain[1],
            pain_after=pain[2],
            location_before=location,
            location_after=location,
            created_at=at,
            reps=10,
        )
    )


def programme(uow: UnitOfWork, patient_id: int) -> tuple[int, int]:
    assignment = uow.assignments.current_for(patient_id)
    assert assignment is not None and assignment.id is not None
    return patient_id, assignment.id


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tail_read_decides_as_the_whole_history_would(
    ctx: ServiceContext, me: Actor, seed: int
) -> None:
    patient_id = onboard(ctx, me, time_zone="UTC")
    rng = random.Random(seed)
    count = 240
    with ctx.uow() as uow:
        _, assignment_id = programme(uow, patient_id)
        at = DAY0
        for _ in range(count):
            at += timedelta(hours=rng.choice((2, 3, 3, 3, 14)))
            before = rng.randint(0, 4)
            add_session(
                uow,
                patient_id,
                assignment_id,
                at,
                stage=1,
                pain=(before, max(0, before - rng.randint(0, 1)), before + rng.choice((0, 0, 1))),
                location=rng.choice((Location.NONE, Location.BACK, Location.BACK)),
                effort=rng.choice((Effort.EASY, Effort.EASY, Effort.MODERATE)),
            )
        uow.commit()

    with ctx.uow() as uow:
        patient = uow.patients.get(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        assert patient is not None and assignment is not None
        inp = build_input(uow, patient, assignment)
        whole = in_time_order(
            session_record(entry) for entry in uow.sessions.for_patient(patient_id)
        )
    assert len(whole) == count
    assert 3 <= len(inp.sessions) < count  # only a tail is read
    assert inp.sessions == whole[-len(inp.sessions) :]
    assert decide(inp) == decide(replace(inp, sessions=whole))

    # The stored snapshot is a valid `spinestep decide` request that decides the same.
    snapshot = json.loads(json.dumps(input_snapshot(inp)["request"]))
    replayed = decide(parse_decide_request(snapshot, builtin_protocols()))
    assert replayed.to_json() == decide(inp).to_json()
    assert replayed.rules_version == RULES_VERSION == "2026.12-1"


def test_a_long_run_is_read_far_enough_to_suggest_a_review(ctx: ServiceContext, me: Actor) -> None:
    """Five moderate sessions a day for 15 days: the run covers 14 dates, so R9 asks for a
    review (urgency routine) — the service must read past its first batch to see that.
    """
    patient_id = onboard(ctx, me, time_zone="UTC")
    with ctx.uow() as uow:
        _, assignment_id = programme(uow, patient_id)
        for day in range(15):
            for slot in range(5):
                at = DAY0 + timedelta(days=day, hours=3 * slot)
                add_session(uow, patient_id, assignment_id, at, 1, effort=Effort.MODERATE)
        uow.commit()
    with ctx.uow() as uow:
        patient = uow.patients.get(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        assert patient is not None and assignment is not None
        result = decide(build_input(uow, patient, assignment))
    assert result.decision is Decision.STAY
    assert result.urgency.value == "routine"
    assert result.reasons[0].rule == "R9"


def test_progress_starts_a_new_run_and_the_final_stage_enters_maintenance(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    settings = RuleSettings(progress_after_sessions=2, min_days_at_stage=2)
    patient_id = onboard(ctx, me, time_zone="UTC", start_stage=3, settings=settings)
    start = clock.now()
    with ctx.uow() as uow:
        _, assignment_id = programme(uow, patient_id)
        # Two easy, painless stage-3 sessions 20 hours apart on two dates: R8 -> maintain.
        add_session(uow, patient_id, assignment_id, start - timedelta(hours=22), 3)
        add_session(uow, patient_id, assignment_id, start - timedelta(hours=2), 3)
        patient = uow.patients.get(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        assert patient is not None and assignment is not None
        stored = run_rules(uow, ctx.clock, me, patient, assignment)
        uow.commit()
    assert stored.decision is Decision.MAINTAIN
    assert stored.phase is Phase.MAINTENANCE
    assert stored.next_stage == 1  # lumbar-flexion's maintenance stage
    assert stored.dose is not None and stored.dose["sessions_per_day"] == 2

    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
        assert assignment is not None
        events = uow.events.for_patient(patient_id)
    assert assignment.phase is Phase.MAINTENANCE
    assert assignment.current_stage == 1
    assert assignment.status is ProgrammeStatus.ACTIVE
    assert assignment.run_since == start
    assert [event.kind for event in events].count(EventKind.COMPLETE) == 1
    dose = current_dose(assignment)
    assert (dose.reps, dose.hold_s_min, dose.hold_s_max, dose.sessions_per_day) == (10, 1, 2, 2)

    # In maintenance the rules keep answering `maintain` (R9) and never move the stage.
    with ctx.uow() as uow:
        _, assignment_id = programme(uow, patient_id)
        add_session(uow, patient_id, assignment_id, start + timedelta(hours=3), 1)
        patient = uow.patients.get(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        assert patient is not None and assignment is not None
        again = run_rules(uow, ctx.clock, me, patient, assignment)
        uow.commit()
    assert again.decision is Decision.MAINTAIN
    assert again.reasons[0]["rule"] == "R9"
    assert again.inputs["request"]["phase"] == "maintenance"


def test_sessions_before_run_since_do_not_count_towards_moving_on(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    settings = RuleSettings(progress_after_sessions=2, min_days_at_stage=2)
    patient_id = onboard(ctx, me, time_zone="UTC", settings=settings)
    now = clock.now()
    with ctx.uow() as uow:
        _, assignment_id = programme(uow, patient_id)
        add_session(uow, patient_id, assignment_id, now - timedelta(hours=30), 1)
        add_session(uow, patient_id, assignment_id, now - timedelta(hours=1), 1)
        assignment = uow.assignments.current_for(patient_id)
        patient = uow.patients.get(patient_id)
        assert assignment is not None and patient is not None
        assignment.run_since = now - timedelta(hours=5)  # e.g. a plan change this morning
        uow.assignments.update(assignment)
        held_back = run_rules(uow, ctx.clock, me, patient, assignment)
        assignment.run_since = None
        moved_on = decide(build_input(uow, patient, assignment))
        uow.commit()
    assert held_back.decision is Decision.STAY
    assert held_back.inputs["request"]["run_since"] == (now - timedelta(hours=5)).isoformat()
    assert moved_on.decision is Decision.PROGRESS
