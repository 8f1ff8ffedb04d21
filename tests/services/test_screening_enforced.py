"""A session is stored only after a fresh, complete safety check (SPEC §3.5, §4)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Decision, Location
from spinestep.errors import InvalidInput, ScreeningRequired
from spinestep.services import clinician, screening, sessions
from spinestep.services.assessment import parse_assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import FlagSource, ScreeningRecord
from spinestep.services.screening import ScreeningForm
from spinestep.services.sessions import StopNowInput
from spinestep.store import open_store
from tests.services.support import easy, onboard
from tests.support.flags import EVERY_SESSION_CODES

EVERY_SESSION = EVERY_SESSION_CODES
ONBOARDING_ONLY = (
    "history_of_cancer",
    "major_trauma",
    "fragility_fracture_risk",
    "inflammatory_features",
)
ALL_CODES = (*EVERY_SESSION, *ONBOARDING_ONLY, "weaker_cancer_risk")


def _onboarded(ctx: ServiceContext, me: Actor) -> int:
    """A patient who answered all thirteen questions at onboarding (all "no")."""
    return onboard(ctx, me, red_flag_answers=dict.fromkeys(ALL_CODES, False))


def _all_no(ctx: ServiceContext, me: Actor, patient_id: int) -> None:
    screening.record_screening(ctx, me, patient_id, dict.fromkeys(EVERY_SESSION, False))


def _stored(ctx: ServiceContext, patient_id: int) -> tuple[int, int, int]:
    """Sessions, decisions and programme events stored for the patient."""
    with ctx.uow() as uow:
        return (
            len(uow.sessions.for_patient(patient_id)),
            len(uow.decisions.for_patient(patient_id)),
            len(uow.events.for_patient(patient_id)),
        )


def test_a_session_without_a_safety_check_is_refused_and_nothing_is_stored(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)  # no onboarding questions answered
    clock.set(clock.now() + timedelta(minutes=5))
    before = _stored(ctx, patient_id)
    with pytest.raises(ScreeningRequired, match="safety"):
        sessions.record_session(ctx, me, patient_id, easy())
    assert _stored(ctx, patient_id) == before == (0, 0, 1)  # the prescription event only


def test_an_empty_answer_set_is_not_a_safety_check(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))  # the onboarding answers are no longer fresh
    with pytest.raises(InvalidInput, match="not answered: new_bladder_dysfunction") as refused:
        screening.record_screening(ctx, me, patient_id, {})
    assert refused.value.path == "answers"
    for code in EVERY_SESSION:
        assert code in str(refused.value)
    with ctx.uow() as uow:
        assert len(uow.screenings.for_patient(patient_id)) == 1  # the onboarding one
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
    assert _stored(ctx, patient_id)[:2] == (0, 0)


def test_one_unanswered_question_is_named(ctx: ServiceContext, me: Actor) -> None:
    patient_id = _onboarded(ctx, me)
    answers = dict.fromkeys(EVERY_SESSION, False)
    del answers["night_pain_unremitting"]
    with pytest.raises(InvalidInput) as refused:
        screening.record_screening(ctx, me, patient_id, answers)
    assert refused.value.path == "answers.night_pain_unremitting"


def test_questions_never_answered_must_be_answered_before_a_session(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # set up without the onboarding questions
    with pytest.raises(InvalidInput) as refused:
        screening.record_screening(ctx, me, patient_id, dict.fromkeys(EVERY_SESSION, False))
    for code in (*ONBOARDING_ONLY, "weaker_cancer_risk"):
        assert code in refused.value.problem
    screening.record_screening(ctx, me, patient_id, dict.fromkeys(ALL_CODES, False))
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_a_complete_check_allows_one_session_only(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))
    _all_no(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(minutes=20))
    sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(minutes=20))
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
    assert _stored(ctx, patient_id)[0] == 1


def test_a_check_taken_at_the_instant_of_the_previous_session_is_not_after_it(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))
    _all_no(ctx, me, patient_id)
    sessions.record_session(ctx, me, patient_id, easy())
    _all_no(ctx, me, patient_id)  # same instant as the stored session
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(seconds=1))
    _all_no(ctx, me, patient_id)
    sessions.record_session(ctx, me, patient_id, easy())
    assert _stored(ctx, patient_id)[0] == 2


def test_a_check_is_fresh_for_two_hours_exactly(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))
    _all_no(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(hours=2, microseconds=1))
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(minutes=1))
    _all_no(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(hours=2))
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_the_onboarding_answers_count_as_the_first_check(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(minutes=30))
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_stop_now_is_never_refused_for_screening(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)  # never screened at all
    clock.set(clock.now() + timedelta(hours=3))
    outcome = sessions.stop_now(
        ctx,
        me,
        patient_id,
        StopNowInput(
            pain_before=3,
            pain_now=6,
            location_before=Location.BACK,
            location_now=Location.FOOT,
            reps_done=2,
        ),
    )
    assert outcome.decision.decision is Decision.STOP
    assert not outcome.session.completed
    assert _stored(ctx, patient_id)[:2] == (1, 1)


def test_a_check_with_a_yes_never_clears_a_later_session(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))
    flagged = screening.record_screening(ctx, me, patient_id, {"infection_features": True})
    assert flagged.flagged == ("infection_features",)  # a "yes" alone is stored at once
    clock.set(clock.now() + timedelta(minutes=30))
    local_date = clock.now().astimezone(ZoneInfo("Pacific/Auckland")).date()
    seen = parse_assessment("Dr Rua, GP", local_date, "no infection")
    clinician.resume(ctx, me, patient_id, assessment=seen)
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
    _all_no(ctx, me, patient_id)
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_first_check_of_the_local_day_is_full_and_later_ones_combined(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    # START is 08:00 on 21 Nov in Auckland (UTC+13)
    patient_id = _onboarded(ctx, me)
    assert screening.due_screening(ctx, me, patient_id).form is ScreeningForm.FULL
    sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(hours=4))  # 12:00 the same local day
    due = screening.due_screening(ctx, me, patient_id)
    assert due.form is ScreeningForm.COMBINED
    assert [flag.code for flag in due.every_session] == list(EVERY_SESSION)
    assert due.also_due == ()
    clock.set(clock.now() + timedelta(hours=12))  # 00:00 on 22 Nov in Auckland
    assert screening.due_screening(ctx, me, patient_id).form is ScreeningForm.FULL


def test_a_no_to_the_combined_question_answers_each_flag_no(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(hours=3))
    outcome = screening.record_screening(ctx, me, patient_id, {}, none_started=True)
    assert outcome.clear
    with ctx.uow() as uow:
        latest = uow.screenings.for_patient(patient_id)[-1]
    assert latest.answers == dict.fromkeys(EVERY_SESSION, False)
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_the_combined_question_is_refused_before_the_first_session_of_the_day(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = _onboarded(ctx, me)
    with pytest.raises(InvalidInput) as refused:
        screening.record_screening(ctx, me, patient_id, {}, none_started=True)
    assert refused.value.path == "none_started"


def test_a_yes_contradicting_the_combined_no_is_refused(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    sessions.record_session(ctx, me, patient_id, easy())
    clock.set(clock.now() + timedelta(hours=1))
    with pytest.raises(InvalidInput) as refused:
        screening.record_screening(
            ctx, me, patient_id, {"saddle_anaesthesia": True}, none_started=True
        )
    assert refused.value.path == "answers.saddle_anaesthesia"
    with ctx.uow() as uow:
        assert uow.red_flags.unresolved_for(patient_id) == []


actions = st.lists(
    st.tuples(st.sampled_from(["check", "session"]), st.integers(min_value=0, max_value=150)),
    min_size=1,
    max_size=10,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=actions)
def test_a_session_is_stored_exactly_when_a_fresh_check_follows_the_last_session(
    steps: list[tuple[str, int]],
) -> None:
    """Against a plain model of §3.5: accepted iff the latest check is later than the last
    stored session and at most 120 minutes old; a refusal stores nothing."""
    with tempfile.TemporaryDirectory() as folder:
        engine, uow = open_store(f"sqlite:///{Path(folder) / 's.db'}")
        clock = FixedClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
        ctx = ServiceContext(uow=uow, clock=clock)
        me = Actor.local_person()
        try:
            patient_id = onboard(ctx, me, time_zone="UTC")  # no onboarding answers
            every = {f.code: False for f in screening.session_questions(ctx, me, patient_id)}
            last_check: datetime | None = None
            last_session: datetime | None = None
            stored = 0
            for action, gap_min in steps:
                clock.set(clock.now() + timedelta(minutes=gap_min))
                now = clock.now()
                if action == "check":
                    screening.record_screening(ctx, me, patient_id, every)
                    last_check = now
                    continue
                fresh = (
                    last_check is not None
                    and (last_session is None or last_check > last_session)
                    and now - last_check <= timedelta(minutes=120)
                )
                if fresh:
                    sessions.record_session(ctx, me, patient_id, easy())
                    last_session = now
                    stored += 1
                else:
                    with pytest.raises(ScreeningRequired):
                        sessions.record_session(ctx, me, patient_id, easy())
                with uow() as work:
                    assert len(work.sessions.for_patient(patient_id)) == stored
                    assert len(work.decisions.for_patient(patient_id)) == stored
        finally:
            engine.dispose()


def test_the_monthly_question_when_due_is_part_of_the_check(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(days=30))  # the onboarding answer is 30 days old
    with pytest.raises(InvalidInput) as refused:
        _all_no(ctx, me, patient_id)
    assert refused.value.path == "answers.weaker_cancer_risk"
    answers = dict.fromkeys((*EVERY_SESSION, "weaker_cancer_risk"), False)
    screening.record_screening(ctx, me, patient_id, answers)
    assert sessions.record_session(ctx, me, patient_id, easy()).session.id is not None


def test_an_empty_answer_set_stored_earlier_never_counts(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    """Screenings stored before the check was enforced may hold no answers at all."""
    patient_id = _onboarded(ctx, me)
    clock.set(clock.now() + timedelta(hours=3))
    with ctx.uow() as uow:
        uow.screenings.add(ScreeningRecord(patient_id, clock.now(), FlagSource.SESSION, {}))
        uow.commit()
    with pytest.raises(ScreeningRequired):
        sessions.record_session(ctx, me, patient_id, easy())
