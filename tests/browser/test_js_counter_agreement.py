"""The browser's counter and kinematics agree with the Python ones on shared fixtures.

The same files in ``tests/data/motion/series`` run through ``domain/reps.py`` and
``domain/kinematics.py`` here, and through ``static/motion/counter.js`` and
``kinematics.js`` in headless Chromium (served to the page by ``page.route``: ES modules
do not load from ``file://``). What to expect is computed here by the Python code.

Tolerances: the JavaScript repeats the Python arithmetic operation for operation on the
same IEEE doubles, so times (sample timestamps and their differences) and the counter's
angles come out equal; 1 µs and 1e-6° leave room only for the last bits of a sum in a
different order (the mean visibility). Angles from landmarks go through atan2, acos
and asin, which V8 and the C library may round differently in the last bit: 1e-9°.
Counts, ``held`` and the order and times of the live events must match exactly, and
the live hold timer after every sample to 1 µs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

import spinestep.web
from spinestep.domain.kinematics import (
    CORE_JOINTS,
    ExerciseStage,
    Facing,
    Joint,
    Keypoint,
    PoseLandmarks,
    facing_vote,
    frame_angles,
    primary_measure,
    view_yaw_deg,
    whole_body_visible,
)
from spinestep.domain.reps import AngleSample, Rep, RepCounter
from spinestep.motion.filtering import MAX_GAP_S, OneEuroFilter

pytestmark = pytest.mark.browser

STATIC = Path(spinestep.web.__file__).parent / "static"
SERIES = Path(__file__).parents[1] / "data" / "motion" / "series"
ORIGIN = "http://motion.test"
SERIES_FILES = sorted(p.name for p in SERIES.glob("*.json") if not p.name.startswith("landmarks"))
LANDMARK_FILES = sorted(p.name for p in SERIES.glob("landmarks_*.json"))

TIME_TOLERANCE_S = 1e-6
ANGLE_TOLERANCE_DEG = 1e-6
GEOMETRY_TOLERANCE = 1e-9

Rewrite = Callable[[str], str]


def _serve(route: Route, rewrite_counter: Rewrite | None) -> None:
    """The motion modules and the fixtures, nothing else."""
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(body="<!doctype html><title>motion</title>", content_type="text/html")
        return
    folders = {"/static/motion/": STATIC / "motion", "/series/": SERIES}
    for prefix, folder in folders.items():
        name = path.removeprefix(prefix)
        if path.startswith(prefix) and "/" not in name and (folder / name).is_file():
            body = (folder / name).read_text()
            if name == "counter.js" and rewrite_counter is not None:
                body = rewrite_counter(body)
            kind = "text/javascript" if name.endswith(".js") else "application/json"
            route.fulfill(body=body, content_type=kind)
            return
    route.fulfill(status=404, body="not found")


@contextmanager
def _open_page(browser: Browser, rewrite_counter: Rewrite | None = None) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.route(f"{ORIGIN}/**", lambda route: _serve(route, rewrite_counter))
    page.goto(f"{ORIGIN}/")
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    with _open_page(browser) as opened:
        yield opened


JS_COUNT = """async (name) => {
  const m = await import("/static/motion/counter.js");
  const data = await (await fetch(`/series/${name}`)).json();
  const samples = m.samplesFromFrames(data.frames);
  // the live hold timer after every sample, fed as countSeries feeds the counter
  const timers = (smooth) => {
    const counter = new m.RepCounter();
    const smoother = new m.LiveSmoother();
    return samples.map((s) => {
      const angle = smooth ? smoother.smooth(s.t_ms, s.angle) : s.angle;
      counter.update({ t_ms: s.t_ms, angle, detected: s.detected, visibility: s.visibility });
      return counter.holdTimerS;
    });
  };
  return {
    raw: { ...m.countSeries(samples, { smooth: false }), timers: timers(false) },
    live: { ...m.countSeries(samples), timers: timers(true) },
  };
}"""


def _js_counts(page: Page, name: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(JS_COUNT, name)
    return result


# -- the Python side ---------------------------------------------------------------------
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SERIES / name).read_text())
    return data


def _python_count(frames: list[list[Any]], smooth: bool) -> dict[str, Any]:
    """RepCounter fed one sample at a time, as the live coach feeds it: the raw angle,
    or the angle through the 1€ filter restarted after a gap of more than MAX_GAP_S."""
    counter = RepCounter()
    one_euro = OneEuroFilter()
    last_pose_s: float | None = None
    events: list[tuple[str, int]] = []
    timers: list[float] = []
    for t_ms, angle, visibility in frames:
        t_s = t_ms / 1000
        value = angle
        if smooth and angle is not None:
            if last_pose_s is not None and t_s - last_pose_s > MAX_GAP_S:
                one_euro.reset()
            value = one_euro(t_s, angle)
            last_pose_s = t_s
        sample = AngleSample(t_s, value, angle is not None, visibility)
        events += [(e.kind, round(e.t_s * 1000)) for e in counter.update(sample)]
        timers.append(counter.hold_timer_s)
    events += [(e.kind, round(e.t_s * 1000)) for e in counter.finish()]
    return {
        "baseline_deg": counter.baseline_deg,
        "reps": counter.reps,
        "events": events,
        "timers": timers,
    }


REP_TIMES = ("start_s", "end_s", "peak_s", "hold_s", "hold_start_s", "hold_end_s")
REP_VALUES = ("peak_deg", "rom_deg", "detected_fraction", "visibility")


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=0.0, abs_tol=tolerance)


def _differences(python: dict[str, Any], js: dict[str, Any]) -> list[str]:
    """Every way the browser's count differs from the Python one (empty: they agree)."""
    found: list[str] = []
    if not _close(python["baseline_deg"], js["baseline_deg"], ANGLE_TOLERANCE_DEG):
        found.append(f"baseline {python['baseline_deg']} != {js['baseline_deg']}")
    js_events = [(e["kind"], e["t_ms"]) for e in js["events"]]
    if python["events"] != js_events:
        found.append(f"events {python['events']} != {js_events}")
    timers = python["timers"]
    if len(timers) != len(js["timers"]) or not all(
        _close(a, b, TIME_TOLERANCE_S) for a, b in zip(timers, js["timers"], strict=False)
    ):
        found.append("the live hold timer differs")
    reps: list[Rep] = python["reps"]
    if len(reps) != js["rep_count"] or len(js["reps"]) != len(reps):
        found.append(f"rep count {len(reps)} != {js['rep_count']}")
    if sum(r.held for r in reps) != js["held_count"]:
        found.append(f"held count {sum(r.held for r in reps)} != {js['held_count']}")
    for rep, js_rep in zip(reps, js["reps"], strict=False):
        if (rep.index, rep.held) != (js_rep["index"], js_rep["held"]):
            found.append(f"rep {rep.index}: held {rep.held} != {js_rep['held']}")
        for field in REP_TIMES:
            if not _close(getattr(rep, field), js_rep[field], TIME_TOLERANCE_S):
                found.append(f"rep {rep.index} {field}: {getattr(rep, field)} != {js_rep[field]}")
        for field in REP_VALUES:
            if not _close(getattr(rep, field), js_rep[field], ANGLE_TOLERANCE_DEG):
                found.append(f"rep {rep.index} {field}: {getattr(rep, field)} != {js_rep[field]}")
    return found


