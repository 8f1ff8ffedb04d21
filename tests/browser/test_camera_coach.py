"""The guided session's camera coach in real Chromium with its fake camera (SPEC §6).

Chromium plays a y4m video as the camera (``--use-file-for-fake-video-capture``). The
video is made here with ffmpeg from the test photos (``tests/data/media``): the upright
and the bent toe-touch photo, alternated with known holds, so the repetitions and holds
are known. The pose model runs in the page (served by the app).

- A patient at the standing stage uses the camera: the page counts the repetitions and
  holds live (and fills "Repetitions done"), shows the hold countdown and the cues, and
  everything needed during the exercise fits a phone's screen. The session stored has
  exactly the server's recount of the series the page sent, with the repetitions and
  holds ``spinestep analyze`` finds in the same video and its range of motion within
  ``ROM_TOLERANCE_DEG``.
- A clip that sees the person from the front is refused: nothing counted, a message.
- With the camera refused, a message says so and the manual counter still works.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from spinestep.store import open_store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.server import live_server
from tests.browser.test_journeys import PHONE, sign_in
from tests.browser.test_trust_journeys import safety_check
from tests.web.support import build_clinic
from tests.web.test_motion_series_parse import expected_metrics

pytestmark = [pytest.mark.browser, pytest.mark.motion]

MEDIA = Path(__file__).resolve().parents[1] / "data" / "media"
VIDEO_FPS = 10
VIDEO_SIZE = (480, 320)
#: Three repetitions, each held 5 s: long enough to be seen even when the page analyses
#: only one frame every second or two on a busy machine; the dose's countdown is 2 s.
HOLDS_S = (5.0, 5.0, 5.0)
LEAD_IN_S = 4.0
REST_S = 4.0
TAIL_S = 4.0
DOSE = {"reps": 3, "hold_s": [1, 2], "sessions_per_day": 5}
#: How long the page may take to load the model and count the whole clip.
COUNT_TIMEOUT_MS = 240_000
#: How far the page's range of motion may be from ``spinestep analyze``'s on the same
#: video: the browser and the Python pipeline run different builds of BlazePose (on a
#: machine without a GPU the page takes the TF.js graphs, which read this clip's bend
#: about 5° less deep than Python's MediaPipe), so their angles agree only within SPEC
#: §6's hold band of 10°, the band within which SPEC treats two angles as one posture.
#: Counts and holds must agree exactly, and the server's result must be exactly its own
#: recount of the series the page sent.
ROM_TOLERANCE_DEG = 10.0


def photo_y4m(out: Path, segments: list[tuple[str, float]]) -> Path:
    """A y4m video of photos, each shown for its seconds, made with ffmpeg."""
    listing = out.with_suffix(".txt")
    lines = []
    for photo, seconds in segments:
        lines += [f"file '{MEDIA / photo}'", f"duration {seconds}"]
    lines.append(f"file '{MEDIA / segments[-1][0]}'")  # the concat demuxer's last-entry rule
    listing.write_text("\n".join(lines) + "\n")
    width, height = VIDEO_SIZE
    done = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(listing),
            "-vf", f"fps={VIDEO_FPS},scale={width}:{height},format=yuv420p",
            "-f", "yuv4mpegpipe", str(out),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def toe_touch_segments() -> list[tuple[str, float]]:
    upright, bent = "Standing_Toe_Touches_0.jpg", "Standing_Toe_Touches_1.jpg"
    segments = [(upright, LEAD_IN_S)]
    for hold in HOLDS_S:
        segments += [(bent, hold), (upright, REST_S)]
    segments[-1] = (upright, TAIL_S)
    return segments


def analyze(video: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "spinestep", "analyze", str(video), "--stage", "standing", "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@contextmanager
def camera_browser(playwright: Playwright, video: Path | None) -> Iterator[Browser]:
    """Chromium whose camera plays ``video`` (None: a camera nobody may use)."""
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        yield browser
    finally:
        browser.close()


# Records every text the cue line and the hold clock show, however briefly.
RECORD_READOUTS = """
window.__readouts = {cue: [], hold: [], status: []};
document.addEventListener("DOMContentLoaded", () => {
  const watched = [["camera-cue", "cue"], ["camera-hold", "hold"], ["camera-status", "status"]];
  for (const [id, key] of watched) {
    const el = document.getElementById(id);
    if (!el) { continue; }
    new MutationObserver(() => {
      const text = el.textContent.trim();
      if (text) { window.__readouts[key].push(text); }
    }).observe(el, {childList: true, characterData: true, subtree: true});
  }
});
"""


def phone(browser: Browser, url: str, camera: bool) -> BrowserContext:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    if camera:
        context.grant_permissions(["camera"], origin=url)
    context.add_init_script(RECORD_READOUTS)
    return context


def to_exercise(page: Page) -> None:
    page.get_by_role("link", name="Start a session").click()
    safety_check(page)
    expect(page.get_by_role("heading", name="Before you start", exact=True)).to_be_visible()
    page.get_by_role("radiogroup").get_by_label("2", exact=True).check()
    page.get_by_role("radio", name="Back only").check()
    page.get_by_role("button", name="Start the exercise").click()
    expect(page.get_by_role("heading", name="Exercise", exact=True)).to_be_visible()


def finish_session(page: Page) -> None:
    expect(page.get_by_role("heading", name="How was it?", exact=True)).to_be_visible()
    # The rest countdown is shown by a deferred script: once the document has loaded it
    # has run, so the countdown is on screen (and hides the later questions) or absent.
    page.wait_for_load_state("domcontentloaded")
    skip = page.locator("#rest-skip")
    if skip.is_visible():
        skip.click()
    groups = page.get_by_role("radiogroup")
    groups.nth(0).get_by_label("2", exact=True).check()
    groups.nth(1).get_by_label("2", exact=True).check()
    page.get_by_role("radio", name="Back only").check()
    page.get_by_role("radio", name="Easy").check()
    page.get_by_role("button", name="Save the session").click()
    expect(page.get_by_role("heading", name="What next", exact=True)).to_be_visible()


def send_exercise_step(page: Page) -> list[str]:
    """Presses the camera's "I have finished"; the motion_series values the form sent."""
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/session")) as sent:
        page.locator("#camera-done").click()
    return parse_qs(sent.value.post_data or "", keep_blank_values=True).get("motion_series", [])


