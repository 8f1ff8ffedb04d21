"""Exercise demonstrations: a side-view stick figure posed by joint angles, and its timing.

A stage of a protocol may carry a demonstration (see ``protocol.schema.json``): the
figure's posture (lying, sitting, standing) and a few keyframes, each a named pose. The
first keyframe is the start position, the last the position that is held; the figure
moves through them in order, holds for the patient's hold, and comes back in reverse.

Coordinates are those of a drawing ``FIGURE_WIDTH`` by ``FIGURE_HEIGHT`` units, x to the
right, y down, the ground at ``GROUND_Y``. The figure faces right (+x). Angles are in
degrees; an absolute direction is measured from straight up, clockwise (towards the
figure's front), so 0 is up, 90 is forward, 180 is down and -90 is backward:

- ``trunk_deg``: direction of the trunk from pelvis to shoulders (0 upright, 90 bent
  forward level or lying face down with the head forward, -90 lying on the back with the
  head behind);
- ``hip_deg``: hip flexion, the thigh from the trunk's line (0 standing, 90 sitting);
- ``knee_deg``: knee flexion (0 straight, 90 sitting);
- ``ankle_deg``: ankle plantar flexion from a right angle (0 foot at 90° to the shin);
- ``shoulder_deg``: shoulder flexion, the upper arm from hanging along the trunk
  (0 by the side, 90 reaching forward, 180 overhead);
- ``elbow_deg``: elbow flexion (0 straight).

Pure: no I/O; the web layer draws the figure from these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

FIGURE_WIDTH = 240
FIGURE_HEIGHT = 160
GROUND_Y = 150

#: Segment lengths of the drawn figure, in drawing units.
TRUNK_LENGTH = 46
NECK_LENGTH = 5
HEAD_RADIUS = 9
THIGH_LENGTH = 38
SHIN_LENGTH = 36
FOOT_LENGTH = 12
UPPER_ARM_LENGTH = 24
FOREARM_LENGTH = 22

#: Seconds between two repetitions when the figure (or a follow-along set) repeats.
REST_BETWEEN_REPS_S = 1


class Posture(StrEnum):
    """Where the exercise is done; sitting draws a stool under the figure."""

    LYING = "lying"
    SITTING = "sitting"
    STANDING = "standing"


class Phase(StrEnum):
    """One part of a repetition."""

    MOVE = "move"
    HOLD = "hold"
    RETURN = "return"
    REST = "rest"


@dataclass(frozen=True, slots=True)
class Pose:
    """Where the pelvis is and the angle of each joint (see the module's conventions)."""

    pelvis_x: int
    pelvis_y: int
    trunk_deg: int
    hip_deg: int
    knee_deg: int
    ankle_deg: int
    shoulder_deg: int
    elbow_deg: int

    def relative_rotations(self) -> dict[str, int]:
        """The rotation of each drawn segment relative to its parent segment, in degrees
        clockwise, each segment drawn pointing up in its own frame before rotation."""
        return {
            "trunk": self.trunk_deg,
            "thigh": 180 - self.hip_deg,
            "shin": self.knee_deg,
            "foot": self.ankle_deg - 90,
            "upper_arm": 180 - self.shoulder_deg,
            "forearm": -self.elbow_deg,
        }

    def joints(self) -> dict[str, tuple[float, float]]:
        """Where each joint of the figure is drawn (forward kinematics)."""
        rotations = self.relative_rotations()
        pelvis = (float(self.pelvis_x), float(self.pelvis_y))
        trunk = rotations["trunk"]
        shoulder = _step(pelvis, trunk, TRUNK_LENGTH)
        head = _step(shoulder, trunk, NECK_LENGTH + HEAD_RADIUS)
        thigh = trunk + rotations["thigh"]
        knee = _step(pelvis, thigh, THIGH_LENGTH)
        shin = thigh + rotations["shin"]
        ankle = _step(knee, shin, SHIN_LENGTH)
        toe = _step(ankle, shin + rotations["foot"], FOOT_LENGTH)
        upper_arm = trunk + rotations["upper_arm"]
        elbow = _step(shoulder, upper_arm, UPPER_ARM_LENGTH)
        hand = _step(elbow, upper_arm + rotations["forearm"], FOREARM_LENGTH)
        return {
            "pelvis": pelvis,
            "shoulder": shoulder,
            "head": head,
            "knee": knee,
            "ankle": ankle,
            "toe": toe,
            "elbow": elbow,
            "hand": hand,
        }


def _step(start: tuple[float, float], direction_deg: float, length: float) -> tuple[float, float]:
    radians = math.radians(direction_deg)
    return (start[0] + length * math.sin(radians), start[1] - length * math.cos(radians))


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A named position of the exercise, with words for people who see it still."""

    name: str
    label: str
    pose: Pose


@dataclass(frozen=True, slots=True)
class Demonstration:
    """How a stage's exercise looks: posture, cue words, keyframes (start first, held last).

    ``move_s`` is how long moving from the start to the held position takes (the same
    back); ``move_cue`` and ``return_cue`` are said when the movement starts and ends.
    """

    posture: Posture
    move_s: int
    move_cue: str
    return_cue: str
    keyframes: tuple[Keyframe, ...]


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """One phase of a repetition, from ``start_s`` to ``end_s`` seconds after it starts."""

    phase: Phase
    start_s: int
    end_s: int


#: Room left around the figure's joints when the drawing is cropped to the figure.
FRAME_MARGIN = HEAD_RADIUS + 6


def figure_frame(demonstration: Demonstration) -> tuple[int, int, int, int]:
    """The part of the drawing the figure uses in any of its keyframes, as an SVG view
    box (x, y, width, height), with a margin, down to and including the ground."""
    points = [
        point for keyframe in demonstration.keyframes for point in keyframe.pose.joints().values()
    ]
    left = math.floor(min(x for x, _ in points)) - FRAME_MARGIN
    right = math.ceil(max(x for x, _ in points)) + FRAME_MARGIN
    top = math.floor(min(y for _, y in points)) - FRAME_MARGIN
    bottom = max(math.ceil(max(y for _, y in points)), GROUND_Y) + 4
    return (left, top, right - left, bottom - top)


def repetition_phases(demonstration: Demonstration, hold_s: int) -> tuple[PhaseSpan, ...]:
    """One repetition at a hold of ``hold_s`` seconds: move, hold, return, rest.

    A demonstration with a single keyframe is a position to rest in: there is nothing to
    move, so the repetition is the hold alone (then the rest before the next one).
    """
    moving = len(demonstration.keyframes) > 1
    lengths = (
        (Phase.MOVE, demonstration.move_s if moving else 0),
        (Phase.HOLD, max(hold_s, 0)),
        (Phase.RETURN, demonstration.move_s if moving else 0),
        (Phase.REST, REST_BETWEEN_REPS_S),
    )
    spans: list[PhaseSpan] = []
    start = 0
    for phase, length in lengths:
        if length:
            spans.append(PhaseSpan(phase, start, start + length))
            start += length
    return tuple(spans)
