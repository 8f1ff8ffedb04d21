"""The pose runner in Chromium with a fake camera: files from the app only, drops, stops.

The camera is Chromium's fake device playing a y4m made here with ffmpeg from the
toe-touch photos (upright, then bent). The page is a minimal one on the app's own
origin (answered by the test with the app's security headers), loading
``/static/motion/pose-runner.js`` and the pose files from the running app.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.server import LiveServer, live_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
MEDIA = ROOT / "tests" / "data" / "media"
HARNESS_PAGE = "/__pose_test__/page.html"
HARNESS_SCRIPT = "/__pose_test__/harness.js"
MEDIA_PATH = "/__pose_test__/media/"
WIDTH, HEIGHT = 480, 320

# Drives the runner for the test: every analysed frame, error and stop is kept on
# window.harness; a slow-down wraps the pose's send() to make each analysis take longer.
HARNESS_JS = """
import {
  CPU_ASSETS_TAG, PoseRunner, chooseBackend, loadPoseBackend, webglRenderer,
} from "/static/motion/pose-runner.js";
import { frameAngles } from "/static/motion/kinematics.js";

const harness = { frames: [], errors: [], stops: [], inFlight: 0, maxInFlight: 0 };
window.harness = harness;

harness.start = async (options) => {
  const video = document.querySelector("video");
  harness.runner = new PoseRunner({
    video,
    model: options.model,
    backend: options.backend || "auto",
    stepDownMs: options.stepDownMs === undefined ? 66 : options.stepDownMs,
    onFrame: (frame) => harness.frames.push(frame),
    onError: (error) => harness.errors.push(error),
    onStop: (stop) => harness.stops.push(stop),
  });
  const started = harness.runner.start({ facingMode: "user" });
  const ok = await started;
  harness.resetCalls = 0;
  if (ok) {
    const pose = harness.runner.pose;
    const reset = pose.reset.bind(pose);
    pose.reset = () => {
      harness.resetCalls += 1;
      reset();
    };
  }
  if (ok && options.slowMs) {
    const pose = harness.runner.pose;
    const estimate = pose.estimate.bind(pose);
    pose.estimate = async (input) => {
      harness.inFlight += 1;
      harness.maxInFlight = Math.max(harness.maxInFlight, harness.inFlight);
      try {
        const landmarks = await estimate(input);
        await new Promise((resolve) => setTimeout(resolve, options.slowMs));
        return landmarks;
      } finally {
        harness.inFlight -= 1;
      }
    };
  }
  harness.tracks = harness.runner.stream ? harness.runner.stream.getTracks() : [];
  return ok;
};

harness.again = async () => {
  const ok = await harness.runner.start({ facingMode: "environment" });
  harness.tracks = harness.runner.stream ? harness.runner.stream.getTracks() : [];
  return ok;
};

harness.hide = () => {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  document.dispatchEvent(new Event("visibilitychange"));
};

harness.trackStates = () => harness.tracks.map((track) => track.readyState);

harness.renderer = () => webglRenderer();
harness.cpuTag = CPU_ASSETS_TAG;
harness.choose = (renderers) => renderers.map((renderer) => chooseBackend(renderer));

