"""Installable and offline, in Chromium at phone size (Playwright's offline mode).

After a first visit the phone keeps Today, the session pages and the guidance; a session
done without a connection waits in IndexedDB and is sent once when the connection
returns, and its decision shown; a red-flag "yes" offline shows what to do at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from spinestep.store.uow import open_store
from tests.browser.axe import assert_no_blocking
from tests.browser.server import LiveServer, live_server
from tests.web.support import PASSWORD, build_clinic

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
READ_PENDING = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("spinestep-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("pending").objectStore("pending").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
})"""
PUT_PENDING = """(item) => new Promise((resolve, reject) => {
  const open = indexedDB.open("spinestep-offline", 1);
  open.onsuccess = () => {
    const transaction = open.result.transaction("pending", "readwrite");
    transaction.objectStore("pending").put(item);
    transaction.oncomplete = () => { open.result.close(); resolve(true); };
    transaction.onerror = () => reject(transaction.error);
  };
})"""


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)


def sign_in_and_keep_pages(page: Page, url: str, email: str) -> None:
    """Sign in and wait until the service worker has kept the patient's own pages."""
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "yes", timeout=20_000)


@contextmanager
def signed_in_phone(
    browser: Browser, tmp_path: Path, database_url: str
) -> Iterator[tuple[LiveServer, BrowserContext, Page, int]]:
    """A running app with patient A signed in on a phone whose service worker has kept
    their pages: the server, the phone, its page and the patient's id."""
    clinic = build_clinic(tmp_path, database_url)
    patient_id, email = clinic.patient_a, clinic.emails["patient_a"]
    clinic.close()
    with live_server(database_url, tmp_path) as server:
        context = phone(browser)
        try:
            page = context.new_page()
            sign_in_and_keep_pages(page, server.url, email)
            yield server, context, page, patient_id
        finally:
            context.close()


def pages_served_since(server: LiveServer, log_before: str) -> list[str]:
    """The page loads (GET) the server has logged since ``log_before`` was read. A send that
    Chromium lets out while it emulates no connection is not a page and not counted."""
    assert server.log().startswith(log_before)
    return [line for line in server.log()[len(log_before) :].splitlines() if " GET " in line]


def stored_sessions(database_url: str, patient_id: int) -> list[Any]:
    engine, uow = open_store(database_url)
    try:
        with uow() as work:
            return work.sessions.for_patient(patient_id)
    finally:
        engine.dispose()


def open_today_and_expect_the_decision(page: Page, url: str) -> None:
    """Open Today; what waits on the phone is sent and the page moves on to the decision.
    The page may already be moving there by itself (the "online" event), which aborts
    this navigation: that is the same outcome."""
    try:
        page.goto(f"{url}/today", wait_until="commit")
    except PlaywrightError as error:
        if "ERR_ABORTED" not in str(error):
            raise
    expect(page).to_have_url(f"{url}/decision", timeout=20_000)


def answer_check(page: Page, answer: str) -> None:
    for group in page.locator("fieldset").all():
        group.locator(f"input[value={answer}]").check()


def start_then_go_offline(page: Page, context: BrowserContext, pain_before: str) -> None:
    """From Today, answer the safety check ("no") and "before" (the pain, back only) with
    a connection, then take the connection away before the exercise starts."""
    page.get_by_role("link", name="Start a session").click()
    expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
    answer_check(page, "no")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Before you start", exact=True)).to_be_visible()
    page.get_by_role("radiogroup").get_by_label(pain_before, exact=True).check()
    page.get_by_role("radio", name="Back only").check()
    context.set_offline(True)


