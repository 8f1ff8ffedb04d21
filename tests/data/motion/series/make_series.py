"""Writes the shared motion fixtures of this folder: angle series and landmark frames.

They are inputs only. The tests compute what to expect from them with the Python code
(``domain/reps.py``, ``domain/kinematics.py``) and compare the browser's JavaScript
with it; nothing here stores an expected output.

Angle series have the shape of the series the guided-session page sends (its first
three columns): ``{"description": ..., "stage": ..., "frames": [[t_ms, angle_deg or
null, visibility], ...]}``. Landmark files hold MediaPipe-style frames:
``{"description": ..., "frames": [{"width": w, "height": h, "landmarks": [[x, y, z,
visibility] × 33]}]}`` in normalised image coordinates.

Run from the repository root to write them again (the random streams are seeded):
``uv run --all-extras python -m tests.data.motion.series.make_series``. The photo
landmarks need the ``motion`` extra (MediaPipe).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.domain.synthetic_body import (
    Camera,
    Posture,
    RepPlan,
    angle_profile,
    posture_for,
    project,
    skeleton_3d,
)

from spinestep.domain.kinematics import Joint

HERE = Path(__file__).parent
PHOTOS = HERE.parents[1] / "media"

Frame = list[float | int | None]


def _frames(
    times_ms: Iterable[int],
    angle_at: Callable[[float], float | None],
    noise_deg: float = 0.0,
    visibility: float = 0.93,
    seed: int = 1,
) -> list[Frame]:
    rng = random.Random(seed)
    out: list[Frame] = []
    for t_ms in times_ms:
        angle = angle_at(t_ms / 1000)
        if angle is None:
            out.append([t_ms, None, 0.0])
            continue
        noisy = angle + (rng.gauss(0.0, noise_deg) if noise_deg else 0.0)
        vis = min(1.0, max(0.0, visibility + rng.gauss(0.0, 0.02)))
        out.append([t_ms, round(noisy, 3), round(vis, 3)])
    return out


def _uniform_ms(total_s: float, fps: float) -> list[int]:
    return [round(i * 1000 / fps) for i in range(int(total_s * fps) + 1)]


def _variable_ms(total_s: float, seed: int, low_ms: int = 15, high_ms: int = 70) -> list[int]:
    rng = random.Random(seed)
    times = [0]
    while times[-1] < total_s * 1000:
        times.append(times[-1] + rng.randint(low_ms, high_ms))
    return times


def _trapezoids(
    baseline: float, plateaus: list[tuple[float, float, float]], ramp_deg_s: float = 150.0
) -> Callable[[float], float]:
    """Rest at ``baseline``; each (start_s, hold_s, peak) a linear rise, plateau, return."""

    def at(t_s: float) -> float:
        for start, hold, peak in plateaus:
            rise = (peak - baseline) / ramp_deg_s
            if start - rise < t_s < start:
                return baseline + ramp_deg_s * (t_s - (start - rise))
            if start <= t_s <= start + hold:
                return peak
            if start + hold < t_s < start + hold + rise:
                return peak - ramp_deg_s * (t_s - start - hold)
        return baseline

    return at


def _segments(start_deg: float, steps: list[tuple[float, float, str]]) -> Callable[[float], float]:
    """Angle over time from (duration_s, target_deg, "cos" or "lin") steps."""
    pieces: list[tuple[float, float, float, float, str]] = []
    t, angle = 0.0, start_deg
    for duration, target, shape in steps:
        pieces.append((t, t + duration, angle, target, shape))
        t, angle = t + duration, target

    def at(t_s: float) -> float:
        for t0, t1, a0, a1, shape in pieces:
            if t0 <= t_s < t1:
                phase = (t_s - t0) / (t1 - t0)
                if shape == "cos":
                    phase = (1 - math.cos(math.pi * phase)) / 2
                return a0 + (a1 - a0) * phase
        return angle

    return at


def _threshold_probes() -> Callable[[float], float]:
    base = 5.0
    return _segments(
        base,
        [
            (2.0, base, "lin"),
            # a 17-degree rep: its exit lies 7.5 degrees above the start (the minimum)
            (0.6, base + 17.0, "cos"),
            (0.4, base + 17.0, "lin"),
            (0.6, base + 7.75, "cos"),
            (0.6, base + 26.0, "cos"),
            (0.4, base + 26.0, "lin"),
            (0.8, base, "cos"),
            (1.6, base, "lin"),
            # a hold that sags out of the 10-degree band
            (1.2, 100.0, "cos"),
            (4.0, 84.0, "lin"),
            (1.2, base, "cos"),
            (2.6, base, "lin"),
            # a slow lean that stays below a rep, held, then a rep: its start lies
            # 3 s back, further than a short memory of the time before a rep reaches
            (3.0, 19.0, "lin"),
            (2.0, 19.0, "lin"),
            (1.2, 100.0, "cos"),
            (1.2, 100.0, "lin"),
            (1.2, base, "cos"),
        ],
    )


def angle_series() -> dict[str, dict[str, object]]:
    series: dict[str, dict[str, object]] = {}

    plan = [
        RepPlan(100 + 2 * (i % 4), hold, up_s=1.1 + 0.05 * (i % 3))
        for i, hold in enumerate([1.5, 2.0, 1.2, 0.5, 1.8, 1.0, 2.2, 0.3, 1.4, 1.6])
    ]
    at, total = angle_profile(5.0, plan)
    series["clean_10_reps_30fps"] = {
        "description": "standing toe touch, 10 reps with holds of 0.3-2.2 s, 30 frames/s",
        "stage": "standing",
        "frames": _frames(_uniform_ms(total, 30), at, noise_deg=0.3),
    }

    plan15 = [RepPlan(95.0, 1.0), RepPlan(105.0, 1.5), RepPlan(98.0, 0.7), RepPlan(110.0, 2.0)]
    at, total = angle_profile(4.0, plan15)
    series["reps_15fps"] = {
        "description": "4 reps at 15 frames/s (holds 1.0, 1.5, 0.7 and 2.0 s)",
        "stage": "standing",
        "frames": _frames(_uniform_ms(total, 15), at, noise_deg=0.3, seed=2),
    }

    vfr = _trapezoids(6.0, [(3.0, 1.0, 100.0), (7.0, 1.5, 104.0), (11.0, 0.6, 96.0)])
    series["variable_frame_rate"] = {
        "description": "3 reps (true holds 1.0, 1.5 and 0.6 s) with frame gaps of 15-70 ms",
        "stage": "standing",
        "frames": _frames(_variable_ms(14.0, seed=5), vfr, seed=3),
    }

    times = _uniform_ms(11.0, 30)
    # first frame, frames, peak; the first and last holds come out as 0.7999999999999998
    # and 0.7999999999999999 s in floating point
    photos = [(48, 24, 95.0), (150, 23, 95.0), (252, 24, 100.0)]

    def photo(t_s: float) -> float:
        for first, count, peak in photos:
            if times[first] <= round(t_s * 1000) < times[first + count]:
                return peak
        return 5.0

    series["hold_800ms"] = {
        "description": "photos shown for 24, 23 and 24 frames at 30 frames/s (the angle "
        "jumps between frames): holds of 800 ms (a little less in floating point), 767 ms "
        "and 800 ms",
        "stage": "standing",
        "frames": _frames(times, photo, seed=4),
    }

    # A phone that drops frames: stretches with no frame at all (not frames without a
    # person) across the start of one hold, the end of another, and 120 ms (just past
    # the 100 ms that a hold may reach beyond its frames) before a third.
    dropped = ((2.35, 2.65), (5.85, 6.1), (8.88, 9.0))
    shown = ((2.5, 3.6, 95.0), (5.0, 6.0, 100.0), (9.0, 10.1, 97.0))

    def dropped_photo(t_s: float) -> float:
        return next((peak for a, b, peak in shown if a <= t_s < b), 5.0)

    kept = [t for t in _uniform_ms(12.0, 30) if not any(a < t / 1000 < b for a, b in dropped)]
    series["dropped_frames"] = {
        "description": "3 photos shown for 1.1, 1.0 and 1.1 s; frames dropped for 300, 250 "
        "and 120 ms across the start of the first, the end of the second and just before "
        "the third",
        "stage": "standing",
        "frames": _frames(kept, dropped_photo, seed=11),
    }

    small = [RepPlan(13.0, 1.0), RepPlan(9.0, 0.5), RepPlan(45.0, 1.2), RepPlan(12.5, 1.0)]
    at, total = angle_profile(0.0, small)
    series["short_rises_not_reps"] = {
        "description": "rises of 13, 9 and 12.5 degrees (not reps) around one of 45 degrees",
        "stage": "seated",
        "frames": _frames(_uniform_ms(total, 30), at, noise_deg=0.4, seed=5),
    }

    plan_gaps = [RepPlan(100.0, 1.5), RepPlan(95.0, 1.2), RepPlan(105.0, 2.0), RepPlan(90.0, 1.0)]
    at, total = angle_profile(5.0, plan_gaps, lead_in_s=2.5)
    rng = random.Random(6)
    gaps = ((0.0, 0.7), (4.0, 4.3), (6.5, 7.7), (16.4, 17.1), (19.2, 19.63))

    def with_gaps(t_s: float) -> float | None:
        if any(a <= t_s < b for a, b in gaps) or rng.random() < 0.06:
            return None
        return float(at(t_s))

    series["gaps_no_person"] = {
        "description": "4 reps; nobody found at the start, mid-hold (0.3 s), at rest (1.2 s), "
        "over a return (0.7 s), on a way down (0.43 s: just short of restarting the live "
        "smoothing) and in 6 % of other frames",
        "stage": "standing",
        "frames": _frames(_uniform_ms(total, 30), with_gaps, noise_deg=0.4, seed=6),
    }

    plan_jitter = [RepPlan(100.0, 2.0), RepPlan(104.0, 1.5), RepPlan(98.0, 1.0)]
    at, total = angle_profile(5.0, plan_jitter)
    spikes = random.Random(7)

    def jittery(t_s: float) -> float:
        angle = float(at(t_s))
        if angle > 80.0 and spikes.random() < 0.08:
            angle -= spikes.uniform(8.0, 16.0)  # one-frame tracking glitch
        return angle

    series["jittery_hold"] = {
        "description": "3 reps whose holds jitter by 2 degrees, with one-frame glitches of "
        "8-16 degrees in 8 % of the frames near the peak",
        "stage": "standing",
        "frames": _frames(_uniform_ms(total, 30), jittery, noise_deg=2.0, seed=7),
    }

    reps_after = [RepPlan(100.0, 1.5), RepPlan(102.0, 1.2), RepPlan(98.0, 1.0)]
    at, total = angle_profile(5.0, reps_after, lead_in_s=4.0)

    def getting_into_position(t_s: float) -> float | None:
        if t_s < 1.0:
            return None  # walking into the picture, not found yet
        if t_s < 2.2:
            # stepping into place and turning side-on: the trunk sways by up to 10 degrees
            return 5.0 + 10.0 * math.sin(2 * math.pi * (t_s - 1.0) / 1.2) ** 2
        return float(at(t_s))

    series["getting_into_position"] = {
        "description": "nobody for 1 s, then 1.2 s of stepping into place (sway up to 10 "
        "degrees), still, then 3 reps",
        "stage": "standing",
        "frames": _frames(_uniform_ms(total, 30), getting_into_position, noise_deg=0.4, seed=8),
    }

    chained = [
        RepPlan(95.0, 1.2, rest_s=0.0, down_s=0.8),
        RepPlan(100.0, 1.0, rest_s=0.0, down_s=0.8),
        RepPlan(97.0, 1.4),
    ]
    at, total = angle_profile(5.0, chained)

    def stopping_short(t_s: float) -> float:
        # The first return stops at 35 degrees (back far enough to end the rep, not to
        # rest), the second at 45 degrees (not back far enough: the rep goes on).
        angle = float(at(t_s))
        if 3.2 < t_s < 6.4:
            return max(angle, 35.0)
        if 6.4 <= t_s < 9.4:
            return max(angle, 45.0)
        return angle

    end_out = _uniform_ms(total + 2.0, 30)

    def with_last_rep_out(t_s: float) -> float:
        if t_s > total:
            return min(90.0, 5.0 + 120.0 * (t_s - total))
        return stopping_short(t_s)

    series["reps_without_settling"] = {
        "description": "3 movements down: the first return stops at 35 degrees, the second "
        "at 45 degrees; then a 4th rep still out when the recording ends",
        "stage": "standing",
        "frames": _frames(end_out, with_last_rep_out, noise_deg=0.3, seed=9),
    }

    series["thresholds"] = {
        "description": "movements at the counter's limits, almost without noise: a rep of "
        "17 degrees whose return stops 7.75 degrees above the start before a deeper one; "
        "a hold that sags through the 10-degree band at 4 degrees/s; a slow lean to 19 "
        "degrees held for 2 s before a rep",
        "stage": "standing",
        "frames": _frames(_uniform_ms(30.0, 30), _threshold_probes(), noise_deg=0.05, seed=11),
    }

    supine = [RepPlan(130.0, 1.5), RepPlan(138.0, 2.0), RepPlan(125.0, 0.6), RepPlan(135.0, 1.2)]
    at, total = angle_profile(48.0, supine)
    series["supine_knees_to_chest"] = {
        "description": "supine knees to chest: hip flexion from 48 degrees, 4 reps, "
        "partly occluded (visibility about 0.6)",
        "stage": "supine",
        "frames": _frames(_variable_ms(total, seed=10, low_ms=28, high_ms=40), at, 0.8, 0.6, 10),
    }
    return series


def _landmark_rows(camera: Camera, posture: Posture, noise_px: float, seed: int) -> list[Frame]:
    """33 MediaPipe landmarks (normalised) of the synthetic body; the joints spinestep
    does not use stand in at the nose with a low visibility, as eyes, mouth and hands."""
    rng = random.Random(seed)
    pose = project(skeleton_3d(posture), camera, noise_px, rng)
    nose = pose.points[Joint.NOSE]
    used = {joint.value: joint for joint in Joint}
    rows: list[Frame] = []
    for index in range(33):
        if index in used:
            point = pose.points[used[index]]
            x, y = point.x_px, point.y_px
            visibility = round(min(1.0, max(0.0, 0.95 + rng.gauss(0.0, 0.04))), 4)
        else:
            x, y, visibility = nose.x_px, nose.y_px, 0.3
        depth = round(rng.uniform(-0.3, 0.3), 4)
        x_norm, y_norm = round(x / camera.width_px, 6), round(y / camera.height_px, 6)
        rows.append([x_norm, y_norm, depth, visibility])
    return rows


def synthetic_landmarks() -> dict[str, object]:
    frames: list[dict[str, object]] = []
    cases: list[tuple[str, float, Camera, float]] = []
    for stage in ("standing", "seated", "supine"):
        for angle in (0.0, 35.0, 90.0, 125.0):
            for facing_right in (True, False):
                cases.append((stage, angle, Camera(yaw_deg=8.0, facing_right=facing_right), 1.0))
    cases += [
        ("standing", 60.0, Camera(yaw_deg=70.0), 1.0),  # nearly a front view
        ("standing", 10.0, Camera(yaw_deg=30.0, width_px=720, height_px=1280), 2.0),  # portrait
        ("standing", -15.0, Camera(), 0.5),  # a back-bend
        ("standing", 0.0, Camera(torso_px=260.0), 1.0),  # too close: head and feet cut off
        ("seated", 70.0, Camera(width_px=480, height_px=640, torso_px=150.0), 1.5),
    ]
    for seed, (stage, angle, camera, noise) in enumerate(cases):
        frames.append(
            {
                "width": camera.width_px,
                "height": camera.height_px,
                "landmarks": _landmark_rows(camera, posture_for(stage, angle), noise, seed),
            }
        )
    return {
        "description": "the synthetic body of the motion tests in 29 postures: three "
        "stages at four angles facing both ways, a front view, a portrait frame, a "
        "back-bend, a person too close to the camera",
        "frames": frames,
    }


def photo_landmarks() -> dict[str, object]:
    """MediaPipe Pose on the test photographs (real landmarks, some out of frame)."""
    import cv2

    from spinestep.motion.pose import MediaPipePose

    frames: list[dict[str, object]] = []
    with MediaPipePose(still_images=True) as estimator:
        for photo in sorted(PHOTOS.glob("*.jpg")):
            image = cv2.imread(str(photo))
            height, width = image.shape[:2]
            result = estimator.process_rgb(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks is None:
                continue
            frames.append(
                {
                    "photo": photo.name,
                    "width": width,
                    "height": height,
                    "landmarks": [
                        [round(p.x, 6), round(p.y, 6), round(p.z, 6), round(p.visibility, 6)]
                        for p in result.pose_landmarks.landmark
                    ],
                }
            )
    return {
        "description": "MediaPipe Pose (complexity 1, still images) on tests/data/media",
        "frames": frames,
    }


def main() -> None:
    for name, content in angle_series().items():
        _write(HERE / f"{name}.json", content)
    _write(HERE / "landmarks_synthetic.json", synthetic_landmarks())
    _write(HERE / "landmarks_photos.json", photo_landmarks())


def _write(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