// Each photo's landmarks from one backend, and kinematics.js's angles of them.
harness.photoAngles = async (backend, model, names) => {
  const pose = await loadPoseBackend(backend, model);
  const out = {};
  for (const name of names) {
    const image = new Image();
    image.src = `/__pose_test__/media/${name}`;
    await image.decode();
    pose.reset();
    const landmarks = await pose.estimate(image);
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    out[name] = landmarks && {
      angles: frameAngles(landmarks, "right", width, height),
      landmarks,
    };
  }
  pose.close();
  return { backend: pose.name, photos: out };
};
"""


def load_pose_assets_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pose_assets", ROOT / "scripts/pose_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30 fps y4m: 1 s upright, 1 s bent forward (Chromium loops it)."""
    out = tmp_path_factory.mktemp("camera") / "toe-touch.y4m"
    upright = MEDIA / "Standing_Toe_Touches_0.jpg"
    bent = MEDIA / "Standing_Toe_Touches_1.jpg"
    scale = f"scale={WIDTH}:{HEIGHT},setsar=1,fps=30,format=yuv420p"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y",
            "-loop", "1", "-t", "1", "-i", str(upright),
            "-loop", "1", "-t", "1", "-i", str(bent),
            "-filter_complex", f"[0:v]{scale}[a];[1:v]{scale}[b];[a][b]concat=n=2:v=1[v]",
            "-map", "[v]", "-f", "yuv4mpegpipe", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def smooth_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30 fps y4m without a cut: the upright photo panning slowly to and fro (4 s, so
    the loop joins smoothly), as when the phone sways or the person shifts."""
    out = tmp_path_factory.mktemp("smooth") / "pan.y4m"
    upright = MEDIA / "Standing_Toe_Touches_0.jpg"
    pan = (
        f"scale={WIDTH + 24}:{HEIGHT + 16},setsar=1,"
        f"crop={WIDTH}:{HEIGHT}:x='12+12*sin(2*PI*t/4)':y=8,fps=30,format=yuv420p"
    )
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y",
            "-framerate", "30", "-loop", "1", "-t", "4", "-i", str(upright),
            "-vf", pan, "-f", "yuv4mpegpipe", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def launch_with_camera(playwright: Playwright, video: Path) -> Browser:
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@pytest.fixture(scope="module")
def camera_browser(playwright: Playwright, camera_video: Path) -> Iterator[Browser]:
    browser = launch_with_camera(playwright, camera_video)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("pose-server")
    assets = load_pose_assets_script()
    stale = assets.stale_files(assets.DEST)
    if stale:
        pytest.fail(f"pose assets missing ({', '.join(stale)}): run make setup", pytrace=False)
    with live_server(f"sqlite:///{workdir / 'spinestep.db'}", workdir) as live:
        yield live


class PoseSession:
    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.requests: list[str] = []
        self.content_types: dict[str, str] = {}
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", self._note_type)

    def _note_type(self, response: Any) -> None:
        self.content_types[response.url.split("?")[0]] = response.headers.get("content-type", "")

    def start(self, **options: Any) -> bool:
        return bool(self.page.evaluate("(options) => window.harness.start(options)", options))

    def value(self, expression: str) -> Any:
        return self.page.evaluate(f"() => {expression}")

    def wait_for(self, expression: str, timeout_s: float = 120.0) -> Any:
        # Polled from Python: the page's policy forbids the string evaluation that
        # Playwright's wait_for_function uses.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.value(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}: {self.value('harness')}")


def open_session(context: BrowserContext, server: LiveServer) -> PoseSession:
    """The harness page on the app's origin, with the headers the app sends on its pages."""
    app_headers = dict(context.request.get(f"{server.url}/login").headers)
    policy = app_headers["content-security-policy"]
    page_html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>pose runner</title>'
        f'<script type="module" src="{HARNESS_SCRIPT}"></script></head>'
        # The element's layout size differs from the camera's frames (480x320), as on a
        # page whose style sizes the preview: landmarks must follow the frame.
        '<body><video width="200" height="300"></video></body></html>'
    )

    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(server.url)
        headers = {"content-security-policy": policy, "x-content-type-options": "nosniff"}
        if path == HARNESS_PAGE:
            route.fulfill(body=page_html, content_type="text/html", headers=headers)
        elif path.startswith(MEDIA_PATH):
            photo = MEDIA / path.removeprefix(MEDIA_PATH)
            route.fulfill(body=photo.read_bytes(), content_type="image/jpeg", headers=headers)
        else:
            route.fulfill(body=HARNESS_JS, content_type="text/javascript", headers=headers)

    context.route(f"{server.url}/__pose_test__/**", answer)
    page = context.new_page()
    session = PoseSession(page, server.url)
    page.goto(f"{server.url}{HARNESS_PAGE}")
    session.wait_for("window.harness !== undefined", timeout_s=30)
    return session


@pytest.fixture
def granted(camera_browser: Browser, server: LiveServer) -> Iterator[PoseSession]:
    context = camera_browser.new_context(permissions=["camera"])
    yield open_session(context, server)
    context.close()


