"""Benchmark of pose in the browser against the Python pipeline, on the same video, one run.

The video: toe touches from the test photos (2 s upright, then 4 reps of 1.5 s bent and
1.5 s upright), 640 px wide, 30 frames/s. Headless Chromium (the system's) plays it as
its fake camera (a y4m); a page on the app's origin runs ``static/motion/pose-runner.js``
on each pose backend (``wasm``: TF.js on WebAssembly, the CPU; ``mediapipe``: the
MediaPipe web solution, WebGL) with the lite and then the full model (no step-down, so
each model is measured), and for every analysed frame computes the trunk angle
(``kinematics.js``), feeds the live counter (``counter.js``) and shows the count.
Figures per backend and model:

* analysed frames per second, and the share of the camera's frames analysed (the rest
  are dropped, never queued);
* latency from a frame to the count shown for it (p50/p95): from the frame's capture
  time (``requestVideoFrameCallback``'s ``captureTime``, else the time the page saw the
  frame) to the animation frame after the count was written;
* page memory: the JavaScript heap (CDP ``Performance.getMetrics``) and the resident
  memory of the renderer and GPU processes (CDP ``SystemInfo.getProcessInfo``).

Then the Python pipeline on the same video: ``spinestep analyze``'s recorded-video path
(frames/s over the whole file) and the live loop at the video's own pace (frames
analysed, latency p50/p95), with this process's peak resident memory.

Target: at least 15 analysed frames/s with the lite model on a 2-core machine, and the
live count never falling behind the camera (frames dropped, latency flat). Run with
``uv run --frozen --all-extras python bench/motion_browser.py [--seconds S]``; it
prints the figures, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))

from serving import start_serve

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT / "tests" / "data" / "media"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT, FPS = 640, 426, 30
PLAN_S = [("upright", 2.0)] + [("bent", 1.5), ("upright", 1.5)] * 4
HARNESS_PAGE = "/__bench__/page.html"
HARNESS_SCRIPT = "/__bench__/harness.js"

HARNESS_JS = """
import { PoseRunner, chooseBackend, webglRenderer } from "/static/motion/pose-runner.js";
import { RepCounter, LiveSmoother } from "/static/motion/counter.js";
import {
  primaryAngle, meanVisibility, facingVote, facingFromVotes,
} from "/static/motion/kinematics.js";

const bench = {
  latencies: [], processMs: [], errors: [], analysed: 0, firstAt: null, lastAt: null,
  angles: [],
};
window.bench = bench;
bench.auto = () => ({ renderer: webglRenderer(), backend: chooseBackend() });

bench.start = async (model, backend) => {
  const video = document.querySelector("video");
  const count = document.getElementById("count");
  const counter = new RepCounter();
  const smoother = new LiveSmoother();
  const votes = [];
  bench.captureClock = "unknown";
  bench.runner = new PoseRunner({
    video, model, backend, stepDownMs: null,
    onError: (error) => bench.errors.push(error),
    onFrame: (frame) => {
      const now = performance.now();
      if (bench.firstAt === null) bench.firstAt = now;
      bench.lastAt = now;
      bench.analysed += 1;
      let angle = null;
      let visibility = 0;
      if (frame.landmarks) {
        votes.push(facingVote(frame.landmarks, frame.width, frame.height));
        const facing = facingFromVotes(votes);
        angle = primaryAngle(frame.landmarks, "standing", facing, frame.width, frame.height);
        visibility = meanVisibility(frame.landmarks);
      }
      bench.angles.push(angle === null ? null : Math.round(angle));
      counter.update({
        t_ms: frame.t_ms, angle: smoother.smooth(frame.t_ms, angle),
        detected: angle !== null, visibility,
      });
      count.textContent = String(counter.repCount);
      bench.processMs.push(frame.processMs);
      // The rAF argument is the frame's start, which may predate a long wasm call.
      requestAnimationFrame(() => bench.latencies.push(performance.now() - frame.capturedAt));
    },
  });
  const ok = await bench.runner.start({ facingMode: "user" });
  video.requestVideoFrameCallback((now, meta) => {
    bench.captureClock = meta.captureTime ? "captureTime" : "callback";
  });
  return ok;
};

bench.reset = () => {
  Object.assign(bench.runner.stats, { cameraFrames: 0, droppedFrames: 0, analysedFrames: 0 });
  Object.assign(bench, { latencies: [], processMs: [], analysed: 0, firstAt: null, angles: [] });
};

