"""The server-rendered pages: setup, sign-in, the patient's journey, the clinician's and admin's."""

from __future__ import annotations

import re
from pathlib import Path

from spinestep.services.records import Role
from tests.web.pageflow import complete_session, flag_fields, form_token, post_step
from tests.web.support import PASSWORD, Clinic, TestClient, login, make_app


def test_a_fresh_install_opens_on_setup_and_creates_the_first_admin(tmp_path: Path) -> None:
    app, ctx, engine = make_app(tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        client = TestClient(app, follow_redirects=False)
        assert client.get("/").headers["location"] == "/setup"
        token = form_token(client.get("/setup").text)
        short = client.post(
            "/setup",
            data={
                "csrf_token": token,
                "display_name": "Ada",
                "email": "ada@x.example",
                "password": "short",
            },
        )
        assert short.status_code == 422
        created = client.post(
            "/setup",
            data={
                "csrf_token": token,
                "display_name": "Ada",
                "email": "ada@x.example",
                "password": PASSWORD,
            },
        )
        assert created.headers["location"] == "/admin"
        assert client.get("/admin").status_code == 200
        # Once an account exists the setup page is gone.
        assert TestClient(app, follow_redirects=False).get("/setup").headers["location"] == "/"
        with ctx.uow() as uow:
            (user,) = uow.users.list_all()
        assert user.role is Role.ADMIN
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    finally:
        engine.dispose()


def test_wrong_password_is_refused_with_the_same_message(clinic: Clinic) -> None:
    client = clinic.client()
    token = form_token(client.get("/login").text)
    for email in (clinic.emails["patient_a"], "nobody@nowhere.example"):
        response = client.post(
            "/login", data={"csrf_token": token, "email": email, "password": "wrong password"}
        )
        assert response.status_code == 401
        assert "E-mail or password is wrong." in response.text


def test_patient_does_a_guided_session_and_sees_the_decision(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    today = client.get("/today")
    assert today.status_code == 200
    assert "Stage 1 of 3" in today.text
    assert "/static/img/stage-supine.svg" in today.text
    assert re.search(r'class="big">0 <span class="muted">of 5', today.text)
    complete_session(client)
    decision = client.get("/decision").text
    # One session: R9 stay.
    assert 'class="badge stay"' in decision
    assert "(R9)" in decision
    assert re.search(r'class="big">1 <span class="muted">of 5', client.get("/today").text)
    history = client.get("/history")
    assert history.status_code == 200
    assert history.text.count('<svg class="chart"') == 3


def test_stop_now_asks_how_things_are_and_stops(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    step = post_step(client, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None
    step = post_step(client, step, action="next", pain_before="3", location_before="back")
    assert step is not None
    stop = post_step(client, step, action="stop")
    assert stop is not None and "Stopping now" in stop
    assert 'name="pain_before"' not in stop.split("<form")[1].split("hidden")[0]
    done = post_step(client, stop, action="next", pain_now="7", location_now="below_knee")
    assert done is None
    decision = client.get("/decision").text
    # back -> below_knee peripheralises: R4 stop; the programme pauses.
    assert 'class="badge stop"' in decision
    assert "paused" in client.get("/today").text
    assert client.get("/session").headers["location"] == "/today"


def test_a_yes_in_the_safety_check_ends_the_session_with_the_emergency_number(
    clinic: Clinic,
) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    answers = {f: "no" for f in flag_fields(html)}
    answers["flag_saddle_anaesthesia"] = "yes"
    assert post_step(client, html, action="next", **answers) is None
    decision = client.get("/decision").text
    assert 'class="badge emergency"' in decision
    assert "Call 112" in decision  # the patient's emergency number (default 112)


def test_a_missing_answer_is_named_and_the_step_shown_again(clinic: Clinic) -> None:
    client = clinic.client("patient_a")
    html = client.get("/session").text
    step = post_step(client, html, action="next", **{f: "no" for f in flag_fields(html)})
    assert step is not None
    again = post_step(client, step, action="next", location_before="back")
    assert again is not None
    assert "choose the pain score (0-10)" in again
    assert "Before you start" in again


def test_clinician_sees_the_stop_and_moves_the_patient_back_a_stage(clinic: Clinic) -> None:
    doctor = clinic.client("clinician_a")
    page = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    token = form_token(page)
    form = {
        "csrf_token": token,
        "protocol": "lumbar-flexion",
        "current_stage": "2",
        "reps": "10",
        "hold_min": "1",
        "hold_max": "2",
        "sessions_per_day": "5",
        "progress_after_sessions": "3",
        "min_days_at_stage": "2",
        "worsening_points": "2",
        "clearance": "yes",
        "directional_preference": "flexion",
    }
    saved = doctor.post(f"/clinic/patients/{clinic.patient_a}/plan", data=form)
    assert saved.status_code == 303
    patient = clinic.client("patient_a")
    complete_session(patient, pain=(3, 3, 5), where=("buttock", "buttock"), effort="moderate")
    # Stage 2, after 5 - before 3 = 2 >= worsening_points 2: aggravating, R6 regress.
    assert 'class="badge regress"' in patient.get("/decision").text
    listing = doctor.get("/clinic").text
    assert "Zebulon Quillfeather" in listing
    assert 'class="badge regress"' in listing
    detail = doctor.get(f"/clinic/patients/{clinic.patient_a}").text
    assert "R6" in detail
    assert "stage 1 of 3" in detail.lower()
    form["current_stage"] = "1"
    bad = dict(form, hold_min="5", hold_max="2")
    refused = doctor.post(f"/clinic/patients/{clinic.patient_a}/plan", data=bad)
    assert refused.status_code == 422
    assert "shortest hold" in refused.text


def test_clinician_invites_and_the_patient_onboards(clinic: Clinic) -> None:
    doctor = clinic.client("clinician_a")
    token = form_token(doctor.get("/clinic/invite").text)
    page = doctor.post(
        "/clinic/invite",
        data={
            "csrf_token": token,
            "display_name": "Ivo Invited",
            "email": "ivo@home.example",
            "time_zone": "Europe/Berlin",
            "emergency_number": "112",
        },
    )
    # No public URL and a loopback server: the link names the server's own address.
    link = re.search(r'value="http://127\.0\.0\.1:8000(/invite/[^"]+)"', page.text)
    assert link, page.text
    newcomer = clinic.client()
    token = form_token(newcomer.get(link.group(1)).text)
    accepted = newcomer.post(
        "/invite",
        data={
            "csrf_token": token,
            "token": link.group(1).rsplit("/", 1)[1],
            "display_name": "Ivo",
            "password": PASSWORD,
        },
    )
    assert accepted.headers["location"] == "/today"
    assert newcomer.get("/today").headers["location"] == "/onboarding"
    html = newcomer.get("/onboarding").text
    answered = newcomer.post(
        "/onboarding", data={"csrf_token": form_token(html), **{f: "no" for f in flag_fields(html)}}
    )
    assert answered.headers["location"] == "/today"
    assert "not yet cleared you" in newcomer.get("/today").text


def test_self_managed_person_deletes_their_account(clinic: Clinic) -> None:
    admin = clinic.client("admin")
    token = form_token(admin.get("/admin").text)
    added = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "display_name": "Sol",
            "email": "sol@home.example",
            "role": "patient",
            "password": PASSWORD,
        },
    )
    assert added.headers["location"] == "/admin?done=user"
    person = clinic.client()
    login(person, "sol@home.example")
    html = person.get("/onboarding").text
    data = {f: "no" for f in flag_fields(html)}
    data.update(
        csrf_token=form_token(html),
        display_name="Sol",
        time_zone="UTC",
        emergency_number="911",
        protocol="lumbar-flexion",
        clearance="yes",
    )
    assert person.post("/onboarding", data=data).headers["location"] == "/today"
    page = person.get("/my-data").text
    exported = person.post("/my-data/export", data={"csrf_token": form_token(page)})
    assert exported.headers["content-type"].startswith("application/json")
    assert '"Sol"' in exported.text
    deleted = person.post(
        "/my-data/delete", data={"csrf_token": form_token(page), "confirm": "yes"}
    )
    assert deleted.headers["location"] == "/login"
    again = clinic.client()
    token = form_token(again.get("/login").text)
    refused = again.post(
        "/login", data={"csrf_token": token, "email": "sol@home.example", "password": PASSWORD}
    )
    assert refused.status_code == 401


def test_clinic_patient_deletion_goes_to_the_admin(clinic: Clinic) -> None:
    patient = clinic.client("patient_a")
    page = patient.get("/my-data").text
    asked = patient.post("/my-data/delete", data={"csrf_token": form_token(page), "confirm": "yes"})
    assert "sent to the clinic" in asked.text
    admin = clinic.client("admin")
    listing = admin.get("/admin/deletions").text
    action = re.search(r'action="(/admin/deletions/\d+/carry-out)"', listing)
    assert action
    done = admin.post(action.group(1), data={"csrf_token": form_token(listing), "confirm": "yes"})
    assert done.headers["location"] == "/admin/deletions?done=1"
    assert (
        clinic.client("clinician_a").get(f"/clinic/patients/{clinic.patient_a}").status_code == 404
    )


def test_alerts_list_the_emergency(clinic: Clinic) -> None:
    patient = clinic.client("patient_a")
    html = patient.get("/session").text
    answers = {f: "no" for f in flag_fields(html)}
    answers["flag_new_bowel_dysfunction"] = "yes"
    post_step(patient, html, action="next", **answers)
    alerts = clinic.client("clinician_a").get("/clinic/alerts").text
    assert 'class="badge emergency"' in alerts
    assert "Zebulon Quillfeather" in alerts
    assert "Zebulon" not in clinic.client("clinician_b").get("/clinic/alerts").text
