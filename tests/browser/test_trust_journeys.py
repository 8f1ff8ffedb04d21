"""Journeys of issue 8 in real Chromium against ``spinestep serve`` (SPEC §3.3-§3.5, §4).

- A patient moves through all three stages into maintenance, through the safety check
  of every session (each question on its own before the day's first session, one
  combined question before later ones).
- A session whose symptoms spread stops the programme; Today then shows only what to do.
- The clinician resumes it; Today shows the resume, not the old stop message.
- A session sent without its safety check is refused and nothing is stored.

The clinician sets one easy session on one day to be enough to move on (SPEC §3.3
allows ``progress_after_sessions`` 1 and ``min_days_at_stage`` 1), so the whole
programme fits in one browser journey; the rules themselves are tested in tests/spec.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from spinestep.store import open_store
from tests.browser.server import live_server
from tests.browser.test_journeys import DESKTOP, PHONE, sign_in
from tests.web.support import build_clinic

pytestmark = pytest.mark.browser


def stored_sessions(database_url: str, patient_id: int) -> int:
    engine, factory = open_store(database_url)
    try:
        with factory() as uow:
            return len(uow.sessions.for_patient(patient_id))
    finally:
        engine.dispose()


def safety_check(page: Page) -> None:
    """Answer the safety check with "no": every question, or the combined one."""
    expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
    combined = page.locator("#check-combined")
    if combined.count():
        combined.get_by_label("No, none of these").check()
    for group in page.locator("fieldset[id^='check-']:not(#check-combined)").all():
        group.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()


def guided_session(page: Page, pain: tuple[int, int, int], where_after: str, effort: str) -> None:
    """Safety check, then before / exercise / after, from Today's "Start a session"."""
    page.get_by_role("link", name="Start a session").click()
    safety_check(page)
    expect(page.get_by_role("heading", name="Before you start", exact=True)).to_be_visible()
    page.get_by_role("radiogroup").get_by_label(str(pain[0]), exact=True).check()
    page.get_by_role("radio", name="Back only").check()
    page.get_by_role("button", name="Start the exercise").click()
    expect(page.get_by_role("heading", name="Exercise", exact=True)).to_be_visible()
    page.get_by_label("Repetitions done").fill("10")
    page.get_by_role("button", name="I have finished").click()
    expect(page.get_by_role("heading", name="How was it?", exact=True)).to_be_visible()
    page.wait_for_load_state("domcontentloaded")  # the rest countdown's script has run
    skip = page.locator("#rest-skip")
    if skip.is_visible():
        skip.click()
    groups = page.get_by_role("radiogroup")
    groups.nth(0).get_by_label(str(pain[1]), exact=True).check()
    groups.nth(1).get_by_label(str(pain[2]), exact=True).check()
    page.get_by_role("radio", name=where_after).check()
    page.get_by_role("radio", name=effort).check()
    page.get_by_role("button", name="Save the session").click()
    expect(page.get_by_role("heading", name="What next", exact=True)).to_be_visible()


