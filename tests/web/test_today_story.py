"""Today tells one story on the pages and in the API (SPEC §3.5): the same adherence on
every screen, a paused Today with only what to do, the resume instead of the old message,
maintenance as maintenance, the patient's hold everywhere."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spinestep.domain.model import Dose, Phase
from spinestep.services import clinician, programme
from spinestep.services.context import Actor, FixedClock
from spinestep.services.records import Role
from tests.cli.coach_support import SPINESTEP, coach_env
from tests.web.pageflow import complete_session, flag_fields, post_step
from tests.web.support import Clinic, TestClient, add_patient, build_clinic, login

NOON_ZONES = [f"Etc/GMT{offset:+d}" if offset else "Etc/GMT" for offset in range(-12, 13)]


def zone_near_noon() -> str:
    """A time zone where it is now between 10:00 and 14:00, so the test's few seconds never
    cross the patient's midnight whatever time the suite runs."""
    now = datetime.now(UTC)
    for name in NOON_ZONES:
        # Etc/GMT+5 is five hours behind UTC (the POSIX sign).
        hours = -int(name[7:]) if name != "Etc/GMT" else 0
        if 10 <= (now + timedelta(hours=hours)).hour <= 13:
            return name
    raise AssertionError("some zone is always near noon")


def doctor_of(clinic: Clinic) -> Actor:
    return Actor(role=Role.CLINICIAN, user_id=clinic.clinician_a)


def today_main(client: TestClient) -> str:
    response = client.get("/today")
    assert response.status_code == 200, response.text
    main = response.text.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", main)