def standing_patient(tmp_path: Path, database_url: str) -> tuple[int, str]:
    clinic = build_clinic(tmp_path, database_url)
    plan = f"/api/v1/patients/{clinic.patient_a}/plan"
    moved = clinic.api("clinician_a").patch(plan, json={"current_stage": 3, "dose": DOSE})
    assert moved.status_code == 200, moved.text
    clinic.close()
    return clinic.patient_a, clinic.emails["patient_a"]


def stored(database_url: str, patient_id: int) -> list[Any]:
    engine, factory = open_store(database_url)
    try:
        with factory() as uow:
            return list(uow.sessions.for_patient(patient_id))
    finally:
        engine.dispose()


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    if box is None:
        return False
    return (
        box["y"] >= 0
        and box["y"] + box["height"] <= PHONE["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
    )


def test_the_camera_counts_reps_and_holds_live_and_the_server_agrees_with_analyze(
    playwright: Playwright, tmp_path: Path, database_url: str
) -> None:
    video = photo_y4m(tmp_path / "toe-touches.y4m", toe_touch_segments())
    truth = analyze(video)
    assert truth["rep_count"] == len(HOLDS_S) and truth["held_count"] == len(HOLDS_S)
    patient_id, email = standing_patient(tmp_path, database_url)

    with live_server(database_url, tmp_path) as server, camera_browser(playwright, video) as chrome:
        page = phone(chrome, server.url, camera=True).new_page()
        sign_in(page, server.url, email)
        to_exercise(page)
        coach = page.locator("#camera-coach")
        expect(coach).to_be_visible()
        expect(coach.get_by_role("img")).to_have_attribute("src", "/static/img/camera-setup.svg")
        expect(page.locator("#camera-privacy")).to_contain_text("no picture is sent or kept")
        page.get_by_role("button", name="Use the camera").click()

        # While the camera runs, the count, the hold clock and "Stop now" fit the screen.
        expect(page.locator("#camera-live")).to_be_visible()
        for selector in ("#camera-count", "#camera-hold", ".stop-now button"):
            assert in_viewport(page, selector), (selector, page.locator(selector).bounding_box())

        count = page.locator("#camera-count")
        try:
            expect(count).to_have_text(str(len(HOLDS_S)), timeout=COUNT_TIMEOUT_MS)
        except AssertionError:
            print("page read-outs:", page.evaluate("window.__readouts"))
            raise
        expect(page.locator("#camera-held")).to_have_text(str(len(HOLDS_S)))
        expect(page.get_by_label("Repetitions done")).to_have_value(str(len(HOLDS_S)))
        readouts = page.evaluate("window.__readouts")
        assert any(re.fullmatch(r"\d\.\d s", text) for text in readouts["hold"]), readouts
        cues = readouts["cue"]
        assert cues.count("hold") == len(HOLDS_S), cues
        assert "release" in cues, cues
        assert "rep 1" in cues and "rep 2, last one" in cues and "rep 3" in cues, cues
        # Counting began only after the still second: the setup prompt came first.
        assert readouts["status"][0].startswith("Loading the pose model"), readouts

        sent = json.loads(send_exercise_step(page)[0])
        finish_session(page)
        expect(page.locator("video")).to_have_count(0)

    assert sent["v"] == 1 and sent["stage"] == "standing"
    assert sent["live"] == {"reps": len(HOLDS_S), "held": len(HOLDS_S)}
    assert all(len(frame) == 5 for frame in sent["frames"])
    sessions = stored(database_url, patient_id)
    assert len(sessions) == 1
    motion = sessions[0].motion
    assert motion is not None, "the session keeps the server's count"
    assert motion == expected_metrics(sent)
    assert motion["reps"] == truth["rep_count"]
    assert motion["held_count"] == truth["held_count"]
    assert motion["side_view"] is True
    assert motion["rom_deg_median"] == pytest.approx(truth["rom_deg_median"], abs=ROM_TOLERANCE_DEG)
    for mine, theirs in zip(motion["rom_deg"], truth["reps"], strict=True):
        assert mine == pytest.approx(theirs["rom_deg"], abs=ROM_TOLERANCE_DEG)
    assert sessions[0].reps == len(HOLDS_S)


def test_a_front_view_clip_is_refused_nothing_is_counted_and_the_page_says_why(
    playwright: Playwright, tmp_path: Path
) -> None:
    # The seated forward reach photographed from the front: a person, never side-on.
    video = photo_y4m(tmp_path / "front.y4m", [("Seated_Floor_Hamstring_Stretch_0.jpg", 6.0)])
    database_url = f"sqlite:///{tmp_path / 'spinestep.db'}"
    patient_id, email = standing_patient(tmp_path, database_url)

    with live_server(database_url, tmp_path) as server, camera_browser(playwright, video) as chrome:
        page = phone(chrome, server.url, camera=True).new_page()
        sign_in(page, server.url, email)
        to_exercise(page)
        page.get_by_role("button", name="Use the camera").click()
        expect(page.locator("#camera-status")).to_contain_text(
            "does not see you side-on", timeout=COUNT_TIMEOUT_MS
        )
        expect(page.locator("#camera-angle")).not_to_have_text("–")  # a person was measured
        expect(page.locator("#camera-count")).to_have_text("0")
        expect(page.get_by_label("Repetitions done")).to_have_value("0")
        assert send_exercise_step(page) == [""]
        finish_session(page)

    sessions = stored(database_url, patient_id)
    assert len(sessions) == 1
    assert sessions[0].reps == 0 and sessions[0].motion is None


def test_with_the_camera_refused_the_page_says_so_and_the_manual_counter_saves_the_session(
    playwright: Playwright, tmp_path: Path, database_url: str
) -> None:
    patient_id, email = standing_patient(tmp_path, database_url)

    with live_server(database_url, tmp_path) as server, camera_browser(playwright, None) as chrome:
        page = phone(chrome, server.url, camera=False).new_page()
        sign_in(page, server.url, email)
        to_exercise(page)
        expect(page.locator("#rep-trainer")).to_be_visible()
        page.get_by_role("button", name="Use the camera").click()
        expect(page.locator("#camera-message")).to_contain_text("The camera was not allowed")
        expect(page.locator("#camera-live")).to_be_hidden()
        expect(page.locator("#rep-trainer")).to_be_visible()
        page.get_by_role("button", name="Start repetition 1").click()
        expect(page.locator("#rep-status")).to_contain_text(
            "Repetition 1 of 3 done", timeout=10_000
        )
        expect(page.get_by_label("Repetitions done")).to_have_value("1")
        page.get_by_role("button", name="I have finished").click()
        finish_session(page)

    sessions = stored(database_url, patient_id)
    assert len(sessions) == 1
    assert sessions[0].reps == 1 and sessions[0].motion is None


def dark_y4m(out: Path, seconds: float) -> Path:
    """A y4m video in which the camera sees nothing at all (a black picture)."""
    width, height = VIDEO_SIZE
    done = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=black:s={width}x{height}:r={VIDEO_FPS}:d={seconds}",
            "-vf", "format=yuv420p", "-f", "yuv4mpegpipe", str(out),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(("stage", "hands_over"), [(1, True), (3, False)])
def test_lying_down_a_camera_that_cannot_see_hands_over_to_the_manual_counter(
    playwright: Playwright, tmp_path: Path, stage: int, hands_over: bool
) -> None:
    # Knees to chest is done lying down, where the camera often sees the hips and knees
    # badly: after a few seconds seen poorly the page hands over to the manual counter.
    # Standing, the same picture only asks the person to step into view.
    video = dark_y4m(tmp_path / "dark.y4m", 10.0)
    database_url = f"sqlite:///{tmp_path / 'spinestep.db'}"
    clinic = build_clinic(tmp_path, database_url)
    plan = f"/api/v1/patients/{clinic.patient_a}/plan"
    moved = clinic.api("clinician_a").patch(plan, json={"current_stage": stage, "dose": DOSE})
    assert moved.status_code == 200, moved.text
    clinic.close()

    with live_server(database_url, tmp_path) as server, camera_browser(playwright, video) as chrome:
        page = phone(chrome, server.url, camera=True).new_page()
        sign_in(page, server.url, clinic.emails["patient_a"])
        to_exercise(page)
        page.get_by_role("button", name="Use the camera").click()
        expect(page.locator("#camera-live")).to_be_visible(timeout=COUNT_TIMEOUT_MS)
        if hands_over:
            expect(page.locator("#camera-message")).to_contain_text(
                "cannot see you well enough lying down", timeout=COUNT_TIMEOUT_MS
            )
            expect(page.locator("#camera-live")).to_be_hidden()
            expect(page.locator("#rep-trainer")).to_be_visible()
            assert page.evaluate("document.querySelector('video')?.srcObject?.active") in (
                None,
                False,
            )
        else:
            page.wait_for_timeout(8_000)  # longer than the lying-down window of 4 s
            expect(page.locator("#camera-live")).to_be_visible()
            expect(page.locator("#camera-message")).not_to_contain_text("lying down")
