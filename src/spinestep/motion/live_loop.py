"""The live coaching loop: grab the newest frame, analyse it, show it or print events."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from spinestep.domain.kinematics import ExerciseStage
from spinestep.errors import MediaError
from spinestep.motion.availability import require_motion
from spinestep.motion.live import Event, FrameGrabber, LiveCoach, latency_summary, open_camera
from spinestep.motion.pose import MediaPipePose, PoseEstimator
from spinestep.motion.render import draw_overlay

WINDOW_TITLE = "spinestep coach (q to stop)"


def _check_display() -> None:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise MediaError("no screen to show the coach on; use --headless for JSON events")


def run_live(
    camera: str,
    stage: ExerciseStage,
    headless: bool,
    emit: Callable[[Event], None],
    max_seconds: float | None = None,
    estimator: PoseEstimator | None = None,
) -> Event:
    """Coach until the stream ends, ``max_seconds`` pass, q is pressed or Ctrl-C.

    Returns (and emits) the closing ``summary`` event: the analysis of what was
    processed in the shape of ``spinestep analyze --json``, plus frame and latency
    figures.
    """
    require_motion()
    if not headless:
        _check_display()
    frames, paced, close = open_camera(camera)
    if estimator is None:
        pose: PoseEstimator = MediaPipePose(still_images=False)
        _warm_up(pose)
    else:
        pose = estimator
    coach = LiveCoach(stage, pose, emit)
    grabber = FrameGrabber(frames, paced)
    emit({"event": "start", "stage": stage.value, "measure": coach.measure.value})
    started = time.perf_counter()
    grabber.start()
    try:
        while max_seconds is None or time.perf_counter() - started < max_seconds:
            frame = grabber.next_frame()
            if frame is None:
                break
            coach.process(frame)
            if not headless and _show(frame.image, coach):
                break
    except KeyboardInterrupt:
        pass
    finally:
        grabber.stop()
        close()
        if estimator is None:
            pose.close()
        if not headless:
            _close_window()
    analysis = coach.finish()
    summary: Event = {
        "event": "summary",
        "analysis": analysis.to_json(),
        "frames_received": grabber.received,
        "frames_processed": len(coach.times),
        "frames_dropped": grabber.received - len(coach.times),
        "latency_ms": latency_summary(coach.latencies_ms),
    }
    emit(summary)
    return summary


def _warm_up(pose: PoseEstimator) -> None:
    """Load the model before the first frame, so its start-up is not counted as latency."""
    import numpy as np

    pose.estimate(np.zeros((360, 640, 3), np.uint8))


def _show(image: object, coach: LiveCoach) -> bool:
    """Draw and show the frame; True when the user asks to stop."""
    import cv2

    canvas = image.copy()  # type: ignore[attr-defined]
    hold = coach.counter.hold_timer_s
    draw_overlay(
        canvas, coach.pose, coach.read_out(), hold / 2.0 if hold > 0 else None, coach.prompt
    )
    cv2.imshow(WINDOW_TITLE, canvas)
    key = cv2.waitKey(1) & 0xFF
    return key in (ord("q"), 27)


def _close_window() -> None:
    import cv2

    try:
        cv2.destroyWindow(WINDOW_TITLE)
    except cv2.error:
        return
