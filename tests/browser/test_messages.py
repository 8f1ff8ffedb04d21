"""Secure messages in Chromium on a phone-sized screen (390×844), on SQLite and
PostgreSQL: the patient writes to their care team, the clinician sees the unread count
on the patient list and replies, and the patient sees the unread count on Today and
reads the answer. axe finds no critical or serious violation on the message pages. A
screenshot of the conversation goes to docs/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.browser.test_follow_along import phone
from tests.browser.test_journeys import sign_in
from tests.web.support import build_clinic

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "patient-messages.png"
QUESTION = "My back feels stiff every morning.\nShould I do the first session later?"
ANSWER = "Yes: start after a warm shower, and keep the first repetitions gentle."


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    # Wait for the sign-in page, so that the next navigation does not abort this one.
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_patient_writes_clinician_answers_patient_reads(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    emails, patient_id = clinic.emails, clinic.patient_a
    clinic.close()
    context = phone(browser)
    page = context.new_page()
    with live_server(database_url, tmp_path) as server:
        sign_in(page, server.url, emails["patient_a"])
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
        assert_no_blocking(page, "the patient's messages (empty)")
        page.get_by_role("link", name="New message").click()
        assert_no_blocking(page, "a new message")
        page.get_by_label("Subject").fill("Morning stiffness")
        page.get_by_label("Message").fill(QUESTION)
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Morning stiffness")
        expect(page.locator(".message-body").last).to_have_text(QUESTION)
        _sign_out(page)

        sign_in(page, server.url, emails["clinician_a"])
        page.goto(f"{server.url}/clinic")
        expect(page.locator("#unread-total")).to_contain_text("1 unread message")
        row = page.get_by_role("row").filter(has_text="Zebulon Quillfeather")
        expect(row.locator(".badge.message")).to_have_text("unread messages")
        page.goto(f"{server.url}/clinic/patients/{patient_id}")
        page.locator("#patient-messages").get_by_role("link").click()
        expect(page.locator(".badge.message")).to_have_text("1 unread")
        assert_no_blocking(page, "the clinician's messages with a patient")
        page.get_by_role("link", name="Morning stiffness").click()
        expect(page.locator(".message-body").first).to_have_text(QUESTION)
        assert_no_blocking(page, "a conversation (clinician)")
        page.get_by_label("Your reply").fill(ANSWER)
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".message-body").last).to_have_text(ANSWER)
        page.goto(f"{server.url}/clinic/messages")
        assert_no_blocking(page, "the clinician's inbox")
        page.goto(f"{server.url}/clinic")
        expect(page.locator("#unread-total")).to_contain_text("nothing unread")
        _sign_out(page)

        sign_in(page, server.url, emails["patient_a"])
        page.goto(f"{server.url}/today")
        notice = page.locator("#unread-messages")
        expect(notice).to_have_text("You have 1 unread message from your care team")
        assert_no_blocking(page, "Today with an unread message")
        notice.get_by_role("link").click()
        expect(page.locator(".thread-list .badge.message")).to_have_text("1 unread")
        page.get_by_role("link", name="Morning stiffness").click()
        expect(page.locator(".message-body").last).to_have_text(ANSWER)
        expect(page.locator(".message").last).to_contain_text("Anna Physio")
        assert_no_blocking(page, "a conversation (patient)")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT)
        page.goto(f"{server.url}/today")
        expect(page.locator("#unread-messages")).to_have_count(0)
        assert re.search(r"\bMessages\b", page.get_by_role("navigation", name="Main").inner_text())
    context.close()