@pytest.fixture
def smooth(playwright: Playwright, smooth_video: Path, server: LiveServer) -> Iterator[PoseSession]:
    browser = launch_with_camera(playwright, smooth_video)
    try:
        yield open_session(browser.new_context(permissions=["camera"]), server)
    finally:
        browser.close()


def test_a_cut_in_the_picture_resets_tracking_and_still_frames_do_not(
    granted: PoseSession,
) -> None:
    # The camera cuts between the upright and the bent photo every second; between the
    # cuts the picture does not change.
    assert granted.start(model="lite")
    granted.wait_for("harness.frames.length >= 2 && harness.frames.at(-1).t_ms >= 5000")
    granted.value("harness.runner.stop()")
    stats = granted.value("harness.runner.stats")
    span_ms = granted.value("harness.frames.at(-1).t_ms - harness.frames[0].t_ms")
    resets = granted.value("harness.resetCalls")
    print(
        f"cut clip: {stats['resets']} resets in {stats['analysedFrames']} analysed frames "
        f"over {span_ms} ms; cut check {stats['cutCheckMs'] / stats['analysedFrames']:.2f} ms/frame"
    )
    assert resets == stats["resets"]  # each one reached the pose backend
    assert resets >= 2
    # At most one reset per cut: the still frames between the cuts never reset.
    assert resets <= span_ms // 1000 + 1


def test_smooth_movement_does_not_reset_tracking(smooth: PoseSession) -> None:
    assert smooth.start(model="lite")
    smooth.wait_for("harness.frames.length >= 10 && harness.frames.at(-1).t_ms >= 5000")
    smooth.value("harness.runner.stop()")
    stats = smooth.value("harness.runner.stats")
    print(
        f"smooth clip: {stats['analysedFrames']} analysed frames; "
        f"cut check {stats['cutCheckMs'] / stats['analysedFrames']:.2f} ms/frame"
    )
    assert stats["resets"] == 0 and smooth.value("harness.resetCalls") == 0
    assert any(frame["landmarks"] for frame in smooth.value("harness.frames"))


@pytest.mark.parametrize("backend", ["wasm", "mediapipe"])
def test_the_runner_finds_the_person_with_files_from_the_app_alone(
    granted: PoseSession, server: LiveServer, backend: str
) -> None:
    assert granted.start(model="lite", backend=backend)
    assert granted.value("harness.runner.backend") == backend
    granted.wait_for("harness.frames.filter((f) => f.landmarks).length >= 3")
    frames = granted.value("harness.frames")
    seen = [frame for frame in frames if frame["landmarks"]]
    assert all(len(frame["landmarks"]) == 33 for frame in seen)
    assert all(
        0.0 <= point["x"] <= 1.0 and 0.0 <= point["y"] <= 1.0
        for frame in seen
        for point in frame["landmarks"][11:29]
    )
    assert {(frame["width"], frame["height"]) for frame in frames} == {(WIDTH, HEIGHT)}
    assert {frame["model"] for frame in frames} == {"lite"}
    hips_and_shoulders = [11, 12, 23, 24]
    assert (
        max(min(frame["landmarks"][i]["visibility"] for i in hips_and_shoulders) for frame in seen)
        > 0.5
    )
    times = [frame["t_ms"] for frame in frames]
    assert all(isinstance(t, int) for t in times) and times == sorted(set(times))
    assert granted.value("harness.errors") == []
    # Every request went to the app; the pose files are the pinned ones, under the
    # vendor path, versioned, the runtime as application/wasm.
    assert all(url.startswith(f"{server.url}/") for url in granted.requests), granted.requests
    assets = load_pose_assets_script()
    if backend == "mediapipe":
        vendor = f"{server.url}/static/vendor/mediapipe-pose/"
        pinned, version, model_file = set(assets.FILES), assets.VERSION, "pose_landmark_lite.tflite"
    else:
        vendor = f"{server.url}/static/vendor/mediapipe-pose/{assets.CPU_SUBDIR}/"
        pinned, model_file = set(assets.CPU_FILES), "blazepose-lite.bin"
        version = granted.value("harness.cpuTag")
    fetched = {url.removeprefix(vendor) for url in granted.requests if url.startswith(vendor)}
    assert {name.split("?")[0] for name in fetched} <= pinned
    assert all(name.endswith(f"?v={version}") for name in fetched)
    assert model_file in {name.split("?")[0] for name in fetched}
    wasm = [url for url in granted.content_types if url.endswith(".wasm")]
    assert wasm and all(granted.content_types[url] == "application/wasm" for url in wasm)


