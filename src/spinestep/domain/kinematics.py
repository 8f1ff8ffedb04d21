"""Body angles from 2D pose landmarks (SPEC §6), in pure Python.

Coordinates are pixels of the frame as displayed: x grows to the right, y grows
downwards, so "vertical" is the image's vertical. The landmark numbering is
MediaPipe Pose's (33 points); only the joints named in :class:`Joint` are used.

These are whole-trunk measures: trunk flexion, hip flexion, knee-to-chest ratio.
None of them is a lumbar angle.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Joint(IntEnum):
    """MediaPipe Pose landmark indices of the joints spinestep looks at."""

    NOSE = 0
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: The joints every angle needs; their mean visibility is the frame's quality.
CORE_JOINTS = (
    Joint.LEFT_SHOULDER,
    Joint.RIGHT_SHOULDER,
    Joint.LEFT_HIP,
    Joint.RIGHT_HIP,
    Joint.LEFT_KNEE,
    Joint.RIGHT_KNEE,
)

#: Body parts that must be in the picture for the whole body to show (any joint of each).
BODY_PARTS = (
    (Joint.NOSE, Joint.LEFT_EAR, Joint.RIGHT_EAR),
    (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER),
    (Joint.LEFT_HIP, Joint.RIGHT_HIP),
    (Joint.LEFT_KNEE, Joint.RIGHT_KNEE),
    (Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE),
)


class ExerciseStage(StrEnum):
    """The stages of ``lumbar-flexion`` that motion analysis understands."""

    SUPINE = "supine"
    SEATED = "seated"
    STANDING = "standing"


class Measure(StrEnum):
    TRUNK_FLEXION = "trunk_flexion"
    HIP_FLEXION = "hip_flexion"


def primary_measure(stage: ExerciseStage) -> Measure:
    """Supine is measured by hip flexion; seated and standing by trunk flexion."""
    return Measure.HIP_FLEXION if stage is ExerciseStage.SUPINE else Measure.TRUNK_FLEXION


class Facing(StrEnum):
    """The image side the person's front faces."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def sign(self) -> int:
        return 1 if self is Facing.RIGHT else -1


@dataclass(frozen=True, slots=True)
class Keypoint:
    """One landmark in display pixels, with MediaPipe's visibility (0-1)."""

    x_px: float
    y_px: float
    visibility: float = 1.0


@dataclass(frozen=True, slots=True)
class PoseLandmarks:
    """The landmarks of one detected person in one frame, with the frame's size."""

    points: Mapping[Joint, Keypoint]
    width_px: int
    height_px: int

    def __getitem__(self, joint: Joint) -> Keypoint:
        return self.points[joint]

    def mid(self, left: Joint, right: Joint) -> tuple[float, float]:
        a, b = self.points[left], self.points[right]
        return ((a.x_px + b.x_px) / 2.0, (a.y_px + b.y_px) / 2.0)

    def shoulder_mid(self) -> tuple[float, float]:
        return self.mid(Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER)

    def hip_mid(self) -> tuple[float, float]:
        return self.mid(Joint.LEFT_HIP, Joint.RIGHT_HIP)

    def knee_mid(self) -> tuple[float, float]:
        return self.mid(Joint.LEFT_KNEE, Joint.RIGHT_KNEE)

    def torso_length_px(self) -> float:
        return math.dist(self.shoulder_mid(), self.hip_mid())

    def mean_visibility(self, joints: Iterable[Joint] = CORE_JOINTS) -> float:
        values = [self.points[j].visibility for j in joints if j in self.points]
        return statistics.fmean(values) if values else 0.0


@dataclass(frozen=True, slots=True)
class FrameAngles:
    trunk_flexion_deg: float
    hip_flexion_deg: float
    knee_to_chest_ratio: float

    def value(self, measure: Measure) -> float:
        if measure is Measure.TRUNK_FLEXION:
            return self.trunk_flexion_deg
        return self.hip_flexion_deg


