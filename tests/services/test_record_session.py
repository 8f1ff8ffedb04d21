"""Recording sessions: one transaction, decision stored with inputs and rules version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import Decision, Effort, Location
from spinestep.domain.rules import RULES_VERSION, decide
from spinestep.errors import InvalidInput, NotFound, ProgrammePaused
from spinestep.protocols import builtin_protocols
from spinestep.services import clinician, programme, sessions
from spinestep.services.assessment import parse_assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import EventKind, ProgrammeStatus
from tests.services.support import easy, onboard, screened_session


def test_decision_is_stored_with_its_inputs_and_rules_version(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    outcome = screened_session(ctx, me, patient_id, easy(pain_after=1))
    # one session only: R8 needs three, so R9 keeps the stage
    assert outcome.decision.decision is Decision.STAY
    assert [r.rule for r in outcome.decision.reasons] == ["R9"]
    with ctx.uow() as uow:
        stored = uow.decisions.for_session(outcome.session.id)
    assert stored is not None
    assert stored.rules_version == RULES_VERSION
    request = stored.inputs["request"]
    assert request["current_stage"] == 1
    assert request["clearance"] is True
    assert [s["pain_after"] for s in request["sessions"]] == [1]
    assert stored.inputs["emergency_number"] == "112"
    # the snapshot is a valid `spinestep decide` request and replays to the same decision
    replayed = decide(parse_decide_request(request, builtin_protocols()))
    assert replayed.decision is Decision.STAY


def test_easy_painless_sessions_on_three_days_progress_to_the_next_stage(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    """Defaults of rules 2026.12-1: 6 easy, painless sessions on 3 dates, 32 hours apart.
    Three sessions a day: the first session of the third day moves the person on.
    """
    patient_id = onboard(ctx, me)
    painless = easy(
        pain_before=1,
        pain_during=1,
        pain_after=1,
        location_before=Location.BACK,
        location_after=Location.BACK,
    )
    start = clock.now()
    outcomes = []
    for day in range(2):
        for slot in range(3):
            clock.set(start + timedelta(days=day, hours=3 * slot))
            outcomes.append(screened_session(ctx, me, patient_id, painless))
    assert [o.decision.decision for o in outcomes] == [Decision.STAY] * 6
    clock.set(start + timedelta(days=2))
    third = screened_session(ctx, me, patient_id, painless)
    assert third.decision.decision is Decision.PROGRESS
    assert (third.stage_before, third.stage_after) == (1, 2)
    today = programme.today(ctx, me, patient_id)
    assert today.stage == 2
    assert today.stage_definition.id == "seated"
    with ctx.uow() as uow:
        kinds = [e.kind for e in uow.events.for_patient(patient_id)]
    assert kinds == [EventKind.PRESCRIBE, EventKind.STAGE_CHANGE]


def test_peripheralising_session_stops_and_pauses_until_resumed(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    spread = easy(location_before=Location.BACK, location_after=Location.BELOW_KNEE)
    outcome = screened_session(ctx, me, patient_id, spread)
    assert outcome.decision.decision is Decision.STOP
    assert outcome.paused

    with pytest.raises(ProgrammePaused, match="resume"):
        screened_session(ctx, me, patient_id, easy())
    today = programme.today(ctx, me, patient_id)
    assert today.paused and not today.can_exercise
    assert today.paused_reason is not None and "stop" in today.paused_reason

    clock.set(clock.now() + timedelta(days=2))
    seen = parse_assessment("my physiotherapist", clock.now().date(), "restart gently")
    clinician.resume(ctx, me, patient_id, assessment=seen)
    with ctx.uow() as uow:
        events = uow.events.for_patient(patient_id)
        assignment = uow.assignments.current_for(patient_id)
        stored_sessions = uow.sessions.for_patient(patient_id)
    assert [e.kind for e in events][-2:] == [EventKind.PAUSE, EventKind.RESUME]
    resume_event = events[-1]
    assert resume_event.at == clock.now()
    assert resume_event.actor_user_id is None  # the local person
    assert resume_event.note is not None and "my physiotherapist" in resume_event.note
    assert assignment is not None and assignment.status is ProgrammeStatus.ACTIVE
    assert len(stored_sessions) == 1  # the refused session left nothing behind

    again = screened_session(ctx, me, patient_id, easy())
    assert not again.paused


def test_stop_now_records_a_not_completed_session_and_decides_at_once(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    outcome = sessions.stop_now(
        ctx,
        me,
        patient_id,
        sessions.StopNowInput(
            pain_before=3,
            pain_now=6,
            location_before=Location.BUTTOCK,
            location_now=Location.FOOT,
            reps_done=4,
        ),
    )
    assert outcome.session.completed is False
    assert outcome.session.stopped_early is True
    assert outcome.session.reps == 4
    assert (outcome.session.pain_during, outcome.session.pain_after) == (6, 6)
    # buttock -> foot is peripheralisation: R4 stop, which pauses the programme
    assert outcome.decision.decision is Decision.STOP
    assert [r.rule for r in outcome.decision.reasons] == ["R4"]
    assert outcome.paused


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"pain_after": 11}, "pain_after"),
        ({"pain_before": -1}, "pain_before"),
        ({"pain_during": True}, "pain_during"),
        ({"reps": -3}, "reps"),
        ({"effort": "easy"}, "effort"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_field(
    ctx: ServiceContext, me: Actor, changes: dict[str, object], path: str
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput) as caught:
        screened_session(ctx, me, patient_id, easy(**changes))
    assert caught.value.path == path
    with ctx.uow() as uow:
        assert uow.sessions.for_patient(patient_id) == []
        assert uow.decisions.for_patient(patient_id) == []


def test_a_future_session_time_is_refused(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput, match="future"):
        screened_session(ctx, me, patient_id, easy(at=ctx.clock.now() + timedelta(hours=1)))


def test_unknown_patient_is_not_found(ctx: ServiceContext, me: Actor) -> None:
    with pytest.raises(NotFound):
        screened_session(ctx, me, 999, easy())


def test_worse_after_at_stage_two_regresses_to_stage_one(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me, start_stage=2)
    worse = easy(pain_before=2, pain_during=2, pain_after=5, effort=Effort.MODERATE)
    outcome = screened_session(ctx, me, patient_id, worse)
    # R6 at stage 2: regress; 5 - 2 = 3 >= worsening_points 2 -> urgency soon
    assert outcome.decision.decision is Decision.REGRESS
    assert outcome.decision.urgency.value == "soon"
    assert outcome.stage_after == 1
    assert not outcome.paused