bench.finish = () => {
  bench.runner.stop();
  return {
    stats: bench.runner.stats,
    latencies: bench.latencies,
    processMs: bench.processMs,
    analysed: bench.analysed,
    seconds: (bench.lastAt - bench.firstAt) / 1000,
    count: document.getElementById("count").textContent,
    angles: bench.angles,
    errors: bench.errors,
    captureClock: bench.captureClock,
  };
};
"""


def frame_of(name: str) -> Path:
    return MEDIA / f"Standing_Toe_Touches_{0 if name == 'upright' else 1}.jpg"


def make_videos(workdir: Path) -> tuple[Path, Path]:
    """The same frames as a y4m (Chromium's fake camera) and an mp4 (the Python pipeline)."""
    inputs: list[str] = []
    for name, seconds in PLAN_S:
        inputs += ["-loop", "1", "-t", str(seconds), "-i", str(frame_of(name))]
    scale = f"scale={WIDTH}:{HEIGHT},setsar=1,fps={FPS},format=yuv420p"
    chains = "".join(f"[{i}:v]{scale}[v{i}];" for i in range(len(PLAN_S)))
    joined = "".join(f"[v{i}]" for i in range(len(PLAN_S)))
    graph = f"{chains}{joined}concat=n={len(PLAN_S)}:v=1[v]"
    y4m, mp4 = workdir / "toe-touches.y4m", workdir / "toe-touches.mp4"
    base = ["ffmpeg", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]"]
    subprocess.run([*base, "-f", "yuv4mpegpipe", str(y4m)], check=True)
    subprocess.run([*base, "-c:v", "libx264", "-crf", "18", str(mp4)], check=True)
    return y4m, mp4


def start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_serve(f"sqlite:///{workdir / 'bench.db'}", "bench-motion-browser", workdir)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def open_page(browser: Browser, base: str) -> Page:
    """The harness page on the app's origin, with the app's own security headers."""
    context = browser.new_context(permissions=["camera"])
    headers = dict(context.request.get(f"{base}/login").headers)
    page_html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>bench</title>'
        f'<script type="module" src="{HARNESS_SCRIPT}"></script></head>'
        '<body><video></video><p id="count">0</p></body></html>'
    )

    def answer(route: Route) -> None:
        own = {"content-security-policy": headers["content-security-policy"]}
        if route.request.url.endswith(HARNESS_PAGE):
            route.fulfill(body=page_html, content_type="text/html", headers=own)
        else:
            route.fulfill(body=HARNESS_JS, content_type="text/javascript", headers=own)

    context.route(f"{base}/__bench__/**", answer)
    page = context.new_page()
    page.goto(f"{base}{HARNESS_PAGE}")
    wait_for(page, "window.bench !== undefined", 30)
    return page


def wait_for(page: Page, expression: str, timeout_s: float) -> None:
    # Polled from here: the app's policy forbids the string evaluation of wait_for_function.
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"() => {expression}"):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        time.sleep(0.1)


def resident_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def page_memory(browser: Browser, page: Page) -> dict[str, float]:
    session = page.context.new_cdp_session(page)
    session.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
    info = browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo")
    pids = [p["id"] for p in info["processInfo"] if p["type"] in ("renderer", "GPU")]
    return {
        "js_heap_used_mib": round(metrics["JSHeapUsedSize"] / 2**20, 1),
        "js_heap_total_mib": round(metrics["JSHeapTotalSize"] / 2**20, 1),
        "renderer_and_gpu_rss_mib": round(resident_mib(pids), 1),
    }


def run_browser_model(
    browser: Browser, base: str, backend: str, model: str, seconds: float
) -> dict[str, Any]:
    page = open_page(browser, base)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    loading = time.perf_counter()
    auto = page.evaluate("() => bench.auto()")
    if not page.evaluate("([m, b]) => window.bench.start(m, b)", [model, backend]):
        raise SystemExit(f"the runner did not start: {page.evaluate('() => bench.errors')}")
    wait_for(page, "bench.analysed > 0", 300)
    load_s = time.perf_counter() - loading
    page.evaluate("() => bench.reset()")  # the warm-up is not measured
    time.sleep(seconds)
    memory = page_memory(browser, page)
    result = page.evaluate("() => bench.finish()")
    page.context.close()
    stats = result["stats"]
    latencies = result["latencies"]
    half = len(latencies) // 2
    offsite = [url for url in requests if not url.startswith(base)]
    return {
        "backend": backend,
        "auto": auto,
        "model": model,
        "load_and_first_frame_s": round(load_s, 1),
        "camera_frames": stats["cameraFrames"],
        "analysed_frames": stats["analysedFrames"],
        "analysed_fps": round(result["analysed"] / result["seconds"], 1)
        if result["seconds"]
        else 0.0,
        "share_analysed": round(stats["analysedFrames"] / max(1, stats["cameraFrames"]), 3),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5)),
            "p95": round(percentile(latencies, 0.95)),
            "p50_first_half": round(statistics.median(latencies[:half] or latencies)),
            "p50_second_half": round(statistics.median(latencies[half:])),
        },
        "latency_clock": result["captureClock"],
        "pose_ms": {
            "p50": round(percentile(result["processMs"], 0.5)),
            "p95": round(percentile(result["processMs"], 0.95)),
        },
        "live_count": int(result["count"]),
        "person_found_share": round(
            sum(a is not None for a in result["angles"]) / max(1, len(result["angles"])), 3
        ),
        "trunk_angles": result["angles"],
        "memory": memory,
        "requests_off_the_app": len(offsite),
    }


