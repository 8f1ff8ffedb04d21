"""The care team's contact details on the pages and in the API: set by the admin and by
each clinician, shown to the patient wherever they are told to contact someone, the
emergency number first. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.web.pageflow import flag_fields, form_token, post_step
from tests.web.support import Clinic, TestClient

CLINIC = {"phone": "+44 20 7946 0000", "email": "desk@clinic.example", "hours": "Mon-Fri 8-18"}
ANNA = {"phone": "+44 20 7946 0123", "email": "anna@physio.example", "hours": "Tue 9-13"}


def _set_all(clinic: Clinic) -> None:
    assert clinic.api("admin").put("/api/v1/admin/clinic-contacts", json=CLINIC).status_code == 200
    done = clinic.api("clinician_a").put("/api/v1/account/contacts", json=ANNA)
    assert done.status_code == 200, done.text


def _order(html: str, *needles: str) -> list[int]:
    """Where each needle first appears in the contacts list of the page."""
    block = html.split('id="care-contacts"', 1)[1].split("</ol>", 1)[0]
    return [block.index(n) for n in needles]


def _stop_by_page(client: TestClient) -> str:
    html = client.get("/session").text
    step = post_step(client, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None
    step = post_step(client, step, action="next", pain_before="3", location_before="back")
    assert step is not None
    stop = post_step(client, step, action="stop")
    assert stop is not None
    assert post_step(client, stop, action="next", pain_now="7", location_now="below_knee") is None
    return client.get("/decision").text


def test_the_api_sets_and_reads_contacts_and_the_patient_sees_them_in_order(
    clinic: Clinic,
) -> None:
    _set_all(clinic)
    assert clinic.api("admin").get("/api/v1/admin/clinic-contacts").json() == CLINIC
    assert clinic.api("clinician_a").get("/api/v1/account/contacts").json() == ANNA
    team = clinic.api("patient_a").get("/api/v1/me/care-team")
    assert team.status_code == 200
    assert team.json() == {
        "emergency_number": "112",
        "clinicians": [{"name": "Anna Physio", **ANNA}],
        "clinic": CLINIC,
    }
    other = clinic.api("patient_b").get("/api/v1/me/care-team").json()
    assert other["clinicians"] == [
        {"name": "Bert Physio", "phone": None, "email": None, "hours": None}
    ]


def test_the_api_refuses_bad_details_naming_the_field(clinic: Clinic) -> None:
    admin = clinic.api("admin")
    bad = admin.put("/api/v1/admin/clinic-contacts", json={"phone": "ring the bell"})
    assert bad.status_code == 422
    assert bad.json()["error"]["path"] == "phone"
    unknown = admin.put("/api/v1/admin/clinic-contacts", json={"fax": "0800 000 000"})
    assert unknown.status_code == 422
    assert admin.get("/api/v1/admin/clinic-contacts").json() == {
        "phone": None,
        "email": None,
        "hours": None,
    }


def test_each_role_reaches_only_its_own_routes(clinic: Clinic) -> None:
    assert (
        clinic.api("clinician_a").put("/api/v1/admin/clinic-contacts", json={}).status_code == 403
    )
    assert clinic.api("patient_a").put("/api/v1/account/contacts", json={}).status_code == 403
    assert clinic.api("admin").put("/api/v1/account/contacts", json={}).status_code == 403
    assert clinic.api("clinician_a").get("/api/v1/me/care-team").status_code == 403
    assert clinic.api(None).get("/api/v1/me/care-team").status_code == 401


def test_the_stop_page_lists_the_emergency_number_then_the_clinician_then_the_clinic(
    clinic: Clinic,
) -> None:
    _set_all(clinic)
    decision = _stop_by_page(clinic.client("patient_a"))
    assert 'class="badge stop"' in decision
    first, anna, desk = _order(decision, "tel:112", "tel:+442079460123", "tel:+442079460000")
    assert first < anna < desk
    assert "Anna Physio" in decision and "mailto:anna@physio.example" in decision
    today = clinic.client("patient_a").get("/today").text
    assert "Contact your clinician" in today
    first, anna, desk = _order(today, "tel:112", "tel:+442079460123", "tel:+442079460000")
    assert first < anna < desk


def test_the_emergency_page_shows_the_call_button_first_then_the_contacts(clinic: Clinic) -> None:
    _set_all(clinic)
    client = clinic.client("patient_a")
    html = client.get("/session").text
    answers = {f: "no" for f in flag_fields(html)}
    answers["flag_saddle_anaesthesia"] = "yes"
    assert post_step(client, html, action="next", **answers) is None
    decision = client.get("/decision").text
    assert decision.index("Call 112") < decision.index('id="care-contacts"')
    first, anna = _order(decision, "tel:112", "tel:+442079460123")
    assert first < anna


def test_without_details_the_pages_say_whom_to_contact_as_before(clinic: Clinic) -> None:
    decision = _stop_by_page(clinic.client("patient_a"))
    assert 'id="care-contacts"' not in decision
    today = clinic.client("patient_a").get("/today").text
    assert "Contact your clinician, Anna Physio," in today
    assert 'href="tel:112"' in today


def test_a_routine_decision_does_not_list_contacts(clinic: Clinic) -> None:
    from tests.web.pageflow import complete_session

    _set_all(clinic)
    client = clinic.client("patient_a")
    complete_session(client)
    decision = client.get("/decision").text
    assert 'class="badge stay"' in decision
    assert 'id="care-contacts"' not in decision


def test_the_admin_page_saves_the_clinics_details_and_shows_errors(clinic: Clinic) -> None:
    client = clinic.client("admin")
    page = client.get("/admin/clinic")
    assert page.status_code == 200
    token = form_token(page.text)
    bad = client.post(
        "/admin/clinic",
        data={"csrf_token": token, "phone": "0800 000 000", "email": "desk@", "hours": ""},
    )
    assert bad.status_code == 422
    assert "email: must be an e-mail address" in bad.text
    assert 'value="0800 000 000"' in bad.text  # what was typed is kept
    done = client.post("/admin/clinic", data={"csrf_token": token, **CLINIC})
    assert done.status_code == 303
    saved = client.get(done.headers["location"]).text
    assert "were saved" in saved and 'value="desk@clinic.example"' in saved
    assert clinic.client("clinician_a").get("/admin/clinic").status_code == 403


def test_a_clinician_sets_their_own_details_on_the_account_page(clinic: Clinic) -> None:
    client = clinic.client("clinician_a")
    page = client.get("/account")
    assert "Your contact details for patients" in page.text
    token = form_token(page.text)
    bad = client.post("/account/contacts", data={"csrf_token": token, "phone": "12"})
    assert bad.status_code == 422 and "phone: must be a phone number" in bad.text
    done = client.post("/account/contacts", data={"csrf_token": token, **ANNA})
    assert done.status_code == 303
    assert "were saved" in client.get("/account?done=contacts").text
    assert clinic.api("patient_a").get("/api/v1/me/care-team").json()["clinicians"][0] == {
        "name": "Anna Physio",
        **ANNA,
    }
    patient = clinic.client("patient_a")
    assert "Your contact details for patients" not in patient.get("/account").text
    assert patient.post("/account/contacts", data={"csrf_token": token}).status_code == 403


def test_changes_are_audited_without_the_details(clinic: Clinic) -> None:
    _set_all(clinic)
    with clinic.ctx.uow() as uow:
        entries = uow.audit.recent(50)
    actions = {e.action for e in entries}
    assert {"contacts.clinic.update", "contacts.clinician.update"} <= actions
    own = [e for e in entries if e.action == "contacts.clinician.update"]
    assert own[0].subject_user_id == clinic.clinician_a
    assert re.search(r"7946", repr(entries)) is None


def test_a_self_managed_patient_sees_the_clinic_on_the_paused_and_resume_pages(
    clinic: Clinic,
) -> None:
    from spinestep.services import screening
    from spinestep.services.context import Actor
    from spinestep.services.records import Role
    from tests.web.support import add_patient, login

    user_id, patient_id = add_patient(clinic.ctx, None, "solo@home.example", "Solo")
    me = Actor(role=Role.PATIENT, user_id=user_id)
    screening.record_screening(clinic.ctx, me, patient_id, {"major_trauma": True})
    _set_all(clinic)
    client = TestClient(clinic.app, follow_redirects=False)
    login(client, "solo@home.example")
    today = client.get("/today").text
    assert "See a doctor or physiotherapist" in today
    first, desk = _order(today, "tel:112", "tel:+442079460000")
    assert first < desk
    assert "Your clinician" not in today.split('id="care-contacts"', 1)[1].split("</ol>")[0]
    resume = client.get("/resume")
    assert resume.status_code == 200
    first, desk = _order(resume.text, "tel:112", "tel:+442079460000")
    assert first < desk