def test_three_stages_into_maintenance_then_a_stop_and_a_resume(
    browser: Browser, tmp_path: Path, database_url: str, artifacts: Path
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    doctor_api = clinic.api("clinician_a")
    plan = f"/api/v1/patients/{clinic.patient_a}/plan"
    fast = {"progress_after_sessions": 1, "min_days_at_stage": 1}
    changed = doctor_api.patch(plan, json={"settings": fast, "reason": "browser journey"})
    assert changed.status_code == 200, changed.text
    clinic.close()
    backend = "pg" if database_url.startswith("postgresql") else "sqlite"

    with live_server(database_url, tmp_path) as server:
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        expect(page.locator("#stage-h")).to_contain_text("Stage 1 of 3")

        # Each easy, painless session moves one stage on; the third completes the programme.
        for stage, decision in ((1, "progress"), (2, "progress"), (3, "maintain")):
            expect(page.locator("#stage-h")).to_contain_text(f"Stage {stage} of 3")
            guided_session(page, (1, 1, 1), "Back only", "Easy")
            expect(page.locator("#decision")).to_contain_text(decision)
            expect(page.get_by_text("(R8)")).to_be_visible()
            page.get_by_role("link", name="Back to Today").click()

        exercise = page.locator("#exercise")
        expect(exercise.locator("#stage-h")).to_have_text("Programme complete — maintenance")
        expect(exercise).to_contain_text("Knees to chest")
        expect(exercise.get_by_label("Dose")).to_contain_text("2 sessions a day")
        expect(page.get_by_text("Stage 3 of 3")).to_have_count(0)
        page.screenshot(path=artifacts / f"patient-maintenance-{backend}.png", full_page=True)

        # A maintenance session whose symptoms spread below the knee: R4 stop.
        guided_session(page, (1, 2, 3), "Below the knee", "Moderate")
        expect(page.locator("#decision")).to_contain_text("stop")
        expect(page.get_by_text("(R4)")).to_be_visible()
        page.get_by_role("link", name="Back to Today").click()
        paused = page.locator("#paused")
        expect(paused).to_contain_text("Your programme is paused.")
        expect(paused).to_contain_text("symptoms spread")
        expect(page.locator("#exercise")).to_have_count(0)
        expect(page.get_by_role("link", name="Start a session")).to_have_count(0)
        page.screenshot(path=artifacts / f"patient-paused-{backend}.png", full_page=True)

        desk = browser.new_context(viewport=DESKTOP)
        doctor = desk.new_page()
        sign_in(doctor, server.url, clinic.emails["clinician_a"])
        doctor.get_by_role("link", name="Zebulon Quillfeather").first.click()
        expect(doctor.get_by_text("R4:")).to_be_visible()
        doctor.get_by_label("Note (what you reviewed and found").fill("reviewed by phone; settled")
        doctor.get_by_label("Resume in").select_option("maintenance")
        doctor.get_by_role("button", name="Resume the programme").click()
        expect(doctor.locator("#notice")).to_contain_text("The programme was resumed.")
        desk.close()

        page.goto(f"{server.url}/today")
        expect(page.locator("#paused")).to_have_count(0)
        update = page.locator("#update")
        expect(update).to_contain_text("resumed")
        expect(page.locator("#last-decision")).to_have_count(0)
        expect(page.get_by_text("symptoms spread")).to_have_count(0)
        expect(page.get_by_role("link", name="Start a session")).to_be_visible()
        expect(page.locator("#stage-h")).to_have_text("Programme complete — maintenance")
        page.screenshot(path=artifacts / f"patient-resumed-{backend}.png", full_page=True)
        phone.close()


def test_a_session_without_its_safety_check_is_refused(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    # One session, properly checked, through the API: the next one needs a new check.
    patient_api = clinic.api("patient_a")
    due = patient_api.get("/api/v1/me/screening").json()
    answers = {question["code"]: False for question in due["questions"]}
    checked = patient_api.post("/api/v1/me/screening", json={"answers": answers})
    assert checked.status_code == 201, checked.text
    session = {
        "pain_before": 1,
        "pain_during": 1,
        "pain_after": 1,
        "location_before": "back",
        "location_after": "back",
        "effort": "easy",
        "reps": 10,
    }
    assert patient_api.post("/api/v1/me/sessions", json=session).status_code == 201
    refused = patient_api.post("/api/v1/me/sessions", json=session)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "screening_required"
    clinic.close()
    assert stored_sessions(database_url, clinic.patient_a) == 1

    with live_server(database_url, tmp_path) as server:
        page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        page.get_by_role("link", name="Start a session").click()
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        # Skip the check: turn the page's own form (with its CSRF token) into the last
        # step of a session and send it, as a hand-made request would.
        page.evaluate(
            """() => {
                const form = document.querySelector('input[name="step"]').form;
                const put = (name, value) => {
                    let field = form.querySelector(`[name="${name}"]`);
                    if (!field || field.type === 'radio') {
                        field = document.createElement('input');
                        field.type = 'hidden';
                        field.name = name;
                        form.appendChild(field);
                    }
                    field.value = value;
                };
                form.querySelectorAll('input[type=radio]').forEach(el => el.remove());
                const values = {step: 'after', effort: 'easy', pain_before: '1',
                    pain_during: '1', pain_after: '1', location_before: 'back',
                    location_after: 'back', reps: '10', action: 'next'};
                for (const [name, value] of Object.entries(values)) put(name, value);
                form.noValidate = true;
                form.submit();
            }"""
        )
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        expect(page.locator("#check-notice")).to_be_visible()
    assert stored_sessions(database_url, clinic.patient_a) == 1
