"""Resuming (SPEC §3.5) and the clinician's own words on plan changes, with new runs.

The service clock starts at 2026-11-20 19:00 UTC, which is 08:00 on 21 November in
Auckland (the test patient's time zone), so local and UTC dates differ on purpose.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Dose, Location, Phase, RuleSettings
from spinestep.errors import Conflict, InvalidInput, PermissionDenied
from spinestep.services import (
    accounts,
    clinician,
    onboarding,
    privacy,
    programme,
    screening,
)
from spinestep.services.assessment import Assessment, check_assessment_date, parse_assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import AssignmentRecord, EventKind, ProgrammeEvent, Role
from tests.services.support import easy, onboard, screened_session

ADMIN = Actor(role=Role.ADMIN, user_id=None)
LOCAL_TODAY = date(2026, 11, 21)  # Auckland's date at the start clock


def _stopped(ctx: ServiceContext, actor: Actor, patient_id: int) -> None:
    spread = easy(location_before=Location.BACK, location_after=Location.BELOW_KNEE)
    assert screened_session(ctx, actor, patient_id, spread).paused


def _assignment(ctx: ServiceContext, patient_id: int) -> AssignmentRecord:
    with ctx.uow() as uow:
        assignment = uow.assignments.current_for(patient_id)
    assert assignment is not None
    return assignment


def _events(ctx: ServiceContext, patient_id: int) -> list[ProgrammeEvent]:
    with ctx.uow() as uow:
        return uow.events.for_patient(patient_id)


def _clinician_and_patient(ctx: ServiceContext) -> tuple[Actor, int]:
    admin = Actor.for_user(accounts.create_user(ctx, ADMIN, "a@clinic.example", "A", Role.ADMIN))
    physio = Actor.for_user(
        accounts.create_user(ctx, admin, "p@clinic.example", "Physio", Role.CLINICIAN)
    )
    patient_id = onboarding.onboard(
        ctx,
        physio,
        onboarding.OnboardingInput("Pat", "Pacific/Auckland", clearance=True, self_managed=False),
    ).patient_id
    return physio, patient_id


# --- the three answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "when", "told", "path"),
    [
        ("", "2026-11-21", "fine", "assessed_by"),
        ("   ", "2026-11-21", "fine", "assessed_by"),
        ("GP", "", "fine", "assessed_on"),
        ("GP", None, "fine", "assessed_on"),
        ("GP", "21/11/2026", "fine", "assessed_on"),
        ("GP", "2026-11-21", " ", "told"),
        ("GP", "2026-11-21", None, "told"),
        ("GP" * 101, "2026-11-21", "fine", "assessed_by"),
    ],
)
def test_each_answer_is_required_and_the_missing_one_is_named(
    who: str, when: str | None, told: str | None, path: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_assessment(who, when, told)
    assert caught.value.path == path


def test_the_answers_are_kept_trimmed() -> None:
    seen = parse_assessment("  Dr Rua ", " 2026-11-21 ", " restart gently ")
    assert seen == Assessment("Dr Rua", date(2026, 11, 21), "restart gently")
    assert seen.note() == "Assessed by Dr Rua on 2026-11-21: restart gently"


def test_a_person_without_a_clinician_resumes_only_with_the_three_answers(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    _stopped(ctx, me, patient_id)
    with pytest.raises(InvalidInput) as caught:
        clinician.resume(ctx, me, patient_id, "I feel fine")
    assert caught.value.path == "assessed_by"
    assert programme.today(ctx, me, patient_id).paused

    clock.set(clock.now() + timedelta(hours=30))  # 22 Nov 14:00 in Auckland
    clinician.resume(
        ctx, me, patient_id, assessment=Assessment("Dr Rua, GP", date(2026, 11, 22), "go on")
    )
    assignment = _assignment(ctx, patient_id)
    assert not programme.today(ctx, me, patient_id).paused
    assert assignment.run_since == clock.now()
    event = _events(ctx, patient_id)[-1]
    assert event.kind is EventKind.RESUME
    assert (event.at, event.actor_user_id) == (clock.now(), None)
    assert event.note == "Assessed by Dr Rua, GP on 2026-11-22: go on"


def test_the_date_is_a_local_date_neither_in_the_future_nor_before_the_stop(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    _stopped(ctx, me, patient_id)  # at 08:00 on 21 Nov in Auckland (20 Nov in UTC)
    for day, problem in (
        (date(2026, 11, 22), "must not be in the future"),
        (date(2026, 11, 20), "must not be before"),
    ):
        with pytest.raises(InvalidInput, match=problem) as caught:
            clinician.resume(ctx, me, patient_id, assessment=Assessment("GP", day, "fine"))
        assert caught.value.path == "assessed_on"
    assert programme.today(ctx, me, patient_id).paused
    clinician.resume(ctx, me, patient_id, assessment=Assessment("GP", LOCAL_TODAY, "fine"))
    assert not programme.today(ctx, me, patient_id).paused


def test_the_date_may_not_precede_an_open_flag_reported_after_the_stop(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    _stopped(ctx, me, patient_id)
    clock.set(clock.now() + timedelta(days=2))  # 23 Nov in Auckland
    screening.record_screening(ctx, me, patient_id, {"night_pain_unremitting": True})
    early = Assessment("GP", date(2026, 11, 22), "fine")
    with pytest.raises(InvalidInput, match="before"):
        clinician.resume(ctx, me, patient_id, assessment=early)
    clinician.resume(ctx, me, patient_id, assessment=Assessment("GP", date(2026, 11, 23), "ok"))
    (flag,) = clinician.red_flags(ctx, me, patient_id)
    assert flag.resolved_at == clock.now()
    assert flag.outcome == "Assessed by GP on 2026-11-23: ok"


def test_a_person_may_not_resolve_a_flag_without_the_answers(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    screening.record_screening(ctx, me, patient_id, {"infection_features": True})
    (flag,) = clinician.red_flags(ctx, me, patient_id)
    with pytest.raises(PermissionDenied):
        clinician.resolve_red_flag(ctx, me, patient_id, flag.id, "fine")


def test_resume_with_nothing_paused_is_a_conflict_and_records_nothing(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(Conflict, match="not paused"):
        clinician.resume(ctx, me, patient_id, assessment=Assessment("GP", LOCAL_TODAY, "ok"))
    assert [e.kind for e in _events(ctx, patient_id)] == [EventKind.PRESCRIBE]


# --- the clinician -------------------------------------------------------------------------


def test_a_clinicians_resume_records_the_clinician_their_note_and_a_new_run(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    _stopped(ctx, physio, patient_id)
    clock.set(clock.now() + timedelta(hours=5))
    clinician.resume(ctx, physio, patient_id, "  Reviewed: no neural signs.  ")
    event = _events(ctx, patient_id)[-1]
    assert event.kind is EventKind.RESUME
    assert (event.actor_user_id, event.at) == (physio.user_id, clock.now())
    assert event.note == "Reviewed: no neural signs."
    assert _assignment(ctx, patient_id).run_since == clock.now()


def test_a_clinician_may_resume_at_another_stage_or_in_maintenance(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clinician.adjust(ctx, physio, patient_id, stage=3)
    _stopped(ctx, physio, patient_id)
    with pytest.raises(InvalidInput) as caught:
        clinician.resume(ctx, physio, patient_id, stage=2, phase=Phase.MAINTENANCE)
    assert caught.value.path == "current_stage"
    clinician.resume(ctx, physio, patient_id, phase=Phase.MAINTENANCE)
    assignment = _assignment(ctx, patient_id)
    # lumbar-flexion's maintenance stage is 1 (supine), SPEC §3.3
    assert (assignment.phase, assignment.current_stage) == (Phase.MAINTENANCE, 1)
    assert _events(ctx, patient_id)[-1].reason.endswith("at stage 1 (maintenance)")


def test_the_reason_for_a_plan_change_is_kept_on_each_event_of_the_change(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clock.set(clock.now() + timedelta(days=1))
    clinician.adjust(
        ctx,
        physio,
        patient_id,
        stage=2,
        doses={2: Dose(reps=8, hold_s_min=3, hold_s_max=5, sessions_per_day=4)},
        note="Sitting tolerated well in clinic.",
    )
    changed = _events(ctx, patient_id)[-2:]
    assert [(e.kind, e.reason) for e in changed] == [
        (EventKind.STAGE_CHANGE, "stage 1 to 2"),
        (EventKind.SETTINGS_CHANGE, "dose"),
    ]
    assert {e.note for e in changed} == {"Sitting tolerated well in clinic."}
    assert _assignment(ctx, patient_id).run_since == clock.now()


def test_a_change_without_a_reason_keeps_no_note(ctx: ServiceContext) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clinician.adjust(ctx, physio, patient_id, stage=2, note="   ")
    assert _events(ctx, patient_id)[-1].note is None


def test_a_questionnaire_choice_is_not_a_plan_change_and_keeps_the_run(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    before = _assignment(ctx, patient_id).run_since
    clock.set(clock.now() + timedelta(days=1))
    clinician.adjust(ctx, physio, patient_id, outcome_measure="rmdq", note="Prefers RMDQ")
    assert _assignment(ctx, patient_id).run_since == before
    assert _events(ctx, patient_id)[-1].note == "Prefers RMDQ"


def test_new_rule_settings_are_stored_and_start_a_new_run(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clock.set(clock.now() + timedelta(days=1))
    wanted = RuleSettings(
        progress_after_sessions=8,
        min_days_at_stage=4,
        worsening_points=3,
        progress_max_pain=4,
        progress_max_location=Location.THIGH,
        maintenance_sessions_per_day=3,
    )
    clinician.adjust(ctx, physio, patient_id, settings=wanted, note="Stenosis: thigh allowed")
    stored = _assignment(ctx, patient_id)
    assert (
        stored.progress_after_sessions,
        stored.min_days_at_stage,
        stored.worsening_points,
        stored.progress_max_pain,
        stored.progress_max_location,
        stored.maintenance_sessions_per_day,
    ) == (8, 4, 3, 4, Location.THIGH, 3)
    assert stored.run_since == clock.now()
    clock.set(clock.now() + timedelta(days=1))
    clinician.adjust(ctx, physio, patient_id, settings=wanted)  # the same: no change
    assert _assignment(ctx, patient_id).run_since == clock.now() - timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"progress_max_pain": 11}, "settings.progress_max_pain"),
        ({"progress_max_pain": -1}, "settings.progress_max_pain"),
        ({"maintenance_sessions_per_day": 0}, "settings.maintenance_sessions_per_day"),
        ({"maintenance_sessions_per_day": 13}, "settings.maintenance_sessions_per_day"),
        ({"progress_after_sessions": 4, "min_days_at_stage": 5}, "settings.min_days_at_stage"),
    ],
)
def test_rule_settings_out_of_range_are_refused_naming_the_setting(
    ctx: ServiceContext, changes: dict[str, int], path: str
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    values: dict[str, object] = {"progress_after_sessions": 6, "min_days_at_stage": 3}
    values.update(changes)
    with pytest.raises(InvalidInput) as caught:
        clinician.adjust(ctx, physio, patient_id, settings=RuleSettings(**values))  # type: ignore[arg-type]
    assert caught.value.path == path


def test_in_maintenance_the_stage_is_the_maintenance_stage(ctx: ServiceContext) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clinician.adjust(ctx, physio, patient_id, stage=3)
    clinician.adjust(ctx, physio, patient_id, phase=Phase.MAINTENANCE, note="Mastered standing")
    stored = _assignment(ctx, patient_id)
    assert (stored.phase, stored.current_stage) == (Phase.MAINTENANCE, 1)
    with pytest.raises(InvalidInput) as caught:
        clinician.adjust(ctx, physio, patient_id, stage=2)
    assert caught.value.path == "current_stage"
    clinician.adjust(ctx, physio, patient_id, phase=Phase.PROGRESSION, stage=2)
    stored = _assignment(ctx, patient_id)
    assert (stored.phase, stored.current_stage) == (Phase.PROGRESSION, 2)


def test_a_prescription_keeps_its_reason_every_setting_and_starts_the_run(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clock.set(clock.now() + timedelta(days=3))
    clinician.prescribe(
        ctx,
        physio,
        patient_id,
        "lumbar-flexion",
        2,
        settings=RuleSettings(progress_max_pain=3, maintenance_sessions_per_day=1),
        note="Restart after holiday",
    )
    stored = _assignment(ctx, patient_id)
    assert (stored.current_stage, stored.run_since) == (2, clock.now())
    assert (stored.progress_max_pain, stored.maintenance_sessions_per_day) == (3, 1)
    event = _events(ctx, patient_id)[-1]
    assert (event.kind, event.note) == (EventKind.PRESCRIBE, "Restart after holiday")


def test_the_json_export_carries_the_clinicians_words(ctx: ServiceContext) -> None:
    physio, patient_id = _clinician_and_patient(ctx)
    clinician.adjust(ctx, physio, patient_id, stage=2, note='Reason with "quotes", ü')
    exported = privacy.export_patient_data(ctx, physio, patient_id)
    notes = [e["note"] for e in exported["programme_events"]]
    assert notes == [None, 'Reason with "quotes", ü']


_zones = st.sampled_from(["Pacific/Auckland", "Pacific/Kiritimati", "America/Anchorage", "UTC"])
_instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(
    zone=_zones,
    paused_at=_instants,
    later_h=st.integers(0, 24 * 20),
    day=st.dates(min_value=date(2025, 12, 25), max_value=date(2027, 2, 1)),
)
def test_an_assessment_date_is_accepted_exactly_between_the_pause_and_today(
    zone: str, paused_at: datetime, later_h: int, day: date
) -> None:
    now = paused_at + timedelta(hours=later_h)
    first = paused_at.astimezone(ZoneInfo(zone)).date()
    last = now.astimezone(ZoneInfo(zone)).date()
    seen = Assessment("GP", day, "ok")
    if first <= day <= last:
        check_assessment_date(seen, zone, now, paused_at)
    else:
        with pytest.raises(InvalidInput) as caught:
            check_assessment_date(seen, zone, now, paused_at)
        assert caught.value.path == "assessed_on"
