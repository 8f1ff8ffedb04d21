"""The clinician's choice of outcome measure (ODI or RMDQ, PSFS on or off), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spinestep.domain.scoring import Instrument
from spinestep.errors import InvalidInput, PermissionDenied
from spinestep.interop.fhir import bundle_json
from spinestep.services import clinician, programme
from spinestep.services.context import Actor, FixedClock, ServiceContext
from spinestep.services.patient_records import import_patient_records, load_patient_records
from spinestep.services.questionnaire_tracking import questionnaires_due, record_questionnaire
from spinestep.services.record_types import OdiAnswers, RmdqAnswers
from spinestep.services.records import EventKind, OutcomeMeasure, Role, UserRecord
from tests.services.support import onboard


def _due(ctx: ServiceContext, me: Actor, patient_id: int) -> list[tuple[str, bool]]:
    return [(d.instrument.value, d.optional) for d in questionnaires_due(ctx, me, patient_id)]


def test_odi_is_the_default_and_psfs_stays_optional(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    assert _due(ctx, me, patient_id) == [("startback", False), ("odi", False), ("psfs", True)]
    view = programme.today(ctx, me, patient_id)
    assert (view.outcome_measure, view.psfs_enabled) == (OutcomeMeasure.ODI, False)


def test_rmdq_and_psfs_chosen_at_onboarding(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me, outcome_measure=OutcomeMeasure.RMDQ, psfs_enabled=True)
    assert _due(ctx, me, patient_id) == [("startback", False), ("rmdq", False), ("psfs", False)]


def test_adjust_changes_the_measure_records_it_and_due_follows(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me)
    start = clock.now()
    record_questionnaire(ctx, me, patient_id, OdiAnswers((2,) * 10))
    clinician.adjust(ctx, me, patient_id, outcome_measure="rmdq", psfs_enabled=True)
    with ctx.uow() as uow:
        reasons = [e.reason for e in uow.events.for_patient(patient_id)]
        kinds = [e.kind for e in uow.events.for_patient(patient_id)]
    assert reasons[-2:] == ["outcome measure rmdq", "PSFS on"]
    assert kinds[-2:] == [EventKind.SETTINGS_CHANGE, EventKind.SETTINGS_CHANGE]
    due = questionnaires_due(ctx, me, patient_id)
    # No RMDQ taken yet: its baseline is due now, although an ODI was taken.
    assert [(d.instrument, d.due_at, d.optional) for d in due] == [
        (Instrument.STARTBACK, start, False),
        (Instrument.RMDQ, start, False),
        (Instrument.PSFS, start, False),
    ]
    clock.set(start + timedelta(days=1))
    record_questionnaire(ctx, me, patient_id, RmdqAnswers((1, 2)))
    due = questionnaires_due(ctx, me, patient_id)
    assert due[1].instrument is Instrument.RMDQ
    assert due[1].due_at == start + timedelta(days=15)


def test_adjusting_to_the_same_choice_records_no_change(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    with ctx.uow() as uow:
        before = len(uow.events.for_patient(patient_id))
    clinician.adjust(ctx, me, patient_id, outcome_measure=OutcomeMeasure.ODI, psfs_enabled=False)
    with ctx.uow() as uow:
        assert len(uow.events.for_patient(patient_id)) == before


def test_the_stored_choice_wins_over_the_measure_taken_first(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)  # ODI chosen (the default)
    record_questionnaire(ctx, me, patient_id, RmdqAnswers((3,)))
    assert [d.instrument for d in questionnaires_due(ctx, me, patient_id)][1] is Instrument.ODI
    # An explicit override still answers for one list.
    override = questionnaires_due(ctx, me, patient_id, Instrument.RMDQ)
    assert override[1].instrument is Instrument.RMDQ


def test_prescribe_stores_the_choice_on_the_new_programme(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)
    clinician.prescribe(
        ctx, me, patient_id, "lumbar-flexion", 2, outcome_measure=OutcomeMeasure.RMDQ
    )
    view = programme.today(ctx, me, patient_id)
    assert (view.stage, view.outcome_measure, view.psfs_enabled) == (2, OutcomeMeasure.RMDQ, False)
    assert _due(ctx, me, patient_id)[1] == ("rmdq", False)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"outcome_measure": "psfs"}, "outcome_measure"),
        ({"outcome_measure": "ODI"}, "outcome_measure"),
        ({"psfs_enabled": "yes"}, "psfs_enabled"),
        ({"psfs_enabled": 1}, "psfs_enabled"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    ctx: ServiceContext, me: Actor, changes: dict[str, object], path: str
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput) as caught:
        clinician.adjust(ctx, me, patient_id, **changes)  # type: ignore[arg-type]
    assert caught.value.path == path
    with pytest.raises(InvalidInput) as at_start:
        onboard(ctx, me, **changes)
    assert at_start.value.path == path
    view = programme.today(ctx, me, patient_id)
    assert (view.outcome_measure, view.psfs_enabled) == (OutcomeMeasure.ODI, False)


def test_a_patient_account_may_not_choose(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    with ctx.uow() as uow:
        user = uow.users.add(UserRecord("ann@example.org", "Ann", Role.PATIENT, clock.now()))
        uow.commit()
    patient_id = onboard(ctx, me, user_id=user.id)
    own_account = Actor.for_user(user)
    with pytest.raises(PermissionDenied):
        clinician.adjust(ctx, own_account, patient_id, outcome_measure=OutcomeMeasure.RMDQ)
    assert programme.today(ctx, me, patient_id).outcome_measure is OutcomeMeasure.ODI


def test_a_fhir_import_keeps_rmdq_when_it_was_followed(
    ctx: ServiceContext, me: Actor, clock: FixedClock
) -> None:
    patient_id = onboard(ctx, me, outcome_measure=OutcomeMeasure.RMDQ)
    record_questionnaire(ctx, me, patient_id, RmdqAnswers((1, 4, 9)))
    text = bundle_json(
        load_patient_records(ctx, me, patient_id), datetime(2026, 11, 26, tzinfo=UTC)
    )
    from spinestep.interop.fhir_read import read_bundle_text

    new_id = import_patient_records(ctx, me, read_bundle_text(text))
    assert programme.today(ctx, me, new_id).outcome_measure is OutcomeMeasure.RMDQ