# -- counting ----------------------------------------------------------------------------
def test_the_fixtures_cover_what_the_counter_must_get_right() -> None:
    """Reps held and not held, rises too small to count, gaps with no person, and a
    hold of exactly 800 ms, according to the Python counter."""
    counts = {name: _python_count(_load(name)["frames"], smooth=False) for name in SERIES_FILES}
    assert len(SERIES_FILES) >= 8
    reps = [rep for count in counts.values() for rep in count["reps"]]
    assert any(rep.held for rep in reps) and any(not rep.held for rep in reps)
    assert len(counts["clean_10_reps_30fps.json"]["reps"]) == 10
    assert len(counts["short_rises_not_reps.json"]["reps"]) == 1
    assert [r.held for r in counts["hold_800ms.json"]["reps"]] == [True, False, True]
    gaps = _load("gaps_no_person.json")["frames"]
    assert any(angle is None for _, angle, _ in gaps)


@pytest.mark.parametrize("name", SERIES_FILES)
@pytest.mark.parametrize("smooth", [False, True], ids=["raw", "live-smoothed"])
def test_js_counter_agrees_with_python(page: Page, name: str, smooth: bool) -> None:
    frames = _load(name)["frames"]
    python = _python_count(frames, smooth)
    js = _js_counts(page, name)["live" if smooth else "raw"]
    assert python["reps"], "every fixture has at least one rep to compare"
    assert _differences(python, js) == []


