"""The drawn demonstration and the follow-along mode of the guided session, in Chromium.

Phone-sized (390×844). Time on the page is Playwright's clock, moved on by the test,
so a repetition (move 2 s, hold 2 s, move back 2 s, rest 1 s at the dose used here)
passes without waiting. A screenshot of following along goes to docs/screenshots/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import assert_no_blocking
from tests.browser.server import live_server
from tests.browser.test_camera_coach import finish_session, stored, to_exercise
from tests.browser.test_journeys import PHONE, sign_in
from tests.web.support import build_clinic

pytestmark = pytest.mark.browser

DOSE = {"reps": 3, "hold_s": [1, 2], "sessions_per_day": 5}
SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "patient-follow-along.png"
#: What is needed while exercising: the drawing, the count, the cue and every control.
DURING_THE_EXERCISE = (
    ".demo-figure >> visible=true >> nth=-1",
    "#reps",
    "#demo-cue",
    "#follow-pause",
    "#follow-skip",
    "#follow-end",
    ".stop-now button",
)


def seated_patient(tmp_path: Path, database_url: str) -> tuple[int, str]:
    """A patient at stage 2 (sitting) with 3 repetitions holding up to 2 seconds."""
    clinic = build_clinic(tmp_path, database_url)
    plan = f"/api/v1/patients/{clinic.patient_a}/plan"
    moved = clinic.api("clinician_a").patch(plan, json={"current_stage": 2, "dose": DOSE})
    assert moved.status_code == 200, moved.text
    clinic.close()
    return clinic.patient_a, clinic.emails["patient_a"]


def phone(browser: Browser, **options: object) -> BrowserContext:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, **options)


def freeze_time(page: Page) -> None:
    """From now on the page's time moves only when the test says (``clock.run_for``)."""
    now_ms = page.evaluate("Date.now()")
    page.clock.pause_at(datetime.fromtimestamp(now_ms / 1000 + 0.5, tz=UTC))


def exercise_with_clock(context: BrowserContext, url: str, email: str) -> Page:
    page = context.new_page()
    page.clock.install()
    sign_in(page, url, email)
    to_exercise(page)
    freeze_time(page)
    return page


def on_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] + box["height"] <= PHONE["height"]
    )


def reps(page: Page) -> str:
    return page.get_by_label("Repetitions done").input_value()


def test_following_along_counts_by_itself_pauses_and_fits_one_screen(
    browser: Browser, tmp_path: Path
) -> None:
    _, email = seated_patient(tmp_path, f"sqlite:///{tmp_path / 'spinestep.db'}")
    with live_server(f"sqlite:///{tmp_path / 'spinestep.db'}", tmp_path) as server:
        context = phone(browser)
        page = exercise_with_clock(context, server.url, email)
        # Motion allowed: one moving figure, animated by the Web Animations API.
        expect(page.locator("#demo-animated svg")).to_be_visible()
        expect(page.locator("#demo-stills")).to_be_hidden()
        assert page.evaluate("document.getAnimations().length") >= 7  # one per segment
        camera = page.get_by_role("button", name="Use the camera")
        expect(camera).to_be_enabled()

        page.get_by_role("button", name="Follow along").click()
        cue = page.locator("#demo-cue")
        expect(cue).to_have_text("Bend forward…")
        expect(camera).to_be_disabled()  # only one of the two counts at a time
        page.clock.run_for(2_500)
        expect(cue).to_have_text("Hold 2")
        page.clock.run_for(1_000)
        expect(cue).to_have_text("Hold 1")
        for selector in DURING_THE_EXERCISE:
            assert on_screen(page, selector), (selector, page.locator(selector).bounding_box())
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT)
        # axe waits on timers: let time flow for it while following is paused.
        page.get_by_role("button", name="Pause").click()
        page.clock.resume()
        assert_no_blocking(page, "following along")
        freeze_time(page)
        assert reps(page) == "0"
        page.get_by_role("button", name="Resume").click()
        page.clock.run_for(1_000)
        expect(cue).to_have_text("Release — sit up")
        page.clock.run_for(3_000)  # 7.5 s: the first repetition is over, the second begins
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        expect(page.locator("#rep-status")).to_have_text("Repetition 2 of 3.")

        page.get_by_role("button", name="Pause").click()
        expect(cue).to_have_text("Paused")
        page.clock.run_for(30_000)
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        page.get_by_role("button", name="Resume").click()
        page.clock.run_for(14_000)
        expect(page.get_by_label("Repetitions done")).to_have_value("3")
        expect(cue).to_have_text("Well done")
        expect(page.get_by_role("button", name="Follow along")).to_be_visible()
        expect(page.get_by_role("button", name="Pause")).to_be_hidden()
        expect(camera).to_be_enabled()
        context.close()


