"""A patient's and a clinician's journeys in real Chromium against ``spinestep serve``.

The patient (phone-sized) does a guided session at stage 2 whose symptoms spread; the
decision is a stop (R4). The clinician then sees the stop at the top of the dashboard,
reads the reason, moves the patient back to stage 1 and resumes the programme; the
patient's Today page shows stage 1. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.browser.server import live_server
from tests.services.support import easy, screened_session
from tests.web.support import PASSWORD, build_clinic

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def answer_all(page: Page, answer: str) -> None:
    for group in page.locator("fieldset").all():
        group.get_by_label(answer, exact=True).check()


def test_patient_session_then_clinician_moves_them_back(
    browser: Browser, tmp_path: Path, database_url: str, artifacts: Path
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    doctor_api = clinic.api("clinician_a")
    moved = doctor_api.patch(f"/api/v1/patients/{clinic.patient_a}/plan", json={"current_stage": 2})
    assert moved.status_code == 200
    clinic.close()
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"

    with live_server(database_url, tmp_path) as server:
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        expect(page.get_by_text("Stage 2 of 3")).to_be_visible()
        expect(page.locator("img.stage-figure")).to_have_attribute(
            "src", "/static/img/stage-seated.svg"
        )
        page.screenshot(path=artifacts / f"patient-today-{backend}.png", full_page=True)

        page.get_by_role("link", name="Start a session").click()
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        answer_all(page, "No")
        page.get_by_role("button", name="Continue").click()

        expect(page.get_by_role("heading", name="Before you start", exact=True)).to_be_visible()
        page.get_by_role("radiogroup").get_by_label("3", exact=True).check()
        page.get_by_role("radio", name="Back only").check()
        page.get_by_role("button", name="Start the exercise").click()

        expect(page.get_by_role("heading", name="Exercise", exact=True)).to_be_visible()
        trainer = page.locator("#rep-trainer")
        expect(trainer).to_be_visible()  # shown by the script
        page.get_by_role("button", name="Start repetition 1").click()
        expect(page.locator("#rep-status")).to_contain_text(
            "Repetition 1 of 10 done", timeout=10_000
        )
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        page.screenshot(path=artifacts / f"patient-exercise-{backend}.png", full_page=True)
        page.get_by_label("Repetitions done").fill("10")
        page.get_by_role("button", name="I have finished").click()

        expect(page.get_by_role("heading", name="How was it?", exact=True)).to_be_visible()
        groups = page.get_by_role("radiogroup")
        groups.nth(0).get_by_label("5", exact=True).check()
        # The rest before "pain now" hides the later questions until it ends or is skipped.
        after_rest = page.get_by_text("How bad is your pain now, after resting?")
        expect(page.locator("#rest-clock")).to_have_text(re.compile(r"^[45]:\d\d$"))
        expect(after_rest).to_be_hidden()
        page.get_by_role("button", name="Skip the rest").click()
        expect(after_rest).to_be_visible()
        groups.nth(1).get_by_label("4", exact=True).check()
        page.get_by_role("radio", name="Below the knee").check()
        page.get_by_role("radio", name="Moderate").check()
        page.get_by_role("button", name="Save the session").click()

        # back -> below the knee: peripheralised, R4 stop (SPEC §3.3).
        expect(page.get_by_role("heading", name="What next", exact=True)).to_be_visible()
        expect(page.locator("#decision")).to_contain_text("stop")
        expect(page.get_by_text("(R4)")).to_be_visible()
        page.screenshot(path=artifacts / f"patient-decision-{backend}.png", full_page=True)
        page.get_by_role("link", name="Back to Today").click()
        expect(page.get_by_text("Your programme is paused.")).to_be_visible()

        desk = browser.new_context(viewport=DESKTOP)
        doctor = desk.new_page()
        sign_in(doctor, server.url, clinic.emails["clinician_a"])
        expect(doctor.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
        first_row = doctor.locator("tbody tr").first
        expect(first_row).to_contain_text("Zebulon Quillfeather")
        expect(first_row).to_contain_text("stopped")
        doctor.screenshot(path=artifacts / f"clinician-dashboard-{backend}.png", full_page=True)

        first_row.get_by_role("link", name="Zebulon Quillfeather").click()
        expect(doctor.get_by_text("R4:")).to_be_visible()
        doctor.get_by_text("Prescribe or adjust").click()
        doctor.get_by_label("Stage", exact=True).select_option("1")
        doctor.get_by_label("Reason for the change").fill("symptoms spread at stage 2")
        doctor.get_by_role("button", name="Save the programme").click()
        expect(doctor.locator("#notice")).to_contain_text("The programme was saved.")
        doctor.get_by_label("Note (what you reviewed and found").fill("reviewed by phone")
        doctor.get_by_role("button", name="Resume the programme").click()
        expect(doctor.locator("#notice")).to_contain_text("The programme was resumed.")
        expect(doctor.get_by_text(re.compile(r"stage 1 of 3"))).to_be_visible()
        doctor.screenshot(path=artifacts / f"clinician-patient-{backend}.png", full_page=True)

        page.goto(f"{server.url}/today")
        expect(page.get_by_text("Stage 1 of 3")).to_be_visible()
        expect(page.get_by_role("link", name="Start a session")).to_be_visible()
        page.screenshot(path=artifacts / f"patient-today-after-{backend}.png", full_page=True)
        phone.close()
        desk.close()

        log = server.log()
    assert "GET /clinic/patients/{patient_id} 200" in log
    for secret in ("Zebulon", clinic.emails["patient_a"], f"/patients/{clinic.patient_a}"):
        assert secret not in log


def test_patient_history_shows_range_of_motion(
    browser: Browser, tmp_path: Path, database_url: str, artifacts: Path
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    patient = Actor(role=Role.PATIENT, user_id=clinic.patient_a_user)
    # Two sessions on one day, one a week later: two ISO weeks in the table.
    noon = (clinic.ctx.clock.now() - timedelta(days=15)).replace(hour=12, minute=0, second=0)
    for hours, rom_deg in (
        (-2, [70.0, 74.0, 78.0]),
        (0, [76.0, 80.0, 84.0]),
        (168, [85.0, 88.0, 91.0]),
    ):
        metrics = {
            "stage": "supine",
            "measure": "hip_flexion",
            "reps": 3,
            "held_count": 3,
            "rom_deg": rom_deg,
            "rom_deg_median": rom_deg[1],
            "detected_fraction": 1.0,
            "visibility_mean": 0.9,
            "side_view": True,
        }
        at = noon + timedelta(hours=hours)
        screened_session(clinic.ctx, patient, clinic.patient_a, easy(at=at, motion=metrics))
    clinic.close()
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"
    with live_server(database_url, tmp_path) as server:
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        page.get_by_role("link", name="History").click()
        section = page.locator("#rom")
        expect(section.get_by_role("heading", name="Range of motion per stage")).to_be_visible()
        expect(section.locator("svg.chart")).to_be_visible()
        expect(section.locator("tbody tr")).to_have_count(2)
        section.screenshot(path=artifacts / f"patient-history-rom-{backend}.png")
        phone.close()