def angle_at_deg(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    """The angle ABC at vertex B, 0-180 degrees (0 when A and C coincide in direction)."""
    ux, uy = a[0] - b[0], a[1] - b[1]
    vx, vy = c[0] - b[0], c[1] - b[1]
    norm = math.hypot(ux, uy) * math.hypot(vx, vy)
    if norm == 0.0:
        return 0.0
    cosine = max(-1.0, min(1.0, (ux * vx + uy * vy) / norm))
    return math.degrees(math.acos(cosine))


def trunk_flexion_deg(pose: PoseLandmarks, facing: Facing) -> float:
    """Angle of hip-mid→shoulder-mid from vertical; positive towards the facing side.

    0 upright, 90 horizontal, above 90 when the shoulders drop below the hips,
    negative for a back-bend. Range (-180, 180].
    """
    sx, sy = pose.shoulder_mid()
    hx, hy = pose.hip_mid()
    forward = (sx - hx) * facing.sign
    up = hy - sy  # image y grows downwards
    return math.degrees(math.atan2(forward, up))


def hip_flexion_deg(pose: PoseLandmarks) -> float:
    """180 − angle(shoulder-mid, hip-mid, knee-mid); 0 when trunk and thigh are in line."""
    return 180.0 - angle_at_deg(pose.shoulder_mid(), pose.hip_mid(), pose.knee_mid())


def knee_to_chest_ratio(pose: PoseLandmarks) -> float:
    """Distance knee-mid to shoulder-mid divided by the torso length of the same frame."""
    torso = pose.torso_length_px()
    if torso == 0.0:
        return math.inf
    return math.dist(pose.knee_mid(), pose.shoulder_mid()) / torso


def frame_angles(pose: PoseLandmarks, facing: Facing) -> FrameAngles:
    return FrameAngles(
        trunk_flexion_deg=trunk_flexion_deg(pose, facing),
        hip_flexion_deg=hip_flexion_deg(pose),
        knee_to_chest_ratio=knee_to_chest_ratio(pose),
    )


def facing_vote(pose: PoseLandmarks) -> float:
    """Evidence for facing right (> 0) or left (< 0) in one frame, from nose and toes.

    The nose lies in front of the ears: on which side of the trunk's axis the
    ear→nose direction points tells the facing side whether the person stands,
    bends or lies. Toes lie in front of the heels while the foot is flat. Each cue
    is weighted by the visibility of its landmarks and scaled by the torso length.
    """
    torso = pose.torso_length_px() or 1.0
    points = pose.points
    vote = 0.0
    ears = [points[j] for j in (Joint.LEFT_EAR, Joint.RIGHT_EAR) if j in points]
    if Joint.NOSE in points and ears:
        nose = points[Joint.NOSE]
        ear_x = statistics.fmean(e.x_px for e in ears)
        ear_y = statistics.fmean(e.y_px for e in ears)
        sx, sy = pose.shoulder_mid()
        hx, hy = pose.hip_mid()
        # cross product of the trunk axis (hip→shoulder) and the face direction (ear→nose)
        cross = (sx - hx) * (nose.y_px - ear_y) - (sy - hy) * (nose.x_px - ear_x)
        weight = nose.visibility * statistics.fmean(e.visibility for e in ears)
        vote += weight * _clip(cross / (0.1 * torso * torso))
    for toe_joint, heel_joint in (
        (Joint.LEFT_FOOT_INDEX, Joint.LEFT_HEEL),
        (Joint.RIGHT_FOOT_INDEX, Joint.RIGHT_HEEL),
    ):
        if toe_joint in points and heel_joint in points:
            toe, heel = points[toe_joint], points[heel_joint]
            dx, dy = toe.x_px - heel.x_px, toe.y_px - heel.y_px
            if abs(dx) > abs(dy):  # a flat foot points the way the person faces
                vote += 0.5 * toe.visibility * heel.visibility * _clip(dx / (0.1 * torso))
    return vote


def facing_from_votes(votes: Iterable[float]) -> Facing:
    """The facing side over many frames; ties go to the right."""
    return Facing.LEFT if sum(votes) < 0.0 else Facing.RIGHT


def facing_checked_by_motion(
    times_s: Sequence[float], trunk_deg: Sequence[float | None], facing: Facing
) -> Facing:
    """The facing side, flipped when the trunk (measured for ``facing``) only bends back.

    The exercises analysed are flexion exercises: a series that leaves its start by
    15° or more backwards and never forwards means the nose and toes were misread.
    Trunk flexion for the other side is the same series negated. The 2nd and 98th
    percentiles stand in for the extremes so that single-frame glitches do not count.
    """
    valid = [(t, a) for t, a in zip(times_s, trunk_deg, strict=True) if a is not None]
    if len(valid) < 2:
        return facing
    first_t = valid[0][0]
    start = statistics.median(a for t, a in valid if t - first_t < 1.0)
    ordered = sorted(a for _, a in valid)
    low = ordered[int(0.02 * (len(ordered) - 1))]
    high = ordered[int(0.98 * (len(ordered) - 1))]
    if start - low >= FLIP_MIN_DEG and high - start < FLIP_MIN_DEG:
        return Facing.LEFT if facing is Facing.RIGHT else Facing.RIGHT
    return facing


#: How far the trunk must move, one way only, to overrule the nose and toes.
FLIP_MIN_DEG = 15.0


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


# Typical body proportions in MediaPipe's landmarks, as fractions of the torso
# length (shoulder-mid to hip-mid): the width across the shoulders and the hips.
SHOULDER_WIDTH_PER_TORSO = 0.85
HIP_WIDTH_PER_TORSO = 0.6
#: "About ±20°" of side-on (SPEC §6), with a margin for landmark noise.
SIDE_VIEW_LIMIT_DEG = 25.0


def view_yaw_deg(pose: PoseLandmarks) -> float:
    """How far the camera is from side-on, 0 (side-on) to 90 (front or back) degrees.

    Seen from the side the left and right shoulders (and hips) overlap; seen from
    the front they are a body width apart. The apparent width over the torso length,
    against the typical full width, is the sine of the yaw.
    """
    torso = pose.torso_length_px()
    if torso == 0.0:
        return 90.0
    shoulders = math.dist(_xy(pose[Joint.LEFT_SHOULDER]), _xy(pose[Joint.RIGHT_SHOULDER])) / (
        torso * SHOULDER_WIDTH_PER_TORSO
    )
    hips = math.dist(_xy(pose[Joint.LEFT_HIP]), _xy(pose[Joint.RIGHT_HIP])) / (
        torso * HIP_WIDTH_PER_TORSO
    )
    return math.degrees(math.asin(min(1.0, (shoulders + hips) / 2.0)))


def _xy(point: Keypoint) -> tuple[float, float]:
    return (point.x_px, point.y_px)


@dataclass(frozen=True, slots=True)
class ViewAssessment:
    side_view: bool
    facing: Facing | None
    yaw_deg: float | None
    message: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "side_view": self.side_view,
            "facing": None if self.facing is None else self.facing.value,
            "message": self.message,
        }