def test_a_slow_analysis_drops_camera_frames_and_never_overlaps(granted: PoseSession) -> None:
    assert granted.start(model="lite", slowMs=250)
    granted.wait_for("harness.frames.length >= 4")
    assert granted.value("harness.runner.typicalProcessMs") is None  # still warming up
    granted.wait_for("harness.runner.typicalProcessMs !== null")
    assert granted.value("harness.runner.typicalProcessMs") >= 250
    stats = granted.value("harness.runner.stats")
    assert granted.value("harness.maxInFlight") == 1
    assert stats["droppedFrames"] > 0
    assert stats["cameraFrames"] >= stats["analysedFrames"] + stats["droppedFrames"] - 1
    assert stats["analysedFrames"] < stats["cameraFrames"]
    # The next analysis takes the newest frame: never one captured before the previous
    # analysis (with its 250 ms slow-down) ended.
    frames = granted.value("harness.frames")
    gaps = [b["t_ms"] - a["t_ms"] for a, b in itertools.pairwise(frames)]
    assert min(gaps) >= 200


def test_the_full_model_steps_down_to_lite_when_frames_are_slow(granted: PoseSession) -> None:
    assert granted.start(model="full", stepDownMs=1)
    granted.wait_for("harness.runner.stats.steppedDown")
    granted.wait_for("harness.frames.some((f) => f.model === 'lite' && f.landmarks)")
    models = [frame["model"] for frame in granted.value("harness.frames")]
    first_lite = models.index("lite")
    assert first_lite > 3 and set(models[:first_lite]) == {"full"}
    assert set(models[first_lite:]) == {"lite"}


def test_hiding_the_tab_stops_the_camera(granted: PoseSession) -> None:
    assert granted.start(model="lite")
    granted.wait_for("harness.frames.length >= 1")
    assert granted.value("harness.trackStates()") == ["live"]
    granted.value("harness.hide()")
    assert granted.value("harness.trackStates()") == ["ended"]
    assert granted.value("harness.stops") == [{"reason": "hidden"}]
    assert granted.value("harness.runner.running") is False
    analysed = granted.value("harness.frames.length")
    granted.page.wait_for_timeout(1500)
    assert granted.value("harness.frames.length") == analysed


def test_stop_ends_the_camera_tracks(granted: PoseSession) -> None:
    assert granted.start(model="lite")
    granted.wait_for("harness.frames.length >= 1")
    granted.value("harness.runner.stop()")
    assert granted.value("harness.trackStates()") == ["ended"]
    assert granted.value("harness.stops") == [{"reason": "stopped"}]
    assert granted.value("document.querySelector('video').srcObject") is None


def test_the_runner_starts_again_without_loading_the_model_again(
    granted: PoseSession,
) -> None:
    assert granted.start(model="lite")
    granted.wait_for("harness.frames.length >= 1")
    granted.value("harness.runner.stop()")
    first_tracks = granted.value("harness.trackStates()")
    before = granted.value("harness.frames.length")
    assert granted.value("harness.again()") is True
    granted.wait_for(f"harness.frames.length >= {before + 2}")
    assert first_tracks == ["ended"]
    assert granted.value("harness.trackStates()") == ["live"]
    assert granted.value("harness.runner.backend") == "wasm"
    models = [url for url in granted.requests if "blazepose-lite.bin" in url]
    assert len(models) == 1
    frames = granted.value("harness.frames")[before:]
    assert frames[0]["t_ms"] == 0  # a new run counts its time from its own first frame
    assert [f["t_ms"] for f in frames] == sorted({f["t_ms"] for f in frames})
    counted, reported = granted.value(
        "[harness.runner.stats.analysedFrames, harness.frames.length]"
    )
    assert counted == reported


