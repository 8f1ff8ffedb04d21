"""A clinic: accounts, who may see and change what, audit trail, tokens, export, deletion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from spinestep.domain.model import Decision, Dose, Location, RuleSettings
from spinestep.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from spinestep.services import (
    accounts,
    clinician,
    onboarding,
    privacy,
    programme,
    questionnaires,
)
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.records import EventKind, Role
from tests.services.support import easy, onboard, screened_session

ADMIN = Actor(role=Role.ADMIN, user_id=None)


@dataclass
class Clinic:
    clinician: Actor
    other_clinician: Actor
    patient: Actor
    patient_id: int


@pytest.fixture
def clinic(ctx: ServiceContext) -> Clinic:
    admin = accounts.create_user(ctx, ADMIN, "admin@clinic.example", "Admin", Role.ADMIN)
    admin_actor = Actor.for_user(admin)
    physio = accounts.create_user(
        ctx, admin_actor, "physio@clinic.example", "Physio", Role.CLINICIAN, "correct horse 1"
    )
    other = accounts.create_user(ctx, admin_actor, "other@clinic.example", "Other", Role.CLINICIAN)
    person = accounts.create_user(
        ctx, admin_actor, "pat@example.org", "Pat", Role.PATIENT, "battery staple 2"
    )
    physio_actor = Actor.for_user(physio)
    result = onboarding.onboard(
        ctx,
        physio_actor,
        onboarding.OnboardingInput(
            "Pat", "Europe/London", clearance=True, user_id=person.id, self_managed=False
        ),
    )
    return Clinic(physio_actor, Actor.for_user(other), Actor.for_user(person), result.patient_id)


def test_clinician_resumes_a_paused_programme_recorded_with_who_and_when(
    ctx: ServiceContext, clinic: Clinic, clock: FixedClock
) -> None:
    spread = easy(location_before=Location.BACK, location_after=Location.THIGH)
    outcome = screened_session(ctx, clinic.patient, clinic.patient_id, spread)
    assert outcome.decision.decision is Decision.STOP and outcome.paused

    with pytest.raises(PermissionDenied):
        clinician.resume(ctx, clinic.patient, clinic.patient_id, "I feel fine")
    with pytest.raises(NotFound):
        clinician.resume(ctx, clinic.other_clinician, clinic.patient_id, "not mine")

    clock.set(clock.now() + timedelta(hours=20))
    clinician.resume(ctx, clinic.clinician, clinic.patient_id, "reviewed in clinic")
    with ctx.uow() as uow:
        event = uow.events.for_patient(clinic.patient_id)[-1]
    assert event.kind is EventKind.RESUME
    assert event.actor_user_id == clinic.clinician.user_id
    assert event.at == clock.now()


def test_patient_sees_only_their_own_record(ctx: ServiceContext, clinic: Clinic) -> None:
    assert programme.today(ctx, clinic.patient, clinic.patient_id).display_name == "Pat"
    stranger = onboard(ctx, Actor.local_person())
    with pytest.raises(NotFound):
        programme.today(ctx, clinic.patient, stranger)
    with pytest.raises(NotFound):
        programme.history(ctx, clinic.other_clinician, clinic.patient_id)


def test_clinician_reads_and_changes_land_in_the_audit_trail(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    programme.history(ctx, clinic.clinician, clinic.patient_id)
    clinician.adjust(ctx, clinic.clinician, clinic.patient_id, stage=2)
    programme.today(ctx, clinic.patient, clinic.patient_id)  # the patient's own read
    trail = privacy.audit_trail(ctx, clinic.clinician, clinic.patient_id)
    actions = [(entry.action, entry.actor_user_id) for entry in trail]
    assert ("patient.history", clinic.clinician.user_id) in actions
    assert ("programme.adjust", clinic.clinician.user_id) in actions
    assert ("patient.today", clinic.patient.user_id) not in actions


def test_patient_may_not_change_the_programme(ctx: ServiceContext, clinic: Clinic) -> None:
    with pytest.raises(PermissionDenied):
        clinician.adjust(ctx, clinic.patient, clinic.patient_id, stage=3)


def test_dose_override_shows_in_today_and_in_the_decision(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    clinician.adjust(
        ctx,
        clinic.clinician,
        clinic.patient_id,
        doses={1: Dose(reps=6, hold_s_min=2, hold_s_max=3, sessions_per_day=3)},
        settings=RuleSettings(progress_after_sessions=5, min_days_at_stage=3, worsening_points=3),
    )
    today = programme.today(ctx, clinic.patient, clinic.patient_id)
    assert today.dose.to_json() == {"reps": 6, "hold_s": [2, 3], "sessions_per_day": 3}
    assert today.sessions_planned == 3
    outcome = screened_session(ctx, clinic.patient, clinic.patient_id, easy())
    assert outcome.decision.dose is not None
    assert outcome.decision.dose.reps == 6
    with ctx.uow() as uow:
        stored = uow.decisions.for_session(outcome.session.id)
    assert stored is not None
    assert stored.inputs["request"]["settings"]["progress_after_sessions"] == 5
    assert stored.inputs["request"]["doses"] == {
        "1": {"reps": 6, "hold_s": [2, 3], "sessions_per_day": 3}
    }


def test_bad_dose_is_refused_naming_the_field(ctx: ServiceContext, clinic: Clinic) -> None:
    bad = Dose(reps=0, hold_s_min=1, hold_s_max=2, sessions_per_day=5)
    with pytest.raises(InvalidInput) as caught:
        clinician.adjust(ctx, clinic.clinician, clinic.patient_id, doses={2: bad})
    assert caught.value.path == "doses.2.reps"


def test_patient_list_puts_the_paused_patient_first(ctx: ServiceContext, clinic: Clinic) -> None:
    calm = onboarding.onboard(
        ctx, clinic.clinician, onboarding.OnboardingInput("Cal", "UTC", clearance=True)
    ).patient_id
    screened_session(ctx, clinic.clinician, calm, easy())
    screened_session(
        ctx,
        clinic.patient,
        clinic.patient_id,
        easy(location_before=Location.BUTTOCK, location_after=Location.FOOT),
    )
    listed = clinician.list_patients(ctx, clinic.clinician)
    assert [p.id for p in listed] == [clinic.patient_id, calm]
    assert clinician.list_patients(ctx, clinic.other_clinician) == ()
    with pytest.raises(PermissionDenied):
        clinician.list_patients(ctx, clinic.patient)


def test_authentication(ctx: ServiceContext, clinic: Clinic) -> None:
    user = accounts.authenticate(ctx, "Physio@Clinic.example ", "correct horse 1")
    assert user is not None and user.id == clinic.clinician.user_id
    assert accounts.authenticate(ctx, "physio@clinic.example", "wrong password") is None
    assert accounts.authenticate(ctx, "nobody@clinic.example", "correct horse 1") is None
    assert accounts.authenticate(ctx, "other@clinic.example", "") is None  # no password set


def test_duplicate_account_is_a_conflict(ctx: ServiceContext, clinic: Clinic) -> None:
    with pytest.raises(Conflict):
        accounts.create_user(ctx, ADMIN, "PAT@example.org", "Pat again", Role.PATIENT)


def test_only_an_admin_creates_accounts(ctx: ServiceContext, clinic: Clinic) -> None:
    with pytest.raises(PermissionDenied):
        accounts.create_user(ctx, clinic.clinician, "x@example.org", "X", Role.CLINICIAN)


def test_api_token_verifies_until_revoked_or_expired(
    ctx: ServiceContext, clinic: Clinic, clock: FixedClock
) -> None:
    assert clinic.clinician.user_id is not None
    issued = accounts.issue_api_token(
        ctx, clinic.clinician, clinic.clinician.user_id, "laptop", timedelta(days=1)
    )
    user = accounts.verify_api_token(ctx, issued.token)
    assert user is not None and user.id == clinic.clinician.user_id
    assert accounts.verify_api_token(ctx, issued.token + "x") is None
    with ctx.uow() as uow:
        (stored,) = uow.tokens.for_user(clinic.clinician.user_id)
    assert issued.token not in stored.token_hash  # only a hash is kept
    clock.set(clock.now() + timedelta(days=1))
    assert accounts.verify_api_token(ctx, issued.token) is None  # expired
    second = accounts.issue_api_token(ctx, clinic.clinician, clinic.clinician.user_id, "phone")
    accounts.revoke_api_token(ctx, clinic.clinician, second.id)
    assert accounts.verify_api_token(ctx, second.token) is None
    with pytest.raises(PermissionDenied):
        accounts.issue_api_token(ctx, clinic.patient, clinic.clinician.user_id, "steal")


def test_invite_is_used_once(ctx: ServiceContext, clinic: Clinic) -> None:
    invite = accounts.create_invite(ctx, clinic.clinician, "new@example.org", Role.PATIENT)
    user = accounts.accept_invite(ctx, invite.token, "New Person", "a long password")
    assert (user.email, user.role) == ("new@example.org", Role.PATIENT)
    with pytest.raises(NotFound):
        accounts.accept_invite(ctx, invite.token, "Again", "a long password")
    with pytest.raises(PermissionDenied):
        accounts.create_invite(ctx, clinic.clinician, "boss@example.org", Role.ADMIN)


def test_questionnaire_is_scored_and_stored(ctx: ServiceContext, clinic: Clinic) -> None:
    answers = {"instrument": "odi", "answers": [2, 1, 2, 1, 2, 1, 2, None, 2, 3]}
    stored = questionnaires.record_response(ctx, clinic.patient, clinic.patient_id, answers)
    # 16 points over 9 answered sections: 16 / 45 * 100 = 35.56 (SPEC §5 example)
    assert stored.score["score"] == 35.56
    assert stored.score["band"] == "moderate"
    listed = questionnaires.list_responses(ctx, clinic.clinician, clinic.patient_id, "odi")
    assert [q.id for q in listed] == [stored.id]
    with pytest.raises(InvalidInput):
        questionnaires.record_response(
            ctx, clinic.patient, clinic.patient_id, {"instrument": "nprs", "score": 11}
        )


def test_export_holds_everything_about_the_patient(ctx: ServiceContext, clinic: Clinic) -> None:
    screened_session(ctx, clinic.patient, clinic.patient_id, easy(pain_after=1))
    data = privacy.export_patient_data(ctx, clinic.patient, clinic.patient_id)
    assert data["patient"]["display_name"] == "Pat"
    assert data["account"]["email"] == "pat@example.org"
    assert "password_hash" not in data["account"]
    assert [s["pain_after"] for s in data["sessions"]] == [1]
    assert data["sessions"][0]["location_after"] == "buttock"
    assert len(data["decisions"]) == 1 and data["decisions"][0]["decision"] == "stay"
    assert data["programmes"][0]["protocol_id"] == "lumbar-flexion"


def test_clinic_patient_deletion_is_a_request_the_admin_carries_out(
    ctx: ServiceContext, clinic: Clinic
) -> None:
    outcome = privacy.delete_account(ctx, clinic.patient, clinic.patient_id)
    assert not outcome.deleted and outcome.request_id is not None
    assert programme.today(ctx, clinic.patient, clinic.patient_id).display_name == "Pat"
    privacy.carry_out_deletion(ctx, ADMIN, outcome.request_id)
    with ctx.uow() as uow:
        assert uow.patients.get(clinic.patient_id) is None
        assert uow.users.by_email("pat@example.org") is None
        assert uow.deletions.pending() == []


def test_self_managed_person_deletes_everything_at_once(ctx: ServiceContext) -> None:
    me = Actor.local_person()
    patient_id = onboard(ctx, me)
    screened_session(ctx, me, patient_id, easy())
    assert privacy.delete_account(ctx, me, patient_id).deleted
    with ctx.uow() as uow:
        assert uow.patients.list_all() == []
        assert uow.sessions.for_patient(patient_id) == []
        assert uow.decisions.for_patient(patient_id) == []


def test_a_person_deleting_their_own_account_leaves_an_anonymous_trail_entry(
    ctx: ServiceContext,
) -> None:
    admin = Actor.for_user(
        accounts.create_user(ctx, ADMIN, "root@home.example", "Root", Role.ADMIN)
    )
    user = accounts.create_user(
        ctx, admin, "sol@home.example", "Sol", Role.PATIENT, "sunny side 42"
    )
    sol = Actor.for_user(user)
    result = onboarding.onboard(
        ctx, sol, onboarding.OnboardingInput("Sol", "UTC", clearance=True, user_id=user.id)
    )
    assert privacy.delete_account(ctx, sol, result.patient_id).deleted
    with ctx.uow() as uow:
        assert uow.users.by_email("sol@home.example") is None
        last = uow.audit.recent(1)[0]
    assert (last.action, last.actor_user_id, last.patient_id) == ("patient.delete_self", None, None)
