"""axe on the patient's pages at phone size: no critical or serious violation.

The pages are checked as they are served (their own content security policy), with a
stored session so the history's tables and the decision have content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from spinestep.services.context import Actor
from spinestep.services.records import Role
from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.services.support import easy, screened_session
from tests.web.support import PASSWORD, build_clinic

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_patient_pages_have_no_serious_accessibility_violation(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    patient = Actor(role=Role.PATIENT, user_id=clinic.patient_a_user)
    screened_session(clinic.ctx, patient, clinic.patient_a, easy())
    clinic.close()

    with live_server(database_url, tmp_path) as server:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        assert_no_blocking(page, "Today")

        page.get_by_role("link", name="Start a session").click()
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        assert_no_blocking(page, "the safety check")
        for group in page.locator("fieldset").all():
            group.locator("input[value=no]").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Before you start", exact=True)).to_be_visible()
        assert_no_blocking(page, "before the session")
        page.get_by_role("radiogroup").get_by_label("2", exact=True).check()
        page.get_by_role("radio", name="Back only").check()
        page.get_by_role("button", name="Start the exercise").click()
        expect(page.get_by_role("heading", name="Exercise", exact=True)).to_be_visible()
        expect(page.locator("#rep-trainer")).to_be_visible()
        assert_no_blocking(page, "the exercise")
        page.get_by_label("Repetitions done").fill("10")
        page.get_by_role("button", name="I have finished").click()
        expect(page.get_by_role("heading", name="How was it?", exact=True)).to_be_visible()
        assert_no_blocking(page, "after the session")

        page.goto(f"{server.url}/decision")
        expect(page.get_by_role("heading", name="What next", exact=True)).to_be_visible()
        assert_no_blocking(page, "the decision")

        page.goto(f"{server.url}/history")
        expect(page.locator("table").first).to_be_visible()
        assert_no_blocking(page, "history")
        context.close()