def test_a_refused_camera_reports_permission_denied(
    camera_browser: Browser, server: LiveServer
) -> None:
    context = camera_browser.new_context()  # no camera permission: Chromium refuses
    try:
        session = open_session(context, server)
        assert session.start(model="lite") is False
        errors = session.value("harness.errors")
        assert [error["kind"] for error in errors] == ["permission_denied"]
        assert session.value("harness.frames") == []
    finally:
        context.close()


def test_pose_files_that_do_not_load_report_load_failed(
    camera_browser: Browser, server: LiveServer
) -> None:
    context = camera_browser.new_context(permissions=["camera"])
    context.route("**/static/vendor/**", lambda route: route.abort())
    try:
        session = open_session(context, server)
        assert session.start(model="lite") is False
        assert [error["kind"] for error in session.value("harness.errors")] == ["load_failed"]
        assert session.value("harness.trackStates()") == []
        assert json.dumps(session.value("harness.frames")) == "[]"
    finally:
        context.close()


# --- the CPU (WebAssembly) backend ----------------------------------------------------

PHOTOS = sorted(path.name for path in MEDIA.glob("*.jpg"))


def python_angles(name: str) -> dict[str, float]:
    """Trunk and hip flexion of the photo by the Python pipeline (MediaPipe, full model)."""
    import cv2

    from spinestep.domain.kinematics import Facing, frame_angles
    from spinestep.motion.pose import MediaPipePose

    with MediaPipePose(still_images=True) as pose:
        landmarks = pose.estimate(cv2.imread(str(MEDIA / name)))
    assert landmarks is not None, name
    angles = frame_angles(landmarks, Facing.RIGHT)
    return {"trunk": angles.trunk_flexion_deg, "hip": angles.hip_flexion_deg}


def test_auto_takes_the_cpu_backend_where_webgl_is_software(granted: PoseSession) -> None:
    # This Chromium has no GPU: WebGL, if any, is SwiftShader.
    renderer = granted.value("harness.renderer()")
    assert renderer is None or "swiftshader" in renderer.lower(), renderer
    assert granted.value(
        "harness.choose([null, 'Google SwiftShader', 'ANGLE (Google, Vulkan 1.3.0 "
        "(SwiftShader Device (Subzero)), SwiftShader driver)', 'llvmpipe (LLVM 15.0.6, 256 bits)', "
        "'ANGLE (Apple, Apple M1, OpenGL 4.1)', 'Adreno (TM) 640', 'Mali-G78'])"
    ) == ["wasm", "wasm", "wasm", "wasm", "mediapipe", "mediapipe", "mediapipe"]
    assert granted.start(model="lite")
    assert granted.value("harness.runner.backend") == "wasm"
    granted.wait_for("harness.frames.filter((f) => f.landmarks).length >= 3")


# The side-on photos (the coach refuses other views). The seated stretch faces the
# camera with the hips hidden behind the legs: there both models guess the hips.
SIDE_ON = [name for name in PHOTOS if not name.startswith("Seated_Floor")]
# Full is a TF.js conversion of MediaPipe's full model, which the Python pipeline runs: the
# angles differ by the conversion, preprocessing and arithmetic
# (the MediaPipe web solution itself differs from Python by
# up to 5 degrees on these photos); lite is a smaller model and reads deep flexion up to
# 13 degrees away. Both bounds stay under the 15-degree rise that starts a rep
# (domain/reps.py), and a swapped, mirrored or unnormalised landmark set misses them by
# tens of degrees.
TOLERANCE_DEG = {"full": 8.0, "lite": 15.0}


@pytest.mark.parametrize("model", ["full", "lite"])
def test_the_cpu_backend_measures_the_photos_as_the_python_pipeline_does(
    granted: PoseSession, model: str
) -> None:
    result = granted.page.evaluate(
        "([model, names]) => window.harness.photoAngles('wasm', model, names)", [model, SIDE_ON]
    )
    assert result["backend"] == "wasm"
    for name in SIDE_ON:
        browser = result["photos"][name]
        assert browser is not None, f"no person found in {name}"
        assert len(browser["landmarks"]) == 33
        expected = python_angles(name)
        for measure in ("trunk", "hip"):
            difference = abs(browser["angles"][measure] - expected[measure])
            assert difference <= TOLERANCE_DEG[model], (name, measure, browser["angles"], expected)
