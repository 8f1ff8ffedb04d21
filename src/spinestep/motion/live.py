"""Live coaching from a webcam (or a video file played at its real pace).

A grabber thread keeps only the newest frame; the coach processes whatever is newest
when it is ready, so it never falls behind the camera: it drops frames instead and
reports how many, and how old each frame was when its result was ready (latency).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from spinestep.domain.kinematics import (
    CORE_JOINTS,
    SIDE_VIEW_LIMIT_DEG,
    ExerciseStage,
    Facing,
    PoseLandmarks,
    assess_view,
    facing_vote,
    footage_refusal,
    frame_angles,
    primary_measure,
    view_yaw_deg,
    whole_body_visible,
)
from spinestep.domain.reps import HELD_MIN_S, AngleSample, Rep, RepAnalysis, RepCounter
from spinestep.errors import MediaError
from spinestep.motion.analysis import AngleTrack, VideoAnalysis
from spinestep.motion.filtering import MAX_GAP_S, OneEuroFilter
from spinestep.motion.media import Image, VideoSource, fit_width, silenced_native_stderr
from spinestep.motion.pose import PoseEstimator

Event = dict[str, object]

PROMPTS = {
    "no_person": "no person found",
    "step_back": "step back so your whole body shows",
    "turn": "turn side-on to the camera",
}
#: A view problem must last this long before it is announced (and before it clears).
PROMPT_SETTLE_S = 1.0
STATUS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class LiveFrame:
    image: Image
    t_s: float  # media time: the video's own timestamp, or seconds since the camera opened
    arrived_at: float  # time.perf_counter() when the frame became available


class FrameGrabber:
    """Reads frames in the background and keeps only the newest one."""

    def __init__(self, frames: Iterator[tuple[float, Image]], paced: bool) -> None:
        self._frames = frames
        self._paced = paced
        self._lock = threading.Condition()
        self._latest: LiveFrame | None = None
        self._done = False
        self._error: Exception | None = None
        self._stop = threading.Event()
        self.received = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="spinestep-grab", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        start_wall: float | None = None
        start_media = 0.0
        try:
            for t_s, image in self._frames:
                if self._stop.is_set():
                    break
                if self._paced:
                    if start_wall is None:
                        start_wall, start_media = time.perf_counter(), t_s
                    delay = start_wall + (t_s - start_media) - time.perf_counter()
                    if delay > 0 and self._stop.wait(delay):
                        break
                frame = LiveFrame(image, t_s, time.perf_counter())
                with self._lock:
                    if self._latest is not None:
                        self.dropped += 1
                    self._latest = frame
                    self.received += 1
                    self._lock.notify_all()
        except Exception as error:  # noqa: BLE001 - re-raised by next_frame()
            self._error = error
        with self._lock:
            self._done = True
            self._lock.notify_all()

    def next_frame(self, timeout_s: float = 5.0) -> LiveFrame | None:
        """The newest unseen frame; None at the end of the stream."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._latest is not None or self._done, timeout_s):
                raise MediaError("the camera stopped sending frames")
            if self._error is not None:
                raise self._error
            frame, self._latest = self._latest, None
            return frame

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def wait_until_done(self, timeout_s: float = 30.0) -> None:
        """Block until the source has no more frames (for files and tests)."""
        self._thread.join(timeout=timeout_s)


def open_camera(spec: str) -> tuple[Iterator[tuple[float, Image]], bool, Callable[[], None]]:
    """A camera index (``0``) or a video file. Returns frames, whether to pace them, closer."""
    import cv2

    if spec.isdigit():
        index = int(spec)
        with silenced_native_stderr():
            capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            capture.release()
            raise MediaError(
                f"camera {index} cannot be opened: no camera there, or another program uses it"
            )

        def camera_frames() -> Iterator[tuple[float, Image]]:
            start = time.perf_counter()
            while True:
                ok, image = capture.read()
                if not ok or image is None:
                    return
                yield time.perf_counter() - start, fit_width(image)

        return camera_frames(), False, capture.release
    path = Path(spec)
    if not path.exists():
        raise MediaError(f"--camera {spec}: not a camera number nor an existing video file")
    source = VideoSource(path)
    frames = ((frame.t_s, frame.image) for frame in source.frames())
    return frames, True, source.close


