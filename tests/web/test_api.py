"""The JSON API, route by route, on SQLite and PostgreSQL.

Expected decisions are worked out by hand from SPEC §3 (noted at each case).
"""

from __future__ import annotations

from typing import Any

from spinestep.domain.redflags import flags_for_onboarding
from spinestep.services import accounts
from spinestep.services.records import Role
from tests.support.flags import EVERY_SESSION_CODES
from tests.web.support import INSTALLER, PASSWORD, Clinic

EVERY_SESSION_FLAGS = set(EVERY_SESSION_CODES)


def session(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pain_before": 3,
        "pain_during": 2,
        "pain_after": 2,
        "location_before": "thigh",
        "location_after": "buttock",
        "effort": "easy",
        "reps": 10,
    }
    body.update(overrides)
    return body


def test_health_answers_ok(clinic: Clinic) -> None:
    response = clinic.api(None).get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_token_is_issued_for_the_right_password_only_and_can_be_revoked(clinic: Clinic) -> None:
    client = clinic.api(None)
    wrong = client.post(
        "/api/v1/auth/token", json={"email": clinic.emails["patient_a"], "password": "nope nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    token = clinic.token("patient_a")
    headers = {"authorization": f"Bearer {token}"}
    account = client.get("/api/v1/account", headers=headers)
    assert account.json()["role"] == "patient"
    assert account.json()["email"] == clinic.emails["patient_a"]
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/account", headers=headers).status_code == 401


def test_plan_shows_stage_one_and_the_default_dose(clinic: Clinic) -> None:
    plan = clinic.api("patient_a").get("/api/v1/me/plan").json()
    # SPEC §2: stage 1 is supine; 10 reps, hold 1-2 s, 5 sessions a day.
    assert plan["stage"]["number"] == 1
    assert plan["stage"]["id"] == "supine"
    assert plan["stage"]["dose"] == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    assert plan["stage_count"] == 3
    assert plan["sessions_today"] == 0
    assert plan["sessions_planned_today"] == 5
    assert plan["paused"] is False
    assert plan["clearance"] is True
    assert plan["latest_decision"] is None


def test_screening_questions_are_the_every_session_flags(clinic: Clinic) -> None:
    questions = clinic.api("patient_a").get("/api/v1/me/screening-questions").json()
    assert {q["code"] for q in questions} == EVERY_SESSION_FLAGS
    assert all(q["question"] for q in questions)


def test_a_session_is_recorded_and_decided_at_once(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    response = client.post("/api/v1/me/sessions", json=session())
    assert response.status_code == 201, response.text
    outcome = response.json()
    # One session only: R8 needs 3, so R9 stay. 3 -> 2 during is "decreased", after 2 < 3
    # "better", thigh -> buttock with thigh >= buttock is "centralised".
    assert outcome["decision"]["decision"] == "stay"
    assert outcome["decision"]["reasons"][0]["rule"] == "R9"
    assert outcome["decision"]["responses"] == {
        "during": "decreased",
        "after": "better",
        "location": "centralised",
    }
    assert outcome["session"]["pain_before"] == 3
    assert outcome["paused"] is False
    assert client.get("/api/v1/me/plan").json()["sessions_today"] == 1
    history = client.get("/api/v1/me/history").json()
    assert len(history["sessions"]) == 1
    assert len(history["decisions"]) == 1
    assert client.get("/api/v1/me/decision").json()["decision"] == "stay"


def test_spreading_symptoms_stop_and_pause_the_programme(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    # back -> below_knee: further, and at least buttock: peripheralised, R4 stop (soon).
    response = client.post(
        "/api/v1/me/sessions", json=session(location_before="back", location_after="below_knee")
    )
    decision = response.json()["decision"]
    assert (decision["decision"], decision["urgency"]) == ("stop", "soon")
    assert decision["reasons"][0]["rule"] == "R4"
    assert decision["next_stage"] is None and decision["dose"] is None
    assert client.get("/api/v1/me/plan").json()["paused"] is True
    again = client.post("/api/v1/me/sessions", json=session())
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "programme_paused"


def test_stop_now_saves_an_uncompleted_session(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    body = {"pain_before": 3, "pain_now": 6, "location_before": "thigh", "location_now": "foot"}
    response = client.post("/api/v1/me/stop-now", json=body)
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["session"]["completed"] is False
    # thigh -> foot peripheralises: R4 stop.
    assert outcome["decision"]["decision"] == "stop"
    assert outcome["paused"] is True


def test_a_red_flag_pauses_and_the_clinician_resolves_and_resumes(clinic: Clinic) -> None:
    patient = clinic.api("patient_a")
    answers = {code: code == "new_bladder_dysfunction" for code in EVERY_SESSION_FLAGS}
    response = patient.post("/api/v1/me/screening", json={"answers": answers})
    assert response.status_code == 201
    assert response.json()["flagged"] == ["new_bladder_dysfunction"]
    # SPEC §4: new bladder dysfunction is an emergency (R1).
    assert response.json()["decision"]["decision"] == "emergency"
    assert patient.get("/api/v1/me/plan").json()["paused"] is True

    doctor = clinic.api("clinician_a")
    listed = doctor.get("/api/v1/patients").json()
    assert listed[0]["id"] == clinic.patient_a
    assert listed[0]["attention"]["level"] == "emergency"
    alerts = doctor.get("/api/v1/alerts").json()
    assert [(a["kind"], a["urgency"]) for a in alerts] == [("red_flag", "emergency")]
    detail = doctor.get(f"/api/v1/patients/{clinic.patient_a}").json()
    (flag,) = [f for f in detail["red_flags"] if not f["resolved"]]

    base = f"/api/v1/patients/{clinic.patient_a}"
    refused = doctor.post(f"{base}/resume", json={"note": "seen"})
    assert refused.status_code == 409  # the flag is still open
    empty = doctor.post(f"{base}/red-flags/{flag['id']}/resolve", json={"outcome": "  "})
    assert empty.status_code == 422
    resolved = doctor.post(
        f"{base}/red-flags/{flag['id']}/resolve", json={"outcome": "Seen in A&E: no cauda equina."}
    )
    assert resolved.status_code == 200
    assert resolved.json()["resolved"] is True
    resumed = doctor.post(f"{base}/resume", json={"note": "reviewed"})
    assert resumed.status_code == 200
    assert resumed.json()["paused"] is False
    assert patient.get("/api/v1/me/plan").json()["paused"] is False


def test_clinician_moves_the_patient_and_changes_the_dose(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    url = f"/api/v1/patients/{clinic.patient_a}/plan"
    changed = doctor.patch(
        url,
        json={
            "current_stage": 2,
            "dose": {"reps": 8, "hold_s": [2, 3], "sessions_per_day": 4},
            "settings": {"worsening_points": 3},
        },
    )
    assert changed.status_code == 200, changed.text
    plan = changed.json()
    assert plan["stage"]["id"] == "seated"
    assert plan["stage"]["dose"] == {"reps": 8, "hold_s": [2, 3], "sessions_per_day": 4}
    assert clinic.api("patient_a").get("/api/v1/me/plan").json()["stage"]["number"] == 2
    assert doctor.patch(url, json={"current_stage": 9}).status_code == 422
    withdrawn = doctor.patch(url, json={"clearance": False}).json()
    assert withdrawn["clearance"] is False
    # Without clearance no session is offered (R2 / SPEC safety stance).
    refused = clinic.api("patient_a").post("/api/v1/me/sessions", json=session())
    assert refused.status_code == 409


def test_invite_creates_an_uncleared_profile_the_patient_claims(clinic: Clinic) -> None:
    doctor = clinic.api("clinician_a")
    invite = doctor.post(
        "/api/v1/invites", json={"email": "new.patient@home.example", "display_name": "Nia New"}
    )
    assert invite.status_code == 201, invite.text
    token = invite.json()["url"].rsplit("/", 1)[1]
    anonymous = clinic.api(None)
    accepted = anonymous.post(
        "/api/v1/invites/accept",
        json={"token": token, "display_name": "Nia", "password": PASSWORD},
    )
    assert accepted.status_code == 201
    assert accepted.json()["role"] == "patient"
    again = anonymous.post(
        "/api/v1/invites/accept",
        json={"token": token, "display_name": "Nia", "password": PASSWORD},
    )
    assert again.status_code == 404  # one time only
    login = anonymous.post(
        "/api/v1/auth/token", json={"email": "new.patient@home.example", "password": PASSWORD}
    )
    headers = {"authorization": f"Bearer {login.json()['token']}"}
    assert anonymous.get("/api/v1/me/plan", headers=headers).json()["clearance"] is False
    names = [p["display_name"] for p in doctor.get("/api/v1/patients").json()]
    assert "Nia New" in names


def test_self_managed_person_onboards_through_the_api(clinic: Clinic) -> None:
    accounts.create_user(clinic.ctx, INSTALLER, "solo@home.example", "Solo", Role.PATIENT, PASSWORD)
    client = clinic.api(None)
    token = client.post(
        "/api/v1/auth/token", json={"email": "solo@home.example", "password": PASSWORD}
    ).json()["token"]
    client.headers["authorization"] = f"Bearer {token}"
    assert client.get("/api/v1/me/plan").status_code == 404
    answers = {flag.code: False for flag in flags_for_onboarding()}
    body = {
        "display_name": "Solo",
        "time_zone": "Europe/Paris",
        "clearance_confirmed": True,
        "red_flag_answers": answers,
    }
    response = client.post("/api/v1/me/onboarding", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["flagged"] == []
    plan = client.get("/api/v1/me/plan").json()
    assert plan["time_zone"] == "Europe/Paris"
    assert plan["clearance"] is True
    assert client.post("/api/v1/me/onboarding", json=body).status_code == 409


def test_export_and_deletion_request_carried_out_by_the_admin(clinic: Clinic) -> None:
    patient = clinic.api("patient_a")
    patient.post("/api/v1/me/sessions", json=session())
    exported = patient.get("/api/v1/me/export")
    assert exported.status_code == 200
    assert "Zebulon Quillfeather" in exported.text
    assert "password_hash" not in exported.text
    assert (
        clinic.api("patient_a")
        .post(
            "/api/v1/me/resume",
            json={"assessed_by": "GP", "assessed_on": "2026-11-20", "told": "fine"},
        )
        .status_code
        == 403
    )
    deletion = patient.delete("/api/v1/me")
    assert deletion.json()["status"] == "requested"  # a clinic's patient: the admin decides
    admin = clinic.api("admin")
    pending = admin.get("/api/v1/admin/deletion-requests").json()
    assert [r["patient_id"] for r in pending] == [clinic.patient_a]
    done = admin.post(f"/api/v1/admin/deletion-requests/{pending[0]['id']}/carry-out")
    assert done.status_code == 204
    assert admin.get("/api/v1/admin/deletion-requests").json() == []
    assert patient.get("/api/v1/me/plan").status_code == 401
    assert clinic.api("clinician_a").get(f"/api/v1/patients/{clinic.patient_a}").status_code == 404


def test_admin_lists_and_adds_accounts(clinic: Clinic) -> None:
    admin = clinic.api("admin")
    emails = {u["email"] for u in admin.get("/api/v1/admin/users").json()}
    assert set(clinic.emails.values()) <= emails
    body = {
        "email": "cara@clinic.example",
        "display_name": "Cara",
        "role": "clinician",
        "password": PASSWORD,
    }
    assert admin.post("/api/v1/admin/users", json=body).status_code == 201
    assert admin.post("/api/v1/admin/users", json=body).status_code == 409
    short = dict(body, email="dan@clinic.example", password="short")
    assert admin.post("/api/v1/admin/users", json=short).status_code == 422


def test_malformed_requests_get_a_clear_4xx(clinic: Clinic) -> None:
    client = clinic.api("patient_a")
    bad_json = client.post(
        "/api/v1/me/sessions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422
    too_much = client.post("/api/v1/me/sessions", json=session(pain_after=11))
    assert too_much.status_code == 422
    assert too_much.json()["error"]["path"] == "pain_after"
    boolean = client.post("/api/v1/me/sessions", json=session(pain_after=True))
    assert boolean.status_code == 422
    as_text = client.post("/api/v1/me/sessions", json=session(pain_after="2"))
    assert as_text.status_code == 422
    extra = client.post("/api/v1/me/sessions", json=session(mood="fine"))
    assert extra.status_code == 422
    nul = clinic.api("clinician_a").post(
        f"/api/v1/patients/{clinic.patient_a}/resume", json={"note": "a\x00b"}
    )
    assert nul.status_code == 422
    huge = clinic.api("clinician_a").get("/api/v1/patients/99999999999999999999")
    assert huge.status_code == 422
    unknown_flag = client.post("/api/v1/me/screening", json={"answers": {"tired": True}})
    assert unknown_flag.status_code == 422
