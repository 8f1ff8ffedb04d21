"""Wording packs on the web: the admin loads one (page or API), and the patient then
answers the questionnaire item by item at home, scored as always. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import yaml

from tests.support.wording import pack_document, pack_text, resealed
from tests.web.pageflow import form_token
from tests.web.support import Clinic


def _load_by_api(clinic: Clinic, text: str) -> int:
    done = clinic.api("admin").post("/api/v1/admin/wording-packs", json={"pack": text})
    assert done.status_code == 201, done.text
    pack_id: int = done.json()["pack"]["id"]
    return pack_id


def _load_by_page(clinic: Clinic, text: str) -> tuple[int, str]:
    client = clinic.client("admin")
    token = form_token(client.get("/admin/wording").text)
    done = client.post("/admin/wording", data={"csrf_token": token, "pack": text})
    if done.status_code == 303:
        return 303, client.get(done.headers["location"]).text
    return done.status_code, done.text


def test_without_a_pack_the_odi_page_points_to_the_paper_form(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    assert "paper form" in client.get("/questionnaires/odi").text
    listing = client.get("/questionnaires").text
    assert "Oswestry Disability Index (ODI) items is on the paper form" in listing
    assert "Roland-Morris Disability Questionnaire (RMDQ) items is on the paper form" in listing
    assert clinic.api("patient_a").get("/api/v1/wording-packs/odi").status_code == 404


def test_with_a_pack_the_patient_answers_every_item_and_it_is_scored(clinic: Clinic) -> None:
    pack_id = _load_by_api(clinic, pack_text("odi", version=4))
    client = clinic.client("patient_a")
    page = client.get("/questionnaires/odi").text
    assert "paper form" not in page
    assert "10. Test item 10" in page
    assert "Test option 3.5 v4" in page
    assert f'name="wording_pack" value="{pack_id}"' in page
    listing = client.get("/questionnaires").text
    assert "Oswestry Disability Index (ODI) items is on the paper form" not in listing

    answers = {f"odi_{n}": "2" for n in range(1, 10)}  # section 10 left unanswered
    done = client.post(
        "/questionnaires/odi",
        data={"csrf_token": form_token(page), "wording_pack": str(pack_id), **answers},
    )
    assert done.status_code == 303, done.text
    stored = clinic.api("patient_a").get("/api/v1/me/questionnaires").json()
    baseline = next(m for m in stored["measures"] if m["measure"] == "odi")["baseline"]
    assert baseline["score"] == 40  # 18 of 45 answered points
    with clinic.ctx.uow() as uow:
        (response,) = uow.questionnaires.for_patient(clinic.patient_a, "odi")
        assert response.id is not None
        shown = uow.clinic.shown_packs([response.id])
    assert shown[response.id].pack_version == 4


def test_an_rmdq_pack_shows_each_statement_to_tick(clinic: Clinic) -> None:
    _load_by_api(clinic, pack_text("rmdq"))
    page = clinic.client("patient_a").get("/questionnaires/rmdq").text
    assert re.search(r'name="rmdq_24" value="yes"> 24\. Test item 24', page)


def test_a_pack_shown_for_another_questionnaire_is_refused_on_the_page(clinic: Clinic) -> None:
    odi = _load_by_api(clinic, pack_text("odi"))
    client = clinic.client("patient_a")
    page = client.get("/questionnaires/rmdq").text
    refused = client.post(
        "/questionnaires/rmdq",
        data={"csrf_token": form_token(page), "wording_pack": str(odi), "rmdq_1": "yes"},
    )
    assert refused.status_code == 422
    assert "wording_pack: is not a loaded wording pack of rmdq" in refused.text


def test_the_admin_page_loads_a_pack_and_lists_it(clinic: Clinic) -> None:
    status, html = _load_by_page(clinic, pack_text("rmdq", version=2))
    assert status == 303
    assert "was loaded" in html
    assert re.search(r"<td>rmdq</td><td>en</td><td>2</td>", html)
    status, html = _load_by_page(clinic, pack_text("rmdq", version=2))
    assert status == 303 and "already loaded" in html


def _short_odi() -> str:
    document = pack_document("odi")
    document["items"] = document["items"][:8]
    return resealed(document)


def _odi_with_rmdq_options() -> str:
    document = pack_document("odi")
    document["items"] = pack_document("rmdq")["items"][:10]
    return resealed(document)


def test_the_admin_page_names_what_is_wrong_and_keeps_the_text(clinic: Clinic) -> None:
    cases = [
        (pack_text("odi", checksum="1" * 64), 422, "checksum: does not match"),
        (_short_odi(), 422, "items: has 8 items; the odi scoring has 10"),
        (_odi_with_rmdq_options(), 422, "items[0].options: has 2 options"),
        (resealed({**pack_document("odi"), "instrument": "eq5d"}), 422, "instrument: must be"),
        ("", 422, "paste the text of a wording pack"),
    ]
    for text, status, message in cases:
        got, html = _load_by_page(clinic, text)
        assert got == status, message
        assert message in html
        if text:
            assert "Test item 1" in html  # the pasted text is shown again
    _load_by_page(clinic, pack_text("odi"))
    changed = pack_document("odi")
    changed["title"] = "Other title"
    got, html = _load_by_page(clinic, resealed(changed))
    assert got == 409 and "raise pack_version" in html


def test_the_api_refuses_a_bad_pack_and_only_admins_load(clinic: Clinic) -> None:
    admin = clinic.api("admin")
    bad = admin.post("/api/v1/admin/wording-packs", json={"pack": _short_odi()})
    assert bad.status_code == 422 and bad.json()["error"]["path"] == "items"
    assert admin.get("/api/v1/admin/wording-packs").json() == []
    assert (
        clinic.api("clinician_a")
        .post("/api/v1/admin/wording-packs", json={"pack": pack_text("odi")})
        .status_code
        == 403
    )
    assert clinic.client("clinician_a").get("/admin/wording").status_code == 403


def test_anyone_signed_in_reads_the_current_wording(clinic: Clinic) -> None:
    _load_by_api(clinic, pack_text("psfs", version=1))
    _load_by_api(clinic, pack_text("psfs", version=2))
    shown = clinic.api("patient_b").get("/api/v1/wording-packs/psfs")
    assert shown.status_code == 200
    body = shown.json()
    assert body["pack_version"] == 2
    assert body["items"][0]["options"][10] == {"score": 10, "text": "Test option 1.10 v2"}
    assert clinic.api("patient_b").get("/api/v1/wording-packs/startback").status_code == 422


def test_the_psfs_page_rates_with_the_packs_options(clinic: Clinic) -> None:
    pack_id = _load_by_api(clinic, pack_text("psfs"))
    client = clinic.client("patient_a")
    page = client.get("/questionnaires/psfs").text
    assert '<option value="10">Test option 1.10 v1</option>' in page
    done = client.post(
        "/questionnaires/psfs",
        data={
            "csrf_token": form_token(page),
            "wording_pack": str(pack_id),
            "psfs_activity_1": "gardening",
            "psfs_rating_1": "4",
        },
    )
    assert done.status_code == 303


def test_the_pack_text_survives_yaml_round_trips(clinic: Clinic) -> None:
    """A pack pasted with Windows line ends loads the same."""
    text = pack_text("nprs").replace("\n", "\r\n")
    assert yaml.safe_load(text)["instrument"] == "nprs"
    status, html = _load_by_page(clinic, text)
    assert status == 303, html