def python_figures(mp4: Path) -> dict[str, Any]:
    from spinestep.domain.kinematics import ExerciseStage
    from spinestep.motion.live_loop import run_live
    from spinestep.motion.media import silenced_native_stderr
    from spinestep.motion.pipeline import analyze_video

    with silenced_native_stderr():
        started = time.perf_counter()
        run = analyze_video(mp4, ExerciseStage.STANDING)
        elapsed = time.perf_counter() - started
        events: list[dict[str, object]] = []
        summary = run_live(str(mp4), ExerciseStage.STANDING, True, events.append)
    latency = summary["latency_ms"]
    assert isinstance(latency, dict)
    received = int(str(summary["frames_received"]))
    processed = int(str(summary["frames_processed"]))
    return {
        "recorded_fps": round(run.analysis.frames / elapsed, 1),
        "recorded_reps": len(run.analysis.reps.reps),
        "live_frames_received": received,
        "live_frames_analysed": processed,
        "live_share_analysed": round(processed / max(1, received), 3),
        "live_latency_ms": latency,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="pose in the browser vs the Python pipeline")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time per model")
    parser.add_argument(
        "--models", default="lite,full", help="browser models to measure, comma-separated"
    )
    parser.add_argument(
        "--backends", default="wasm,mediapipe", help="pose backends to measure, comma-separated"
    )
    parser.add_argument("--no-python", action="store_true", help="skip the Python pipeline")
    args = parser.parse_args()
    # Other programs on the machine slow every figure down: the load is printed with them.
    load_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        y4m, mp4 = make_videos(workdir)
        print(
            f"video: {sum(s for _, s in PLAN_S):.0f} s at {FPS} frames/s, {WIDTH}x{HEIGHT}; "
            f"{os.cpu_count()} cores, load average {load_start} at the start"
        )
        server, base = start_server(workdir)
        browser_results = []
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--use-fake-device-for-media-stream",
                        f"--use-file-for-fake-video-capture={y4m}",
                    ],
                )
                for backend in args.backends.split(","):
                    for model in args.models.split(","):
                        figures = run_browser_model(browser, base, backend, model, args.seconds)
                        browser_results.append(figures)
                        show_browser(figures)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        python = None if args.no_python else python_figures(mp4)
        if python is not None:
            show_python(python)
    lite_fps = {f["backend"]: f["analysed_fps"] for f in browser_results if f["model"] == "lite"}
    auto: dict[str, Any] = browser_results[0]["auto"] if browser_results else {}
    result = {
        "benchmark": "motion_browser",
        "cores": os.cpu_count(),
        "load_average_1min": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        "seconds_per_model": args.seconds,
        "browser": browser_results,
        "python": python,
        "target_lite_fps": 15,
        # What "auto" takes in this browser, and whether its lite model reaches 15/s.
        "auto": auto,
        "meets_target": lite_fps.get(auto.get("backend"), 0.0) >= 15,
    }
    print(json.dumps(result))


def show_browser(figures: dict[str, Any]) -> None:
    latency = figures["latency_ms"]
    memory = figures["memory"]
    print(
        f"browser {figures['backend']} {figures['model']}: "
        f"{figures['analysed_fps']} analysed frames/s, "
        f"{figures['share_analysed']:.0%} of {figures['camera_frames']} camera frames; "
        f"frame to count shown p50 {latency['p50']} ms, p95 {latency['p95']} ms "
        f"(p50 first half {latency['p50_first_half']}, second half "
        f"{latency['p50_second_half']}; clock: {figures['latency_clock']}); pose estimate "
        f"p50 {figures['pose_ms']['p50']} ms, p95 {figures['pose_ms']['p95']} ms; "
        f"JS heap {memory['js_heap_used_mib']} MiB, renderer+GPU RSS "
        f"{memory['renderer_and_gpu_rss_mib']} MiB; model load to first frame "
        f"{figures['load_and_first_frame_s']} s; live count {figures['live_count']}; "
        f"requests off the app: {figures['requests_off_the_app']}"
    )


def show_python(figures: dict[str, Any]) -> None:
    latency = figures["live_latency_ms"]
    print(
        f"python (mediapipe, full model): recorded video {figures['recorded_fps']} frames/s, "
        f"{figures['recorded_reps']} reps; live at the video's pace "
        f"{figures['live_share_analysed']:.0%} of {figures['live_frames_received']} frames "
        f"analysed, latency p50 {latency['median']} ms, p95 {latency['p95']} ms; "
        f"peak RSS {figures['peak_rss_mib']} MiB"
    )


if __name__ == "__main__":
    main()