#: Changes to the browser counter that the fixtures must tell apart from the Python one.
MUTATIONS = {
    "baseline window 1 s -> 0.9 s": ("BASELINE_WINDOW_S = 1.0", "BASELINE_WINDOW_S = 0.9"),
    "min rise 15 deg -> 14.5 deg": ("MIN_RISE_DEG = 15.0", "MIN_RISE_DEG = 14.5"),
    "exit min 7.5 deg -> 8 deg": ("EXIT_MIN_DEG = 7.5", "EXIT_MIN_DEG = 8.0"),
    "exit 40 pct -> 42 pct": ("EXIT_FRACTION = 0.4", "EXIT_FRACTION = 0.42"),
    "rest band 10 pct -> 11 pct": ("REST_BAND_FRACTION = 0.1", "REST_BAND_FRACTION = 0.11"),
    "rest band min 5 deg -> 5.5 deg": ("REST_BAND_MIN_DEG = 5.0", "REST_BAND_MIN_DEG = 5.5"),
    "hold band 10 deg -> 9.5 deg": ("HOLD_BAND_DEG = 10.0", "HOLD_BAND_DEG = 9.5"),
    "hold speed 30 deg/s -> 29 deg/s": (
        "HOLD_MAX_SPEED_DEG_S = 30.0",
        "HOLD_MAX_SPEED_DEG_S = 29.0",
    ),
    "held from 0.8 s -> 0.801 s": ("HELD_MIN_S = 0.8", "HELD_MIN_S = 0.801"),
    "bridge 0.1 s -> 0.12 s": ("HOLD_BRIDGE_S = 0.1", "HOLD_BRIDGE_S = 0.12"),
    "pre-rep memory 10 s -> 2 s": ("PRE_REP_MEMORY_S = 10.0", "PRE_REP_MEMORY_S = 2.0"),
    "live gap 0.5 s -> 0.4 s": ("MAX_GAP_S = 0.5", "MAX_GAP_S = 0.4"),
    "one-euro min cutoff 1 Hz -> 1.1 Hz": ("minCutoffHz = 1.0,", "minCutoffHz = 1.1,"),
    "one-euro beta 0.02 -> 0.021": ("beta = 0.02,", "beta = 0.021,"),
    "one-euro derivative cutoff 1 Hz -> 1.1 Hz": (
        "derivativeCutoffHz = 1.0 }",
        "derivativeCutoffHz = 1.1 }",
    ),
    "held compared in float seconds": (
        "return wholeMs(holdS) >= wholeMs(HELD_MIN_S);",
        "return holdS >= HELD_MIN_S;",
    ),
    "hold from its first sample to its last": (
        "return Math.min(Math.abs(neighbour.t_s - at.t_s) / 2.0, HOLD_BRIDGE_S / 2.0);",
        "return 0.0;",
    ),
    "hold reaching past long gaps": (
        "return Math.min(Math.abs(neighbour.t_s - at.t_s) / 2.0, HOLD_BRIDGE_S / 2.0);",
        "return Math.abs(neighbour.t_s - at.t_s) / 2.0;",
    ),
    "hold reaching into frames without a person": (
        "outside !== null && outside.angle !== null ? outside : inside;",
        "outside !== null ? outside : inside;",
    ),
    "live hold without the sample before the rep": (
        "this.hold = new HoldFinder(this.last);",
        "this.hold = new HoldFinder();",
    ),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_changed_js_counter_is_caught(browser: Browser, mutation: str) -> None:
    old, new = MUTATIONS[mutation]
    source = (STATIC / "motion" / "counter.js").read_text()
    assert source.count(old) == 1

    def rewrite(body: str) -> str:
        return body.replace(old, new)

    differing = []
    with _open_page(browser, rewrite) as page:
        for name in SERIES_FILES:
            frames = _load(name)["frames"]
            js = _js_counts(page, name)
            for smooth in (False, True):
                if _differences(_python_count(frames, smooth), js["live" if smooth else "raw"]):
                    differing.append((name, smooth))
    assert differing, f"no fixture notices the change {mutation}"


# -- kinematics --------------------------------------------------------------------------
JS_GEOMETRY = """async (name) => {
  const k = await import("/static/motion/kinematics.js");
  const data = await (await fetch(`/series/${name}`)).json();
  return data.frames.map(({ width, height, landmarks }) => {
    const points = landmarks.map(([x, y, z, visibility]) => ({ x, y, z, visibility }));
    return {
      right: k.frameAngles(points, "right", width, height),
      left: k.frameAngles(points, "left", width, height),
      yaw: k.viewYawDeg(points, width, height),
      vote: k.facingVote(points, width, height),
      whole: k.wholeBodyVisible(points, width, height),
      visibility: k.meanVisibility(points),
      primary: ["standing", "seated", "supine"].map((stage) =>
        k.primaryAngle(points, stage, "right", width, height)),
    };
  });
}"""


def _pose(frame: dict[str, Any]) -> PoseLandmarks:
    """As the Python pose stage converts MediaPipe's landmarks: normalised -> pixels."""
    width, height = frame["width"], frame["height"]
    rows = frame["landmarks"]
    points = {
        joint: Keypoint(rows[joint][0] * width, rows[joint][1] * height, rows[joint][3])
        for joint in Joint
    }
    return PoseLandmarks(points, width, height)


@pytest.mark.parametrize("name", LANDMARK_FILES)
def test_js_kinematics_agree_with_python(page: Page, name: str) -> None:
    frames = _load(name)["frames"]
    js_frames: list[dict[str, Any]] = page.evaluate(JS_GEOMETRY, name)
    assert len(js_frames) == len(frames) >= 5
    for frame, js in zip(frames, js_frames, strict=True):
        pose = _pose(frame)
        for facing in Facing:
            angles = frame_angles(pose, facing)
            got = js[facing.value]
            assert got["trunk"] == pytest.approx(angles.trunk_flexion_deg, abs=GEOMETRY_TOLERANCE)
            assert got["hip"] == pytest.approx(angles.hip_flexion_deg, abs=GEOMETRY_TOLERANCE)
            assert got["ratio"] == pytest.approx(angles.knee_to_chest_ratio, abs=GEOMETRY_TOLERANCE)
        assert js["yaw"] == pytest.approx(view_yaw_deg(pose), abs=GEOMETRY_TOLERANCE)
        assert js["vote"] == pytest.approx(facing_vote(pose), abs=GEOMETRY_TOLERANCE)
        assert js["whole"] is whole_body_visible(pose)
        assert js["visibility"] == pytest.approx(
            pose.mean_visibility(CORE_JOINTS), abs=GEOMETRY_TOLERANCE
        )
        expected = [
            frame_angles(pose, Facing.RIGHT).value(primary_measure(ExerciseStage(stage)))
            for stage in ("standing", "seated", "supine")
        ]
        assert js["primary"] == pytest.approx(expected, abs=GEOMETRY_TOLERANCE)


def test_landmark_fixtures_cover_views_and_framing() -> None:
    """Side and front views, both facings, a person cut off by the frame (Python's view)."""
    poses = [_pose(f) for name in LANDMARK_FILES for f in _load(name)["frames"]]
    yaws = [view_yaw_deg(p) for p in poses]
    assert min(yaws) < 15.0 and max(yaws) > 45.0
    votes = [facing_vote(p) for p in poses]
    assert min(votes) < 0.0 < max(votes)
    visible = [whole_body_visible(p) for p in poses]
    assert True in visible and False in visible


JS_REFUSALS = """async () => {
  const k = await import("/static/motion/kinematics.js");
  const c = await import("/static/motion/counter.js");
  const message = (f) => { try { f(); return null; } catch (e) { return e.message; } };
  const points = Array.from({ length: 33 }, () => ({ x: 0.5, y: 0.5, z: 0, visibility: 1 }));
  return [
    message(() => k.primaryMeasure("walking")),
    message(() => k.frameAngles(points, "up", 640, 480)),
    message(() => k.frameAngles(points, "left", 0, 480)),
    message(() => new c.RepCounter().update({ t_ms: "soon", angle: 3 })),
    message(() => new c.RepCounter().update({ t_ms: 0, angle: NaN })),
  ];
}"""


def test_js_modules_refuse_bad_input_with_a_message(page: Page) -> None:
    messages: list[str | None] = page.evaluate(JS_REFUSALS)
    assert messages[0] is not None and "stage" in messages[0]
    assert messages[1] is not None and "facing" in messages[1]
    assert messages[2] is not None and "width" in messages[2]
    assert messages[3] is not None and "t_ms" in messages[3]
    assert messages[4] is not None and "angle" in messages[4]