NO_PERSON_MESSAGE = (
    "no person found: make sure your whole body is in the picture and the room is well lit"
)
TURN_SIDE_ON_MESSAGE = (
    "the camera does not see you side-on: place it level with your hips, at a right "
    "angle to the direction you face, so it sees your side"
)


def assess_view(yaws_deg: Iterable[float], facing_votes: Iterable[float]) -> ViewAssessment:
    """Side view or not, over the frames where a person was found (median yaw)."""
    yaws = list(yaws_deg)
    if not yaws:
        return ViewAssessment(False, None, None, NO_PERSON_MESSAGE)
    yaw = statistics.median(yaws)
    facing = facing_from_votes(facing_votes)
    if yaw > SIDE_VIEW_LIMIT_DEG:
        return ViewAssessment(False, facing, yaw, TURN_SIDE_ON_MESSAGE)
    return ViewAssessment(True, facing, yaw, None)


def whole_body_visible(pose: PoseLandmarks, min_visibility: float = 0.5) -> bool:
    """Head, shoulders, hips, knees and ankles are in the frame and seen.

    Seen from the side, the far limb hides behind the near one, so one of each
    left/right pair is enough.
    """
    return all(any(_seen(pose, joint, min_visibility) for joint in group) for group in BODY_PARTS)


def _seen(pose: PoseLandmarks, joint: Joint, min_visibility: float) -> bool:
    point = pose.points.get(joint)
    if point is None or point.visibility < min_visibility:
        return False
    return 0.0 <= point.x_px <= pose.width_px and 0.0 <= point.y_px <= pose.height_px


#: Reps and holds are counted only when a person was found in this share of the frames.
MIN_DETECTED_FRACTION = 0.7
#: Standing and seated start upright: a start posture further than this from vertical
#: means the picture itself is on its side (a video turned without a rotation tag).
UPRIGHT_LIMIT_DEG = 45.0

_UPRIGHT_STAGES = (ExerciseStage.STANDING, ExerciseStage.SEATED)


def detection_message(detected_fraction: float) -> str:
    percent = math.floor(detected_fraction * 100)
    return (
        f"a person was found in only {percent} % of the frames "
        f"({round(MIN_DETECTED_FRACTION * 100)} % needed): light the room well and keep "
        "your whole body in the picture from start to end"
    )


UPRIGHT_MESSAGE = (
    "the picture is on its side (you do not stand or sit upright in it): hold the "
    "camera upright, or turn the video the right way up"
)


def footage_refusal(
    stage: ExerciseStage,
    view: ViewAssessment,
    detected_fraction: float,
    start_angle_deg: float | None,
) -> str | None:
    """Why reps and holds must not be counted on this footage, or None when they may be.

    Counting needs a side view, a person in at least 70 % of the frames and, for the
    standing and seated stages, an upright start posture (``start_angle_deg`` is the
    median primary angle over the first second). The reason says what to change:
    light and framing, the camera angle, or the picture's orientation.
    """
    if view.facing is None and view.message is not None:
        return view.message  # nobody in any frame
    reasons: list[str] = []
    if detected_fraction < MIN_DETECTED_FRACTION:
        reasons.append(detection_message(detected_fraction))
    if (
        stage in _UPRIGHT_STAGES
        and start_angle_deg is not None
        and abs(start_angle_deg) > UPRIGHT_LIMIT_DEG
    ):
        reasons.append(UPRIGHT_MESSAGE)
    elif not view.side_view:
        reasons.append(view.message or TURN_SIDE_ON_MESSAGE)
    return "; ".join(reasons) if reasons else None
