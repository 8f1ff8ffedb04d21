"""A synthetic person for the motion tests: a 3D stick skeleton whose angles are known.

The body moves in its sagittal plane (x forward, y up; z points to the person's
left). Trunk angle ``trunk_deg`` is measured from vertical, positive forwards; the
thigh angle from straight down, positive forwards, so hip flexion is their sum.
A pinhole camera at a given yaw from side-on projects the joints to pixels.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from spinestep.domain.kinematics import Joint, Keypoint, PoseLandmarks

TORSO = 1.0
THIGH = 0.85
SHIN = 0.85
SHOULDER_WIDTH = 0.8
HIP_WIDTH = 0.55
HEAD = 0.35


@dataclass(frozen=True)
class Posture:
    trunk_deg: float  # from vertical, forwards positive
    thigh_deg: float  # from straight down, forwards positive


def posture_for(stage: str, angle_deg: float) -> Posture:
    """The posture whose primary measure (trunk or hip flexion) equals ``angle_deg``."""
    if stage == "standing":
        return Posture(trunk_deg=angle_deg, thigh_deg=0.0)
    if stage == "seated":
        return Posture(trunk_deg=angle_deg, thigh_deg=90.0)
    # supine: the trunk lies along the floor behind the hips; hip flexion = trunk + thigh.
    return Posture(trunk_deg=-90.0, thigh_deg=angle_deg + 90.0)


def skeleton_3d(posture: Posture) -> dict[Joint, tuple[float, float, float]]:
    a = math.radians(posture.trunk_deg)
    b = math.radians(posture.thigh_deg)
    trunk = (math.sin(a), math.cos(a))
    front = (math.cos(a), -math.sin(a))
    thigh = (math.sin(b), -math.cos(b))
    shin_angle = b - math.radians(100.0) if posture.thigh_deg > 45 else 0.0
    shin = (math.sin(shin_angle), -math.cos(shin_angle))
    hip = (0.0, 0.0)
    shoulder = (hip[0] + TORSO * trunk[0], hip[1] + TORSO * trunk[1])
    knee = (hip[0] + THIGH * thigh[0], hip[1] + THIGH * thigh[1])
    ankle = (knee[0] + SHIN * shin[0], knee[1] + SHIN * shin[1])
    ear = (shoulder[0] + HEAD * trunk[0], shoulder[1] + HEAD * trunk[1])
    nose = (ear[0] + 0.12 * front[0], ear[1] + 0.12 * front[1])
    heel = (ankle[0] - 0.06, ankle[1] - 0.05)
    toe = (ankle[0] + 0.2, ankle[1] - 0.05)

    def pair(
        point: tuple[float, float], half_width: float
    ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        return (point[0], point[1], half_width), (point[0], point[1], -half_width)

    out: dict[Joint, tuple[float, float, float]] = {Joint.NOSE: (nose[0], nose[1], 0.0)}
    for left, right, point, half in (
        (Joint.LEFT_EAR, Joint.RIGHT_EAR, ear, 0.07),
        (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER, shoulder, SHOULDER_WIDTH / 2),
        (Joint.LEFT_HIP, Joint.RIGHT_HIP, hip, HIP_WIDTH / 2),
        (Joint.LEFT_KNEE, Joint.RIGHT_KNEE, knee, HIP_WIDTH / 2),
        (Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE, ankle, HIP_WIDTH / 2),
        (Joint.LEFT_HEEL, Joint.RIGHT_HEEL, heel, HIP_WIDTH / 2),
        (Joint.LEFT_FOOT_INDEX, Joint.RIGHT_FOOT_INDEX, toe, HIP_WIDTH / 2),
    ):
        out[left], out[right] = pair(point, half)
    return out


@dataclass(frozen=True)
class Camera:
    yaw_deg: float = 0.0  # 0: side-on; 90: the person faces the camera
    facing_right: bool = True
    distance: float = 8.0  # torso lengths
    torso_px: float = 110.0
    width_px: int = 640
    height_px: int = 480


def project(
    joints: dict[Joint, tuple[float, float, float]],
    camera: Camera,
    noise_px: float = 0.0,
    rng: random.Random | None = None,
) -> PoseLandmarks:
    yaw = math.radians(camera.yaw_deg)
    mirror = 1.0 if camera.facing_right else -1.0
    points: dict[Joint, Keypoint] = {}
    for joint, (x, y, z) in joints.items():
        xr = x * math.cos(yaw) + z * math.sin(yaw)
        zr = -x * math.sin(yaw) + z * math.cos(yaw)
        scale = camera.torso_px * camera.distance / (camera.distance + zr)
        u = camera.width_px / 2 + mirror * xr * scale
        v = camera.height_px * 0.55 - y * scale
        if rng is not None and noise_px > 0:
            u += rng.gauss(0.0, noise_px)
            v += rng.gauss(0.0, noise_px)
        points[joint] = Keypoint(u, v, 0.95)
    return PoseLandmarks(points, camera.width_px, camera.height_px)


@dataclass(frozen=True)
class RepPlan:
    peak_deg: float
    hold_s: float
    up_s: float = 1.2
    down_s: float = 1.2
    rest_s: float = 1.5


def angle_profile(baseline_deg: float, reps: list[RepPlan], lead_in_s: float = 2.0):  # type: ignore[no-untyped-def]
    """A function t -> angle: rest at baseline, then each rep: smooth rise, hold, return."""
    segments: list[tuple[float, float, float, float]] = []  # (t0, t1, a0, a1)
    t = 0.0
    segments.append((t, t + lead_in_s, baseline_deg, baseline_deg))
    t += lead_in_s
    for rep in reps:
        segments.append((t, t + rep.up_s, baseline_deg, rep.peak_deg))
        t += rep.up_s
        segments.append((t, t + rep.hold_s, rep.peak_deg, rep.peak_deg))
        t += rep.hold_s
        segments.append((t, t + rep.down_s, rep.peak_deg, baseline_deg))
        t += rep.down_s
        segments.append((t, t + rep.rest_s, baseline_deg, baseline_deg))
        t += rep.rest_s
    total = t

    def at(time_s: float) -> float:
        for t0, t1, a0, a1 in segments:
            if t0 <= time_s <= t1:
                if a0 == a1 or t1 == t0:
                    return a0
                phase = (time_s - t0) / (t1 - t0)
                return a0 + (a1 - a0) * (1 - math.cos(math.pi * phase)) / 2
        return baseline_deg

    return at, total


def frame_times(total_s: float, fps: float = 30.0) -> Iterator[float]:
    n = int(total_s * fps) + 1
    for i in range(n):
        yield i / fps


def landmark_sequence(
    stage: str,
    baseline_deg: float,
    plan: list[RepPlan],
    camera: Camera | None = None,
    noise_px: float = 0.0,
    drop_fraction: float = 0.0,
    gaps_s: tuple[tuple[float, float], ...] = (),
    fps: float = 30.0,
    seed: int = 7,
) -> list[tuple[float, PoseLandmarks | None]]:
    """Frames of a person doing ``plan``: projected landmarks, or None for a dropped frame
    (at random with ``drop_fraction``, and throughout each ``(start, end)`` gap)."""
    at, total = angle_profile(baseline_deg, plan)
    rng = random.Random(seed)
    camera = camera or Camera()
    frames: list[tuple[float, PoseLandmarks | None]] = []
    for t in frame_times(total, fps):
        dropped = rng.random() < drop_fraction or any(a <= t < b for a, b in gaps_s)
        pose = project(skeleton_3d(posture_for(stage, at(t))), camera, noise_px, rng)
        frames.append((t, None if dropped else pose))
    return frames
