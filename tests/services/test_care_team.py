"""The care team's contact details: who sets them, who sees them, in which order; audited.
On SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from spinestep.domain.model import EmergencyNumber
from spinestep.errors import InvalidInput, NotFound, PermissionDenied
from spinestep.services import accounts, care_team, onboarding
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import Role

INSTALLER = Actor(role=Role.ADMIN, user_id=None, local=True)


def _user(ctx: ServiceContext, email: str, name: str, role: Role) -> Actor:
    return Actor.for_user(accounts.create_user(ctx, INSTALLER, email, name, role))


def _patient(ctx: ServiceContext, clinician: Actor, user: Actor) -> int:
    data = onboarding.OnboardingInput(
        "Pat",
        "Europe/London",
        clearance=True,
        user_id=user.user_id,
        self_managed=False,
        emergency_number=EmergencyNumber.UK,
    )
    return onboarding.onboard(ctx, clinician, data).patient_id


def _actions(ctx: ServiceContext) -> list[str]:
    with ctx.uow() as uow:
        return [entry.action for entry in uow.audit.recent(50)]


def test_the_patient_sees_emergency_number_then_clinician_then_clinic(ctx: ServiceContext) -> None:
    admin = _user(ctx, "admin@clinic.example", "Admin", Role.ADMIN)
    physio = _user(ctx, "physio@clinic.example", "Anna Physio", Role.CLINICIAN)
    person = _user(ctx, "pat@home.example", "Pat", Role.PATIENT)
    patient_id = _patient(ctx, physio, person)
    care_team.set_clinic_contacts(ctx, admin, "+44 20 7946 0000", "desk@clinic.example", "8-18")
    care_team.set_own_contacts(ctx, physio, "+44 20 7946 0001", None, "Tue 9-13")

    team = care_team.care_team(ctx, person, patient_id)

    assert team.emergency_number is EmergencyNumber.UK
    assert [(c.name, c.details.phone) for c in team.clinicians] == [
        ("Anna Physio", "+44 20 7946 0001")
    ]
    assert team.clinicians[0].details.email is None
    assert team.clinic.email == "desk@clinic.example"
    assert "contacts.clinic.update" in _actions(ctx)
    assert "contacts.clinician.update" in _actions(ctx)


def test_saving_again_replaces_and_empty_values_clear(ctx: ServiceContext) -> None:
    admin = _user(ctx, "admin@clinic.example", "Admin", Role.ADMIN)
    care_team.set_clinic_contacts(ctx, admin, "0800 000 000", "desk@clinic.example", "8-18")
    care_team.set_clinic_contacts(ctx, admin, "0800 111 111", "", None)
    details = care_team.clinic_contacts(ctx, admin)
    assert (details.phone, details.email, details.hours) == ("0800 111 111", None, None)


def test_only_admins_set_the_clinics_and_only_clinicians_their_own(ctx: ServiceContext) -> None:
    physio = _user(ctx, "physio@clinic.example", "Physio", Role.CLINICIAN)
    person = _user(ctx, "pat@home.example", "Pat", Role.PATIENT)
    admin = _user(ctx, "admin@clinic.example", "Admin", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        care_team.set_clinic_contacts(ctx, physio, "0800 000 000", None, None)
    with pytest.raises(PermissionDenied):
        care_team.set_clinic_contacts(ctx, person, "0800 000 000", None, None)
    for who in (person, admin, Actor.local_person()):
        with pytest.raises(PermissionDenied):
            care_team.set_own_contacts(ctx, who, "0800 000 000", None, None)
    assert care_team.clinic_contacts(ctx, admin).empty


def test_a_patient_cannot_read_another_patients_care_team(ctx: ServiceContext) -> None:
    physio = _user(ctx, "physio@clinic.example", "Physio", Role.CLINICIAN)
    other_physio = _user(ctx, "other@clinic.example", "Other", Role.CLINICIAN)
    ann = _user(ctx, "ann@home.example", "Ann", Role.PATIENT)
    bo = _user(ctx, "bo@home.example", "Bo", Role.PATIENT)
    _patient(ctx, physio, ann)
    bos_record = _patient(ctx, physio, bo)
    with pytest.raises(NotFound):
        care_team.care_team(ctx, ann, bos_record)
    with pytest.raises(NotFound):
        care_team.care_team(ctx, other_physio, bos_record)


def test_invalid_details_are_refused_and_nothing_is_stored(ctx: ServiceContext) -> None:
    admin = _user(ctx, "admin@clinic.example", "Admin", Role.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        care_team.set_clinic_contacts(ctx, admin, "0800 000 000", "no-at-sign", None)
    assert caught.value.path == "email"
    assert care_team.clinic_contacts(ctx, admin).empty
    assert "contacts.clinic.update" not in _actions(ctx)


def test_a_deactivated_clinician_is_not_offered_and_nobody_set_means_empty(
    ctx: ServiceContext,
) -> None:
    admin = _user(ctx, "admin@clinic.example", "Admin", Role.ADMIN)
    physio = _user(ctx, "physio@clinic.example", "Physio", Role.CLINICIAN)
    person = _user(ctx, "pat@home.example", "Pat", Role.PATIENT)
    patient_id = _patient(ctx, physio, person)
    team = care_team.care_team(ctx, person, patient_id)
    assert team.clinic.empty and all(c.details.empty for c in team.clinicians)
    assert physio.user_id is not None
    accounts.set_active(ctx, admin, physio.user_id, False)
    assert care_team.care_team(ctx, person, patient_id).clinicians == ()


def test_two_admins_saving_at_once_both_succeed_and_one_row_remains(ctx: ServiceContext) -> None:
    admins = [_user(ctx, f"admin{n}@clinic.example", "Admin", Role.ADMIN) for n in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(admins))

    def save(n: int) -> None:
        try:
            barrier.wait()
            care_team.set_clinic_contacts(ctx, admins[n], f"0800 000 00{n}", None, None)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    for _round in range(5):
        threads = [threading.Thread(target=save, args=(n,)) for n in range(len(admins))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    with ctx.uow() as uow:
        connection = uow.clinic._session.connection()  # type: ignore[attr-defined]
        count = connection.execute(sa.text("SELECT COUNT(*) FROM clinic_contacts")).scalar()
    assert count == 1
    assert care_team.clinic_contacts(ctx, admins[0]).phone in {f"0800 000 00{n}" for n in range(4)}