def test_a_session_done_offline_is_stored_once_when_the_connection_returns(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    with signed_in_phone(browser, tmp_path, database_url) as (server, context, page, patient_id):
        # The safety check and "before" with a connection, then the connection goes.
        start_then_go_offline(page, context, pain_before="3")
        served_before = server.log()
        page.get_by_role("button", name="Start the exercise").click()

        # The session carries on from the page the phone kept.
        heading = page.get_by_role("heading", name="Session without a connection")
        expect(heading).to_be_visible()
        expect(page.locator("#offline-check")).to_be_hidden()  # answered already
        form = page.locator("#offline-session-form")
        expect(form.locator("input[name=pain_before][value='3']")).to_be_checked()
        expect(page.locator("#demo .demo-animated svg")).to_be_visible()  # the demonstration
        assert_no_blocking(page, "the session without a connection")
        page.get_by_label("Repetitions done").fill("10")
        form.locator("input[name=pain_during][value='2']").check()
        form.locator("input[name=pain_after][value='2']").check()
        form.locator("input[name=location_after][value=back]").check()
        form.locator("input[name=effort][value=easy]").check()
        page.get_by_role("button", name="Save the session on this phone").click()
        expect(page.locator("#offline-saved")).to_contain_text("saved on this phone")
        (pending,) = page.evaluate(READ_PENDING)
        assert pending["fields"]["pain_during"] == "2" and pending["check_stored"] is True
        assert pending["finished_at"][-6] in "+-"  # the local time with its offset
        assert stored_sessions(database_url, patient_id) == []

        # Today and the session's start open without a connection after a first visit.
        page.goto(f"{server.url}/today")
        expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        page.goto(f"{server.url}/session")
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        assert pages_served_since(server, served_before) == []  # all of them from the phone

        # Back online, but the first send is cut off on the way (a bare 400 without the
        # app's reason): the session stays on the phone and is not reported as refused.
        cut_off: list[str] = []

        def cut_off_sends(route: Route) -> None:
            if route.request.method != "POST":
                route.fallback()
                return
            cut_off.append(route.request.url)
            route.fulfill(status=400, content_type="text/plain", body="cut off")

        page.route("**/session/offline", cut_off_sends)
        context.set_offline(False)
        page.wait_for_function("() => navigator.onLine")
        page.evaluate("() => window.dispatchEvent(new Event('online'))")  # a send is tried
        for _ in range(100):
            if cut_off:
                break
            page.wait_for_timeout(100)
        assert cut_off, "no send was tried when the connection returned"
        assert page.evaluate(READ_PENDING) == [pending]
        expect(page.get_by_text("was not stored")).to_have_count(0)
        assert stored_sessions(database_url, patient_id) == []

        # The next try gets through: the session is sent and its decision shown.
        page.unroute("**/session/offline", cut_off_sends)
        open_today_and_expect_the_decision(page, server.url)
        expect(page.get_by_role("heading", name="What next", exact=True)).to_be_visible()
        (session,) = stored_sessions(database_url, patient_id)
        assert session.reps == 10 and session.pain_during == 2
        assert session.at.isoformat(timespec="seconds") == pending["finished_at"]
        assert page.evaluate(READ_PENDING) == []

        # The same session sent again (a retry after a lost answer) stays one.
        page.evaluate(PUT_PENDING, pending)
        open_today_and_expect_the_decision(page, server.url)
        assert len(stored_sessions(database_url, patient_id)) == 1
        assert page.evaluate(READ_PENDING) == []


def test_a_red_flag_yes_offline_shows_what_to_do_at_once(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    with signed_in_phone(browser, tmp_path, database_url) as (server, context, page, patient_id):
        page.goto(f"{server.url}/session")
        expect(page.get_by_role("heading", name="Safety check", exact=True)).to_be_visible()
        guidance = page.locator("#offline-red-flag")
        expect(guidance).to_be_hidden()
        context.set_offline(True)
        page.locator("input[name=flag_saddle_anaesthesia][value=yes]").check()
        expect(guidance).to_be_visible()
        expect(guidance.get_by_role("link", name="Call 112")).to_be_focused()
        expect(guidance.locator("[data-guidance-for=saddle_anaesthesia]")).to_contain_text(
            "call 112"
        )
        expect(guidance.locator("[data-guidance-for=new_bowel_dysfunction]")).to_be_hidden()
        assert_no_blocking(page, "the safety check's red-flag guidance offline")
        (kept,) = page.evaluate(READ_PENDING)  # the answer waits to be sent
        assert kept["kind"] == "check" and kept["check"]["flag_saddle_anaesthesia"] == "yes"
        served_before = server.log()
        page.goto(f"{server.url}/offline")
        expect(page.get_by_role("heading", name="Emergency and red-flag guidance")).to_be_visible()
        expect(page.get_by_role("link", name="Call 112").first).to_be_visible()
        assert pages_served_since(server, served_before) == []  # kept on the phone
        assert_no_blocking(page, "the guidance kept on the phone")

        # Back online: the "yes" is sent, the programme paused, the decision shown.
        context.set_offline(False)
        open_today_and_expect_the_decision(page, server.url)
        expect(page.locator("#decision")).to_contain_text("emergency")
        engine, uow = open_store(database_url)
        try:
            with uow() as work:
                (flag,) = work.red_flags.unresolved_for(patient_id)
        finally:
            engine.dispose()
        assert flag.code == "saddle_anaesthesia"


def test_signing_out_deletes_the_kept_pages(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    with signed_in_phone(browser, tmp_path, database_url) as (server, context, page, _):
        kept = "() => caches.keys().then((ks) => ks.filter((k) => k.startsWith('spinestep-pages')))"
        assert len(page.evaluate(kept)) == 1
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.evaluate(kept) == []
        context.set_offline(True)
        page.goto(f"{server.url}/today")
        expect(page.get_by_role("heading", name="Today", exact=True)).to_have_count(0)


def test_stop_now_offline_is_saved_as_stopped_and_sent_later(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    with signed_in_phone(browser, tmp_path, database_url) as (server, context, page, patient_id):
        start_then_go_offline(page, context, pain_before="2")
        page.get_by_role("button", name="Stop now — my symptoms are spreading").click()

        stop = page.locator("#offline-stop")
        expect(stop).to_be_visible()
        expect(page.locator("#offline-after")).to_be_hidden()
        stop.locator("input[name=pain_now][value='6']").check()
        stop.locator("input[name=location_now][value=thigh]").check()
        page.get_by_role("button", name="Save and stop").click()
        expect(page.locator("#offline-saved")).to_contain_text("saved on this phone")
        assert stored_sessions(database_url, patient_id) == []

        context.set_offline(False)
        open_today_and_expect_the_decision(page, server.url)
        (session,) = stored_sessions(database_url, patient_id)
        assert session.stopped_early and not session.completed
        assert (session.pain_before, session.pain_after) == (2, 6)


def test_a_session_the_app_refuses_is_dropped_with_its_reason(
    browser: Browser, tmp_path: Path, database_url: str
) -> None:
    """Only the app's own refusal (409, 422 or 429 with its reason) drops what waits."""
    with signed_in_phone(browser, tmp_path, database_url) as (_, _, page, _):
        account = page.locator('meta[name="spinestep-account"]').get_attribute("content")
        item = {
            "idempotency_key": "offline-refused",
            "account": account,
            "kind": "session",
            "finished_at": "2026-12-01T09:00:00+00:00",
            "check_stored": True,
            "checked_at": "2026-12-01T08:50:00+00:00",
            "fields": {"reps": "10"},
        }
        page.evaluate(PUT_PENDING, item)
        reason = "the programme is paused by your physiotherapist"
        page.route(
            "**/session/offline",
            lambda route: route.fulfill(
                status=409, json={"error": {"code": "programme_paused", "message": reason}}
            ),
        )
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        expect(page.get_by_role("alert")).to_have_text(
            f"A session saved on this phone was not stored: {reason}."
        )
        assert page.evaluate(READ_PENDING) == []
