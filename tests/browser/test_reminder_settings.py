"""A patient on a phone turns on e-mail reminders, and stops them from the e-mail's link.

The settings page and the unsubscribe pages are checked with axe (no critical or serious
violation). The reminder e-mail comes from the sender run in the test against the same
database, to a local SMTP server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from spinestep.services.reminder_ports import ReminderMode
from spinestep.services.reminders import send_due
from spinestep.settings import Settings
from spinestep.web.reminder_mail import ReminderMailer
from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.support.smtp import SmtpServer, smtp_server
from tests.web.support import PASSWORD, build_clinic

__all__ = ["smtp_server"]

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
EIGHT_LONDON = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # UTC+0 in December


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_patient_turns_reminders_on_and_stops_them_from_the_e_mail(
    browser: Browser,
    tmp_path: Path,
    database_url: str,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    monkeypatch.setenv("SPINESTEP_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("SPINESTEP_SMTP_PORT", str(smtp_server.port))
    try:
        with live_server(database_url, tmp_path) as server:
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            page = context.new_page()
            _sign_in(page, server.url, clinic.emails["patient_a"])
            expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
            page.goto(f"{server.url}/account")
            page.get_by_role("link", name="E-mail reminders at your session times").click()
            expect(page.get_by_role("heading", name="E-mail reminders")).to_be_visible()
            expect(page.get_by_text(clinic.emails["patient_a"])).to_be_visible()
            assert_no_blocking(page, "the reminder settings")

            page.get_by_label("An e-mail at each session time").check()
            page.get_by_label("From").fill("22:00")
            page.get_by_role("button", name="Save reminders").click()
            expect(page.get_by_role("status")).to_have_text("Your reminder settings were saved.")
            expect(page.get_by_label("An e-mail at each session time")).to_be_checked()
            expect(page.get_by_label("From")).to_have_value("22:00")
            assert_no_blocking(page, "the saved reminder settings")
            with clinic.ctx.uow() as uow:
                choice = uow.reminders.choice_for(clinic.patient_a)
            assert choice is not None
            assert (choice.mode, choice.quiet_start) == (ReminderMode.EACH_SESSION, "22:00")

            settings = Settings(
                data_dir=tmp_path / "sender",
                smtp_host=smtp_server.host,
                smtp_port=smtp_server.port,
                public_url=server.url,
            )
            report = send_due(clinic.ctx, ReminderMailer(settings), EIGHT_LONDON)
            assert report.sent >= 1
            mine = [m for m in smtp_server.messages if m["To"] == clinic.emails["patient_a"]]
            link = re.search(r"Stop them: (\S+)", mine[-1].get_content())
            assert link, mine[-1].get_content()

            page.goto(link.group(1))
            expect(page.get_by_role("heading", name="Stop e-mail reminders")).to_be_visible()
            assert_no_blocking(page, "the unsubscribe page")
            page.get_by_role("button", name="Stop the reminders").click()
            expect(page.get_by_role("status")).to_contain_text("no more e-mail reminders")
            assert_no_blocking(page, "the unsubscribed page")
            with clinic.ctx.uow() as uow:
                choice = uow.reminders.choice_for(clinic.patient_a)
            assert choice is not None and choice.mode is ReminderMode.OFF
            context.close()
    finally:
        clinic.close()
