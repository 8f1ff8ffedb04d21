"""On a phone, the stop and emergency pages list the emergency number first, then the
patient's clinician's phone, then the clinic (issue 12, part 2). Real Chromium against
``spinestep serve``, on SQLite and PostgreSQL; axe finds nothing critical or serious on
the pages with the contacts and on the admin's clinic page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.browser.test_journeys import DESKTOP, PHONE, sign_in
from tests.browser.test_trust_journeys import safety_check
from tests.web.support import build_clinic

pytestmark = pytest.mark.browser

ANNA = {"phone": "+44 20 7946 0123", "email": "anna@physio.example", "hours": "Tue 9-13"}
CLINIC = {"phone": "+44 20 7946 0000", "email": "desk@clinic.example", "hours": "Mon-Fri 8-18"}


def _contact_links(page: Page) -> list[str]:
    """The phone links of the contacts list, top to bottom."""
    links = page.locator("#care-contacts a[href^='tel:']")
    return [str(links.nth(i).get_attribute("href")) for i in range(links.count())]


def _report_saddle_numbness(page: Page, url: str, email: str) -> None:
    """Sign in, start a session and answer "yes" to saddle numbness only (every other
    safety question "no"): the emergency page follows."""
    sign_in(page, url, email)
    page.get_by_role("link", name="Start a session").click()
    expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
    for group in page.locator("fieldset[id^='check-']").all():
        answer = "Yes" if group.get_attribute("id") == "check-saddle_anaesthesia" else "No"
        group.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#decision")).to_contain_text("emergency")


def test_stop_and_emergency_pages_show_the_emergency_number_then_the_clinician(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    assert clinic.api("clinician_a").put("/api/v1/account/contacts", json=ANNA).status_code == 200
    clinic.close()

    with live_server(database_url, tmp_path) as server:
        desk = browser.new_context(viewport=DESKTOP)
        admin = desk.new_page()
        sign_in(admin, server.url, clinic.emails["admin"])
        admin.get_by_role("link", name="Clinic").click()
        admin.get_by_label("Phone").fill(CLINIC["phone"])
        admin.get_by_label("E-mail").fill("desk@")
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator("#form-error")).to_contain_text("email: must be an e-mail address")
        admin.get_by_label("E-mail").fill(CLINIC["email"])
        admin.get_by_label("Hours").fill(CLINIC["hours"])
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator("#notice")).to_contain_text("were saved")
        assert_no_blocking(admin, "admin clinic contacts")
        desk.close()

        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])

        # Stop now: symptoms spread below the knee (R4 stop).
        page.get_by_role("link", name="Start a session").click()
        safety_check(page)
        page.get_by_role("radiogroup").get_by_label("3", exact=True).check()
        page.get_by_role("radio", name="Back only").check()
        page.get_by_role("button", name="Start the exercise").click()
        page.get_by_role("button", name="Stop now").click()
        page.get_by_role("radiogroup").first.get_by_label("7", exact=True).check()
        page.get_by_role("radio", name="Below the knee").check()
        page.get_by_role("button", name="Save and stop").click()
        expect(page.locator("#decision")).to_contain_text("stop")
        contacts = page.locator("#care-contacts")
        expect(contacts).to_be_visible()
        assert _contact_links(page) == ["tel:112", "tel:+442079460123", "tel:+442079460000"]
        expect(contacts.locator("li").nth(1)).to_contain_text("Anna Physio")
        expect(contacts.locator("li").nth(1)).to_contain_text(ANNA["phone"])
        assert_no_blocking(page, "stop page with contacts")

        page.get_by_role("link", name="Back to Today").click()
        expect(page.locator("#paused")).to_contain_text("Contact your clinician")
        assert _contact_links(page)[:2] == ["tel:112", "tel:+442079460123"]
        assert_no_blocking(page, "paused Today with contacts")
        phone.close()

        # The emergency page of patient B, whose clinician gave no details: the call
        # button, then the emergency number and the clinic.
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        _report_saddle_numbness(page, server.url, clinic.emails["patient_b"])
        expect(page.get_by_role("link", name="Call 112")).to_be_visible()
        assert _contact_links(page) == ["tel:112", "tel:+442079460000"]
        expect(page.locator("#care-contacts li").nth(1)).to_contain_text("Bert Physio")
        assert_no_blocking(page, "emergency page with contacts")
        phone.close()


def test_the_emergency_page_lists_the_clinicians_phone_after_the_number(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    assert clinic.api("clinician_a").put("/api/v1/account/contacts", json=ANNA).status_code == 200
    clinic.close()
    with live_server(database_url, tmp_path) as server:
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        _report_saddle_numbness(page, server.url, clinic.emails["patient_a"])
        assert _contact_links(page) == ["tel:112", "tel:+442079460123"]
        call = page.get_by_role("link", name="Call 112").bounding_box()
        listed = page.locator("#contact-emergency").bounding_box()
        anna = page.locator("#care-contacts .contact-clinician").bounding_box()
        assert call is not None and listed is not None and anna is not None
        assert call["y"] < listed["y"] < anna["y"]  # top to bottom on the phone's screen
        phone.close()