def test_a_new_patient_shows_the_same_adherence_on_every_screen(
    tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    try:
        email = "nia@home.example"
        clinic.emails["nia"] = email
        user_id, patient_id = add_patient(
            clinic.ctx, clinic.clinician_a, email, "Nia New", time_zone=zone_near_noon()
        )
        patient = clinic.client("nia")
        complete_session(patient)
        # One day since onboarding counts: 1 completed of 5 planned = 20 %.
        view = programme.today(clinic.ctx, Actor(role=Role.PATIENT, user_id=user_id), patient_id)
        assert view.adherence is not None and view.adherence.percent == 20

        assert "Adherence over the last 7 days: <strong>20 %</strong>" in today_main(patient)
        assert "Adherence over the last 7 days: 20 %" in patient.get("/history").text
        plan = clinic.api("nia").get("/api/v1/me/plan").json()
        assert plan["adherence_7d_percent"] == 20

        doctor = clinic.client("clinician_a")
        listing = re.sub(r"\s+", " ", doctor.get("/clinic").text)
        row = re.search(r"Nia New</a></td>.*?</tr>", listing)
        assert row is not None and "<td>20 %</td>" in row.group(0)
        page = doctor.get(f"/clinic/patients/{patient_id}").text
        assert '<strong id="adherence">20 %</strong>' in page
        assert "Adherence over the last 7 days: 20 %" in page
        rows = clinic.api("clinician_a").get("/api/v1/patients").json()
        assert {r["id"]: r["adherence_7d_percent"] for r in rows}[patient_id] == 20

        env = coach_env(database_url)
        shown = subprocess.run(
            [SPINESTEP, "today", "--patient", str(patient_id), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["adherence_7d_percent"] == 20
        panel = subprocess.run(
            [SPINESTEP, "today", "--patient", str(patient_id)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert "Adherence over the last 7 days: 20 %" in panel.stdout
    finally:
        clinic.close()


def test_a_paused_today_shows_what_to_do_and_after_the_resume_the_resume(
    tmp_path: Path, database_url: str
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # London = UTC in December
    clinic = build_clinic(tmp_path, database_url, clock=clock)
    try:
        patient = clinic.client("patient_a")
        clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
        check = patient.get("/session").text
        answers = {f: "no" for f in flag_fields(check)} | {"flag_new_bladder_dysfunction": "yes"}
        assert post_step(patient, check, action="next", **answers) is None

        paused = today_main(patient)
        assert "Your programme is paused." in paused
        assert "Stop exercising now and call 112" in paused
        assert '<a class="button" href="tel:112">Call 112</a>' in paused
        assert "Contact your clinician, Anna Physio, about this" in paused
        assert 'id="exercise"' not in paused and "repetitions" not in paused
        assert "Start a session" not in paused

        decision = re.sub(r"\s+", " ", patient.get("/decision").text)
        assert '<a class="button" href="tel:112">Call 112</a>' in decision
        assert "not an exercise session" in decision and "Your last session:" not in decision

        doctor = doctor_of(clinic)
        clock.set(datetime(2026, 12, 3, 9, 40, tzinfo=UTC))
        (flag,) = clinician.red_flags(clinic.ctx, doctor, clinic.patient_a)
        clinician.resolve_red_flag(clinic.ctx, doctor, clinic.patient_a, flag.id, "A&E: clear")
        clock.set(datetime(2026, 12, 3, 10, 2, tzinfo=UTC))
        clinician.resume(clinic.ctx, doctor, clinic.patient_a, "reviewed")

        resumed = today_main(patient)
        assert "Your clinician resumed your programme on 3 Dec at 10:02." in resumed
        assert "Start a session" in resumed
        assert "Stop exercising now" not in resumed and "Call 112" not in resumed
        assert 'id="last-decision"' not in resumed
        why = re.sub(r"\s+", " ", patient.get("/decision").text)
        assert 'id="replaced"' in why
        assert "Your clinician resumed your programme on 3 Dec at 10:02." in why
        assert "Call 112</a>" not in why
        plan = clinic.api("patient_a").get("/api/v1/me/plan").json()
        assert plan["current_decision"] is None and plan["pause_decision"] is None
        assert plan["update"]["kind"] == "resume"
        assert plan["latest_decision"]["decision"] == "emergency"
    finally:
        clinic.close()


def test_maintenance_today_shows_the_maintenance_exercise_only(
    tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    try:
        clinician.adjust(clinic.ctx, doctor_of(clinic), clinic.patient_a, stage=3)
        clinician.adjust(clinic.ctx, doctor_of(clinic), clinic.patient_a, phase=Phase.MAINTENANCE)
        patient = clinic.client("patient_a")
        main = today_main(patient)
        assert "Programme complete — maintenance" in main
        assert "Knees to chest" in main and "Lie on your back" in main
        assert "<strong>2</strong> sessions a day" in main
        assert "Stage 3" not in main and "Stage 1" not in main
        assert "of 2" in main  # sessions today, of the 2 planned
        plan = clinic.api("patient_a").get("/api/v1/me/plan").json()
        assert plan["phase"] == "maintenance"
        assert (plan["stage"]["number"], plan["stage"]["id"]) == (1, "supine")
        assert plan["stage"]["dose"]["sessions_per_day"] == 2
        listing = re.sub(r"\s+", " ", clinic.client("clinician_a").get("/clinic").text)
        assert "lumbar-flexion, complete: maintenance" in listing
    finally:
        clinic.close()


def test_instructions_chip_and_countdown_all_say_the_clinicians_hold(
    tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    try:
        clinician.adjust(
            clinic.ctx, doctor_of(clinic), clinic.patient_a, doses={1: Dose(8, 3, 5, 5)}
        )
        patient = clinic.client("patient_a")
        main = today_main(patient)
        assert "Hold for 3 to 5 seconds, then lower your feet back to the start." in main
        assert "1 to 2 seconds" not in main
        assert "hold <strong>3–5 s</strong>" in main
        stage = clinic.api("patient_a").get("/api/v1/me/plan").json()["stage"]
        assert stage["dose"]["hold_s"] == [3, 5]
        assert stage["countdown_hold_s"] == 5
        assert any(line.startswith("Hold for 3 to 5 seconds") for line in stage["instructions"])

        check = patient.get("/session").text
        before = post_step(patient, check, action="next", **{f: "no" for f in flag_fields(check)})
        assert before is not None
        exercise = post_step(
            patient, before, action="next", pain_before="2", location_before="back"
        )
        assert exercise is not None
        assert 'data-hold-s="5"' in exercise
        assert "Hold for 3 to 5 seconds" in exercise
    finally:
        clinic.close()


def test_signing_in_again_shows_the_same_story(tmp_path: Path, database_url: str) -> None:
    """The Today body is cached per patient: a fresh sign-in reads the same (no stale pause)."""
    clinic = build_clinic(tmp_path, database_url)
    try:
        first = clinic.client("patient_a")
        story = today_main(first)
        second = TestClient(clinic.app, follow_redirects=False)
        login(second, clinic.emails["patient_a"])
        assert today_main(second) == story
        assert "Adherence over the last 7 days: <strong>0 %</strong>" in story
    finally:
        clinic.close()