class LiveCoach:
    """Turns each processed frame into read-outs and events (rep, hold, prompts)."""

    def __init__(
        self, stage: ExerciseStage, estimator: PoseEstimator, emit: Callable[[Event], None]
    ) -> None:
        self.stage = stage
        self.measure = primary_measure(stage)
        self._estimator = estimator
        self._emit = emit
        self.counter = RepCounter()
        self._filter = OneEuroFilter()
        self._facing_sum = 0.0
        self._facing: Facing | None = None  # frozen once the baseline is set
        self._yaws: list[float] = []
        self._votes: list[float] = []
        self._statuses: deque[tuple[float, str]] = deque()
        self.prompt: str | None = None
        self._announced = "ok"
        self._last_pose_t: float | None = None
        self._last_status_t: float | None = None
        self._hold_announced = False
        self.latencies_ms: list[float] = []
        self.times: list[float] = []
        self.raw: list[float | None] = []
        self.smooth: list[float | None] = []
        self.visibility: list[float] = []
        self.detected = 0
        self.angle_deg: float | None = None
        self.pose: PoseLandmarks | None = None

    def _view_status(self, pose: PoseLandmarks | None) -> str:
        if pose is None:
            return "no_person"
        if not whole_body_visible(pose):
            return "step_back"
        if view_yaw_deg(pose) > SIDE_VIEW_LIMIT_DEG:
            return "turn"
        return "ok"

    def _update_prompt(self, t_s: float, status: str) -> None:
        self._statuses.append((t_s, status))
        while self._statuses and t_s - self._statuses[0][0] > PROMPT_SETTLE_S:
            self._statuses.popleft()
        if t_s - self._statuses[0][0] < PROMPT_SETTLE_S * 0.9:
            return
        dominant = Counter(s for _, s in self._statuses).most_common(1)[0][0]
        if dominant != self._announced:
            self._announced = dominant
            self.prompt = PROMPTS.get(dominant)
            self._emit({"event": "prompt", "t_s": round(t_s, 1), "message": self.prompt})

    def process(self, frame: LiveFrame) -> None:
        t_s = frame.t_s
        pose = self._estimator.estimate(frame.image)
        self.pose = pose
        self._update_prompt(t_s, self._view_status(pose))
        raw: float | None = None
        smooth: float | None = None
        visibility = 0.0
        if pose is not None:
            self.detected += 1
            vote = facing_vote(pose)
            self._facing_sum += vote
            self._votes.append(vote)
            self._yaws.append(view_yaw_deg(pose))
            facing = self._facing or (Facing.LEFT if self._facing_sum < 0 else Facing.RIGHT)
            raw = frame_angles(pose, facing).value(self.measure)
            if self._last_pose_t is not None and t_s - self._last_pose_t > MAX_GAP_S:
                self._filter.reset()
            smooth = self._filter(t_s, raw)
            self._last_pose_t = t_s
            visibility = pose.mean_visibility(CORE_JOINTS)
        self.angle_deg = smooth
        for event in self.counter.update(AngleSample(t_s, smooth, pose is not None, visibility)):
            self._announce(event.kind, t_s, event.rep)
        if self._facing is None and self.counter.baseline_deg is not None:
            # Decided in the start posture, where nose and toes are clearest; a side
            # that changed mid-repetition would flip the angle's sign.
            self._facing = Facing.LEFT if self._facing_sum < 0 else Facing.RIGHT
        if self.counter.hold_timer_s >= HELD_MIN_S and not self._hold_announced:
            self._hold_announced = True
            self._emit({"event": "held", "t_s": round(t_s, 1), "rep": self.counter.rep_count + 1})
        latency_ms = (time.perf_counter() - frame.arrived_at) * 1000.0
        self.latencies_ms.append(latency_ms)
        self.times.append(t_s)
        self.raw.append(raw)
        self.smooth.append(smooth)
        self.visibility.append(visibility)
        if self._last_status_t is None or t_s - self._last_status_t >= STATUS_EVERY_S:
            self._last_status_t = t_s
            self._emit(
                {
                    "event": "status",
                    "t_s": round(t_s, 1),
                    "angle_deg": None if smooth is None else round(smooth, 1),
                    "rep_count": self.counter.rep_count,
                    "hold_s": round(self.counter.hold_timer_s, 1),
                    "latency_ms": round(latency_ms, 1),
                }
            )

    def _announce(self, kind: str, t_s: float, rep: Rep | None) -> None:
        if kind == "baseline":
            baseline = self.counter.baseline_deg
            self._emit(
                {
                    "event": "baseline",
                    "t_s": round(t_s, 1),
                    "baseline_deg": None if baseline is None else round(baseline, 1),
                }
            )
        elif kind == "rep_started":
            self._hold_announced = False
            self._emit({"event": "rep_started", "t_s": round(t_s, 1)})
        elif kind == "rep_completed" and rep is not None:
            self._emit(
                {
                    "event": "rep",
                    "t_s": round(t_s, 1),
                    "index": rep.index,
                    "peak_deg": round(rep.peak_deg, 1),
                    "hold_s": round(rep.hold_s, 1),
                    "held": rep.held,
                    "rom_deg": round(rep.rom_deg, 1),
                }
            )

    def finish(self) -> VideoAnalysis:
        for event in self.counter.finish():
            self._announce(event.kind, event.t_s, event.rep)
        view = assess_view(self._yaws, self._votes)
        frames = len(self.times)
        duration = self.times[-1] - self.times[0] if frames > 1 else 0.0
        detected_vis = [v for v, r in zip(self.visibility, self.raw, strict=True) if r is not None]
        detected_fraction = self.detected / frames if frames else 0.0
        reps = RepAnalysis(self.counter.baseline_deg, tuple(self.counter.reps))
        # the summary counts nothing on footage refused for counting, as `analyze` does
        refusal = footage_refusal(self.stage, view, detected_fraction, reps.baseline_deg)
        if refusal is not None:
            view = replace(view, message=refusal)
            reps = RepAnalysis(None, ())
        return VideoAnalysis(
            stage=self.stage,
            measure=self.measure,
            fps=(frames - 1) / duration if duration > 0 else 0.0,
            frames=frames,
            duration_s=duration,
            detected_fraction=detected_fraction,
            view=view,
            reps=reps,
            track=AngleTrack(tuple(self.times), tuple(self.raw), tuple(self.smooth)),
            mean_visibility=statistics.fmean(detected_vis) if detected_vis else 0.0,
            refusal=refusal,
        )

    def read_out(self) -> list[str]:
        """The on-screen lines: angle, count, hold countdown."""
        angle = "--" if self.angle_deg is None else f"{self.angle_deg:.0f} deg"
        hold = self.counter.hold_timer_s
        lines = [
            f"{self.measure.value.replace('_', ' ')}: {angle}",
            f"reps: {self.counter.rep_count}",
        ]
        if hold > 0:
            lines.append(f"hold: {hold:.1f} s" + ("  held" if hold >= HELD_MIN_S else ""))
        return lines


def latency_summary(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"median": None, "p95": None, "max": None}
    ordered = sorted(latencies_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }
