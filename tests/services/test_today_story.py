"""Today tells one story (SPEC §3.5): the latest decision only while it applies; after a
resume, a plan change or a flag resolution, that event and its time; while paused, the
decision that paused it; in maintenance the maintenance exercise and dose only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from spinestep.domain.model import Decision, DirectionalPreference, Dose, Phase
from spinestep.services import accounts, clinician, dashboard, programme, screening
from spinestep.services.assessment import Assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.instructions import countdown_hold_s
from spinestep.services.patient_records import load_patient_records
from spinestep.services.record_types import StageStatus
from spinestep.services.records import Role
from tests.services.support import easy, onboard, screened_session

INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)
LONDON = "Europe/London"  # on UTC in December: local times below equal the UTC ones


@pytest.fixture
def doctor(ctx: ServiceContext) -> Actor:
    user = accounts.create_user(
        ctx, INSTALLER, "gp@clinic.example", "Dr Ward", Role.CLINICIAN, "a-long-password"
    )
    return Actor.for_user(user)


def clinic_patient(ctx: ServiceContext, doctor: Actor, clock: FixedClock, **changes: object) -> int:
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    return onboard(
        ctx, doctor, time_zone=LONDON, clinician_id=doctor.user_id, self_managed=False, **changes
    )


def test_after_a_resume_today_shows_the_resume_not_the_emergency(
    ctx: ServiceContext, clock: FixedClock, doctor: Actor
) -> None:
    patient_id = clinic_patient(ctx, doctor, clock)
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    screened_session(ctx, doctor, patient_id, easy())
    clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    screening.record_screening(ctx, doctor, patient_id, {"new_bladder_dysfunction": True})

    paused = programme.today(ctx, doctor, patient_id)
    assert paused.paused and not paused.can_exercise
    assert paused.pause_decision is not None
    assert paused.pause_decision.decision is Decision.EMERGENCY
    assert paused.emergency
    assert paused.current_decision == paused.pause_decision
    assert paused.update is None
    assert paused.clinician_name == "Dr Ward"

    clock.set(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    (flag,) = clinician.red_flags(ctx, doctor, patient_id)
    clinician.resolve_red_flag(ctx, doctor, patient_id, flag.id, "Seen in A&E: no cauda equina")
    reviewed = programme.today(ctx, doctor, patient_id)
    assert reviewed.paused  # still paused until the clinician resumes
    assert reviewed.current_decision == paused.pause_decision  # and so the emergency applies
    assert reviewed.update is not None
    assert reviewed.update.kind == "flag_resolved"
    assert (
        reviewed.update.text
        == "Your clinician recorded the review of your red flag on 3 Dec at 09:30."
    )

    clock.set(datetime(2026, 12, 3, 10, 2, tzinfo=UTC))
    clinician.resume(ctx, doctor, patient_id, "reviewed")
    resumed = programme.today(ctx, doctor, patient_id)
    assert not resumed.paused and resumed.can_exercise
    assert resumed.pause_decision is None
    assert resumed.current_decision is None  # the emergency message no longer applies
    assert resumed.last_decision is not None
    assert resumed.last_decision.decision is Decision.EMERGENCY  # still kept for "Why?"
    assert resumed.update is not None
    assert resumed.update.kind == "resume"
    assert resumed.update.at == datetime(2026, 12, 3, 10, 2, tzinfo=UTC)
    assert resumed.update.text == "Your clinician resumed your programme on 3 Dec at 10:02."

    clock.set(datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    screened_session(ctx, doctor, patient_id, easy())
    after = programme.today(ctx, doctor, patient_id)
    assert after.update is None  # the new decision is newer than the resume
    assert after.current_decision is not None
    assert after.current_decision.decision is Decision.STAY


def test_a_person_who_resumes_themselves_reads_you_and_the_local_time(
    ctx: ServiceContext, clock: FixedClock, me: Actor
) -> None:
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    patient_id = onboard(ctx, me, time_zone="Pacific/Auckland")  # UTC+13 in December
    screening.record_screening(ctx, me, patient_id, {"infection_features": True})
    clock.set(datetime(2026, 12, 2, 21, 2, tzinfo=UTC))  # 10:02 on 3 Dec in Auckland
    seen = Assessment("Dr Rua, GP", date(2026, 12, 3), "no infection")
    clinician.resume(ctx, me, patient_id, assessment=seen)
    today = programme.today(ctx, me, patient_id)
    assert today.update is not None
    assert today.update.text == "You resumed your programme on 3 Dec at 10:02."
    assert today.current_decision is None


def test_a_plan_change_replaces_the_decision_and_the_hold_follows_the_dose(
    ctx: ServiceContext, clock: FixedClock, doctor: Actor
) -> None:
    patient_id = clinic_patient(ctx, doctor, clock)
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    screened_session(ctx, doctor, patient_id, easy())
    before = programme.today(ctx, doctor, patient_id)
    assert before.current_decision is not None and before.update is None
    assert (
        before.instructions[2] == "Hold for 1 to 2 seconds, then lower your feet back to the start."
    )

    clock.set(datetime(2026, 12, 1, 16, 45, tzinfo=UTC))
    clinician.adjust(ctx, doctor, patient_id, doses={1: Dose(8, 3, 5, 4)})
    after = programme.today(ctx, doctor, patient_id)
    assert after.current_decision is None
    assert after.update is not None
    assert after.update.kind == "plan_change"
    assert after.update.text == "Your clinician changed your plan on 1 Dec at 16:45."
    assert after.dose == Dose(8, 3, 5, 4)
    assert after.sessions_planned == 4
    assert (
        after.instructions[2] == "Hold for 3 to 5 seconds, then lower your feet back to the start."
    )
    assert "1 to 2" not in " ".join(after.instructions)
    assert countdown_hold_s(after.dose) == 5


def test_the_decision_that_paused_is_shown_even_when_an_earlier_session_was_later_decided(
    ctx: ServiceContext, clock: FixedClock, me: Actor
) -> None:
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    patient_id = onboard(ctx, me, time_zone=LONDON)
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    screened_session(ctx, me, patient_id, easy())
    clock.set(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
    screening.record_screening(ctx, me, patient_id, {"night_pain_unremitting": True})
    today = programme.today(ctx, me, patient_id)
    assert today.pause_decision is not None
    assert today.pause_decision.decision is Decision.CLINICIAN_REVIEW
    assert today.pause_decision.reasons[0].flag == "night_pain_unremitting"
    assert not today.emergency


def test_maintenance_shows_the_maintenance_exercise_and_dose_only(
    ctx: ServiceContext, clock: FixedClock, doctor: Actor
) -> None:
    patient_id = clinic_patient(ctx, doctor, clock, start_stage=3)
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    clinician.adjust(ctx, doctor, patient_id, phase=Phase.MAINTENANCE)
    today = programme.today(ctx, doctor, patient_id)
    assert today.maintenance and today.programme_complete
    assert today.phase is Phase.MAINTENANCE
    # lumbar-flexion keeps stage 1 (knees to chest, lying) twice a day.
    assert (today.stage, today.stage_definition.id) == (1, "supine")
    assert today.dose == Dose(10, 1, 2, 2)
    assert today.sessions_planned == 2
    assert today.instructions[0].startswith("Lie on your back")
    # The clinician's list and the exports say maintenance too.
    (row,) = dashboard.attention_list(ctx, doctor)
    assert row.phase is Phase.MAINTENANCE
    assert row.reason == "programme complete: maintenance"
    exported = load_patient_records(ctx, doctor, patient_id).programme
    assert exported is not None
    assert exported.phase is Phase.MAINTENANCE
    assert exported.maintenance_sessions_per_day == 2
    assert {stage.status for stage in exported.stages} == {StageStatus.COMPLETED}


def test_maintenance_of_the_extension_protocol_is_its_standing_stage(
    ctx: ServiceContext, clock: FixedClock, doctor: Actor
) -> None:
    patient_id = clinic_patient(
        ctx,
        doctor,
        clock,
        protocol_id="lumbar-extension",
        directional_preference=DirectionalPreference.EXTENSION,
    )
    clinician.adjust(ctx, doctor, patient_id, phase=Phase.MAINTENANCE)
    today = programme.today(ctx, doctor, patient_id)
    assert (today.stage, today.stage_definition.id) == (4, "standing_extension")
    assert today.dose.sessions_per_day == 2