def test_reduced_motion_shows_the_positions_still_and_skip_moves_on(
    browser: Browser, tmp_path: Path
) -> None:
    _, email = seated_patient(tmp_path, f"sqlite:///{tmp_path / 'spinestep.db'}")
    with live_server(f"sqlite:///{tmp_path / 'spinestep.db'}", tmp_path) as server:
        context = phone(browser)
        page = context.new_page()
        page.emulate_media(reduced_motion="reduce")
        page.clock.install()
        sign_in(page, server.url, email)
        to_exercise(page)
        freeze_time(page)
        stills = page.locator("#demo-stills figure")
        expect(stills).to_have_count(2)
        expect(stills.first).to_be_visible()
        expect(stills.first).to_contain_text("Start - sitting tall")
        expect(stills.nth(1)).to_contain_text("End - bent forward")
        expect(page.locator("#demo-animated")).to_have_count(0)
        assert page.evaluate("document.getAnimations().length") == 0

        page.get_by_role("button", name="Follow along").click()
        page.clock.run_for(2_500)
        expect(page.locator("#demo-cue")).to_have_text("Hold 2")
        expect(stills.nth(1)).to_have_class("demo-still current")  # the held position
        expect(stills.first).to_have_class("demo-still")
        for selector in DURING_THE_EXERCISE:
            assert on_screen(page, selector), (selector, page.locator(selector).bounding_box())

        # Skip this one: on to repetition 2, the skipped one not counted.
        page.get_by_role("button", name="Skip this repetition").click()
        expect(page.locator("#rep-status")).to_have_text("Repetition 2 of 3.")
        expect(page.locator("#demo-cue")).to_have_text("Bend forward…")
        page.clock.run_for(7_000)
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        # Skip the rest: following ends, the count so far is kept.
        page.get_by_role("button", name="Skip the rest").click()
        expect(page.locator("#rep-status")).to_contain_text("Stopped following: 1 of 3 done")
        page.clock.run_for(20_000)
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        expect(page.get_by_role("button", name="Start repetition 2")).to_be_visible()

        # The camera coach counting turns following off, and keeps it off meanwhile.
        page.get_by_role("button", name="Follow along").click()
        page.evaluate("document.body.classList.add('camera-running')")
        expect(page.locator("#rep-status")).to_have_text("The camera is counting now.")
        page.evaluate("document.body.classList.remove('camera-running')")
        expect(page.get_by_role("button", name="Follow along")).to_be_enabled()
        page.clock.resume()
        assert_no_blocking(page, "the still demonstration")
        context.close()


def test_stop_now_while_following_reaches_the_stop_flow(browser: Browser, tmp_path: Path) -> None:
    _, email = seated_patient(tmp_path, f"sqlite:///{tmp_path / 'spinestep.db'}")
    with live_server(f"sqlite:///{tmp_path / 'spinestep.db'}", tmp_path) as server:
        context = phone(browser)
        page = exercise_with_clock(context, server.url, email)
        page.get_by_role("button", name="Follow along").click()
        page.clock.run_for(3_000)
        expect(page.locator("#demo-cue")).to_have_text("Hold 1")
        stop = page.get_by_role("button", name="Stop now — my symptoms are spreading")
        assert on_screen(page, ".stop-now button")
        stop.click()
        expect(page.get_by_role("heading", name="Stopping now", exact=True)).to_be_visible()
        expect(page.get_by_text("You stopped the session.")).to_be_visible()
        context.close()


def test_without_javascript_the_positions_show_still_and_the_manual_form_saves(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    patient_id, email = seated_patient(tmp_path, database_url)
    with live_server(database_url, tmp_path) as server:
        context = phone(browser, java_script_enabled=False)
        page = context.new_page()
        sign_in(page, server.url, email)
        to_exercise(page)
        figures = page.locator("#demo-stills svg.demo-figure")
        expect(figures).to_have_count(2)
        expect(figures.first).to_be_visible()
        expect(page.locator("#rep-trainer")).to_be_hidden()
        expect(page.get_by_text("Move, hold for 2 s, move back · 3 times")).to_be_visible()
        for selector in (".demo-figure >> nth=0", "#reps", ".stop-now button"):
            assert on_screen(page, selector), (selector, page.locator(selector).bounding_box())
        page.get_by_label("Repetitions done").fill("3")
        page.get_by_role("button", name="I have finished").click()
        finish_session(page)
        context.close()
    sessions = stored(database_url, patient_id)
    assert len(sessions) == 1 and sessions[0].reps == 3
