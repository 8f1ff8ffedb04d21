"""Wording packs in the database: loaded once per version, the newest shown, and the
pack a response was answered from kept with it. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from spinestep.domain.scoring import Instrument
from spinestep.errors import Conflict, InvalidInput, PermissionDenied
from spinestep.services import accounts, privacy, wording_packs
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.questionnaire_tracking import record_questionnaire
from spinestep.services.record_types import OdiAnswers, RmdqAnswers
from spinestep.services.records import Role
from tests.services.support import onboard
from tests.support.wording import pack_document, pack_text, resealed

LOCAL = Actor.local_person()


def test_a_loaded_pack_is_the_one_shown_and_the_newest_version_wins(ctx: ServiceContext) -> None:
    assert wording_packs.current_pack(ctx, Instrument.ODI) is None
    first = wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=1))
    assert not first.already_loaded
    wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=3))
    wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=2))
    shown = wording_packs.current_pack(ctx, Instrument.ODI)
    assert shown is not None and shown.pack_version == 3
    assert shown.content["items"][0]["options"][5]["text"] == "Test option 1.5 v3"
    assert wording_packs.current_pack(ctx, Instrument.RMDQ) is None
    assert wording_packs.current_pack(ctx, Instrument.ODI, "de") is None
    assert [p.pack_version for p in wording_packs.list_packs(ctx, LOCAL)] == [1, 2, 3]


def test_loading_the_same_pack_again_changes_nothing(ctx: ServiceContext) -> None:
    wording_packs.load_pack(ctx, LOCAL, pack_text("rmdq"))
    again = wording_packs.load_pack(ctx, LOCAL, pack_text("rmdq"))
    assert again.already_loaded
    assert len(wording_packs.list_packs(ctx, LOCAL)) == 1


def test_the_same_version_with_other_wording_is_refused(ctx: ServiceContext) -> None:
    wording_packs.load_pack(ctx, LOCAL, pack_text("rmdq"))
    changed = pack_document("rmdq")
    changed["items"][0]["text"] = "Other test wording"
    with pytest.raises(Conflict, match="raise pack_version"):
        wording_packs.load_pack(ctx, LOCAL, resealed(changed))
    shown = wording_packs.current_pack(ctx, Instrument.RMDQ)
    assert shown is not None and shown.content["items"][0]["text"] == "Test item 1"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (pack_text("odi", checksum="0" * 64), "checksum"),
        (resealed({**pack_document("odi"), "items": pack_document("odi")["items"][:7]}), "items"),
        (
            resealed({**pack_document("odi"), "items": pack_document("rmdq")["items"][:10]}),
            "items[0].options",
        ),
        (resealed({**pack_document("odi"), "instrument": "startback"}), "instrument"),
    ],
)
def test_a_pack_that_does_not_fit_is_refused_and_nothing_stored(
    ctx: ServiceContext, text: str, path: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        wording_packs.load_pack(ctx, LOCAL, text)
    assert caught.value.path == path
    assert wording_packs.list_packs(ctx, LOCAL) == []


def test_only_admins_load_packs(ctx: ServiceContext) -> None:
    installer = Actor(role=Role.ADMIN, user_id=None, local=True)
    physio = Actor.for_user(
        accounts.create_user(ctx, installer, "physio@clinic.example", "Physio", Role.CLINICIAN)
    )
    with pytest.raises(PermissionDenied):
        wording_packs.load_pack(ctx, physio, pack_text("odi"))
    with pytest.raises(PermissionDenied):
        wording_packs.list_packs(ctx, physio)


def test_a_response_keeps_the_pack_it_was_answered_from(ctx: ServiceContext) -> None:
    patient_id = onboard(ctx, LOCAL)
    v1 = wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=1)).pack
    entry = record_questionnaire(
        ctx, LOCAL, patient_id, OdiAnswers((1,) * 10), wording_pack_id=v1.id
    )
    wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=2))
    paper = record_questionnaire(ctx, LOCAL, patient_id, OdiAnswers((2,) * 10))
    with ctx.uow() as uow:
        shown = uow.clinic.shown_packs([int(entry.id), int(paper.id)])
    assert {k: p.pack_version for k, p in shown.items()} == {int(entry.id): 1}


def test_a_response_naming_a_pack_of_another_questionnaire_is_refused(ctx: ServiceContext) -> None:
    patient_id = onboard(ctx, LOCAL)
    odi = wording_packs.load_pack(ctx, LOCAL, pack_text("odi")).pack
    with pytest.raises(InvalidInput) as caught:
        record_questionnaire(ctx, LOCAL, patient_id, RmdqAnswers((1,)), wording_pack_id=odi.id)
    assert caught.value.path == "wording_pack"
    with pytest.raises(InvalidInput):
        record_questionnaire(ctx, LOCAL, patient_id, RmdqAnswers((1,)), wording_pack_id=999)
    with ctx.uow() as uow:
        assert uow.questionnaires.for_patient(patient_id) == []


def test_deleting_the_patient_deletes_what_was_shown_but_keeps_the_pack(
    ctx: ServiceContext,
) -> None:
    patient_id = onboard(ctx, LOCAL)
    pack = wording_packs.load_pack(ctx, LOCAL, pack_text("odi")).pack
    entry = record_questionnaire(
        ctx, LOCAL, patient_id, OdiAnswers((0,) * 10), wording_pack_id=pack.id
    )
    assert privacy.delete_account(ctx, LOCAL, patient_id).deleted
    with ctx.uow() as uow:
        assert uow.clinic.shown_packs([int(entry.id)]) == {}
        assert uow.clinic.get_pack(pack.id or 0) is not None


def test_the_patients_export_says_which_pack_each_answer_was_shown_from(
    ctx: ServiceContext,
) -> None:
    patient_id = onboard(ctx, LOCAL)
    pack = wording_packs.load_pack(ctx, LOCAL, pack_text("odi", version=5)).pack
    at_home = record_questionnaire(
        ctx, LOCAL, patient_id, OdiAnswers((1,) * 10), wording_pack_id=pack.id
    )
    record_questionnaire(ctx, LOCAL, patient_id, RmdqAnswers((2,)))  # from the paper form
    exported = privacy.export_patient_data(ctx, LOCAL, patient_id)
    assert exported["questionnaire_wording"] == [
        {
            "questionnaire_id": int(at_home.id),
            "instrument": "odi",
            "language": "en",
            "pack_version": 5,
            "checksum": pack.checksum,
        }
    ]
