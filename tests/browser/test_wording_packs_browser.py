"""A patient answers the ODI at home from a loaded wording pack, on a phone, and sees it
scored (issue 12, part 3). The pack is a made-up one written for the tests. Real
Chromium against ``spinestep serve``, on SQLite and PostgreSQL; axe finds nothing
critical or serious on the questionnaire page and the admin's wording page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.browser.test_journeys import DESKTOP, PHONE, sign_in
from tests.support.wording import pack_text
from tests.web.support import build_clinic

pytestmark = pytest.mark.browser


def test_a_patient_answers_the_odi_from_a_loaded_pack_and_sees_the_score(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    clinic = build_clinic(tmp_path, database_url)
    clinic.close()

    with live_server(database_url, tmp_path) as server:
        desk = browser.new_context(viewport=DESKTOP)
        admin = desk.new_page()
        sign_in(admin, server.url, clinic.emails["admin"])
        admin.get_by_role("link", name="Questionnaire wording").click()
        expect(admin.locator("#no-packs")).to_be_visible()
        admin.get_by_label("Wording pack").fill(pack_text("odi", checksum="e" * 64))
        admin.get_by_role("button", name="Load the pack").click()
        expect(admin.locator("#form-error")).to_contain_text("checksum: does not match")
        admin.get_by_label("Wording pack").fill(pack_text("odi", version=2))
        admin.get_by_role("button", name="Load the pack").click()
        expect(admin.locator("#notice")).to_contain_text("was loaded")
        expect(admin.locator("tbody tr")).to_contain_text("odi")
        assert_no_blocking(admin, "admin wording packs")
        desk.close()

        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
        page = phone.new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        page.get_by_role("link", name="Questionnaires").first.click()
        due = page.locator(".due-list li", has_text="Oswestry")
        due.get_by_role("link", name="Answer").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Oswestry")
        expect(page.get_by_text("paper form")).to_have_count(0)
        expect(page.locator("#pack-instructions")).to_have_text("Test instructions.")
        for n in range(1, 11):
            section = page.locator(f"#item-{n}")
            expect(section.locator("legend")).to_have_text(f"{n}. Test item {n}")
            if n <= 8:  # two sections left unanswered, as the ODI allows
                section.get_by_label(f"Test option {n}.3 v2").check()
        assert_no_blocking(page, "ODI from a wording pack")
        page.get_by_role("button", name="Save my answers").click()

        expect(page.locator("#notice")).to_contain_text("your answers were saved")
        odi = page.locator("table", has_text="baseline").first
        # 8 sections answered with 3 points each: 24 of 40 points, 60 %.
        expect(odi.locator("tbody tr").first.locator("td").nth(1)).to_have_text("60")
        phone.close()
