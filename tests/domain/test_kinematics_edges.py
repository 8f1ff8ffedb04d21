"""Kinematics at its edges: degenerate poses, missing landmarks, and when footage is refused."""

from __future__ import annotations

import math

import pytest

from spinestep.domain.kinematics import (
    CORE_JOINTS,
    NO_PERSON_MESSAGE,
    TURN_SIDE_ON_MESSAGE,
    UPRIGHT_MESSAGE,
    ExerciseStage,
    Facing,
    FrameAngles,
    Joint,
    Keypoint,
    Measure,
    PoseLandmarks,
    ViewAssessment,
    angle_at_deg,
    detection_message,
    facing_vote,
    footage_refusal,
    frame_angles,
    knee_to_chest_ratio,
    primary_measure,
    view_yaw_deg,
)


def pose(points: dict[Joint, tuple[float, float, float]]) -> PoseLandmarks:
    return PoseLandmarks({j: Keypoint(x, y, v) for j, (x, y, v) in points.items()}, 640, 480)


def trunk(
    shoulder: tuple[float, float], hip: tuple[float, float], knee: tuple[float, float]
) -> dict[Joint, tuple[float, float, float]]:
    return {
        Joint.LEFT_SHOULDER: (*shoulder, 1.0),
        Joint.RIGHT_SHOULDER: (*shoulder, 1.0),
        Joint.LEFT_HIP: (*hip, 1.0),
        Joint.RIGHT_HIP: (*hip, 1.0),
        Joint.LEFT_KNEE: (*knee, 1.0),
        Joint.RIGHT_KNEE: (*knee, 1.0),
    }


@pytest.mark.parametrize(
    ("stage", "measure"),
    [
        (ExerciseStage.SUPINE, Measure.HIP_FLEXION),
        (ExerciseStage.SEATED, Measure.TRUNK_FLEXION),
        (ExerciseStage.STANDING, Measure.TRUNK_FLEXION),
    ],
)
def test_lying_is_measured_at_the_hip_and_sitting_or_standing_at_the_trunk(
    stage: ExerciseStage, measure: Measure
) -> None:
    assert primary_measure(stage) is measure


def test_frame_angles_give_the_value_of_either_measure() -> None:
    # Sitting upright, facing right: trunk vertical, thigh horizontal.
    angles = frame_angles(pose(trunk((100, 100), (100, 300), (300, 300))), Facing.RIGHT)
    assert angles.value(Measure.TRUNK_FLEXION) == pytest.approx(0.0)
    assert angles.value(Measure.HIP_FLEXION) == pytest.approx(90.0)
    assert isinstance(angles, FrameAngles)
    assert angles.knee_to_chest_ratio == pytest.approx(math.hypot(200, 200) / 200)


def test_mean_visibility_is_over_the_joints_found_and_zero_without_any() -> None:
    seen = pose(
        {
            Joint.LEFT_SHOULDER: (0, 0, 0.9),
            Joint.LEFT_HIP: (0, 0, 0.5),
            Joint.NOSE: (0, 0, 0.0),  # not a core joint: not counted
        }
    )
    assert seen.mean_visibility() == pytest.approx(0.7)
    assert seen.mean_visibility([Joint.NOSE]) == 0.0
    assert pose({}).mean_visibility() == 0.0
    assert Joint.NOSE not in CORE_JOINTS


def test_an_angle_with_a_zero_length_arm_is_zero_not_an_error() -> None:
    assert angle_at_deg((5, 5), (5, 5), (9, 1)) == 0.0
    assert angle_at_deg((0, 1), (0, 0), (1, 0)) == pytest.approx(90.0)


def test_a_pose_without_torso_length_has_no_finite_ratio_and_no_side_view() -> None:
    collapsed = pose(trunk((100, 300), (100, 300), (100, 450)))
    assert knee_to_chest_ratio(collapsed) == math.inf
    assert view_yaw_deg(collapsed) == 90.0


def test_facing_vote_is_zero_without_face_or_flat_feet() -> None:
    body = trunk((100, 100), (100, 300), (100, 450))
    assert facing_vote(pose(body)) == 0.0
    # A nose without ears, and a toe without its heel, carry no evidence either.
    body[Joint.NOSE] = (130, 80, 1.0)
    body[Joint.LEFT_FOOT_INDEX] = (140, 470, 1.0)
    assert facing_vote(pose(body)) == 0.0


def test_toes_in_front_of_the_heels_vote_for_the_side_they_point_to() -> None:
    body = trunk((100, 100), (100, 300), (100, 450))
    body[Joint.LEFT_FOOT_INDEX] = (140, 470, 1.0)
    body[Joint.LEFT_HEEL] = (100, 470, 1.0)
    assert facing_vote(pose(body)) > 0.0
    body[Joint.LEFT_FOOT_INDEX] = (60, 470, 1.0)
    assert facing_vote(pose(body)) < 0.0
    # A foot pointing down (toe below the heel) is not flat: no vote.
    body[Joint.LEFT_FOOT_INDEX] = (100, 520, 1.0)
    assert facing_vote(pose(body)) == 0.0


def test_the_view_in_json_omits_the_yaw() -> None:
    view = ViewAssessment(True, Facing.LEFT, 12.5, None)
    assert view.to_json() == {"side_view": True, "facing": "left", "message": None}
    nobody = ViewAssessment(False, None, None, NO_PERSON_MESSAGE)
    assert nobody.to_json()["facing"] is None


def test_the_detection_message_rounds_the_share_down() -> None:
    message = detection_message(0.699)
    assert message.startswith("a person was found in only 69 % of the frames (70 % needed)")


SIDE_ON = ViewAssessment(True, Facing.RIGHT, 5.0, None)
FRONT_ON = ViewAssessment(False, Facing.RIGHT, 60.0, TURN_SIDE_ON_MESSAGE)


@pytest.mark.parametrize(
    ("stage", "view", "detected", "start_deg", "expected"),
    [
        (ExerciseStage.STANDING, SIDE_ON, 0.7, 3.0, None),
        (ExerciseStage.STANDING, SIDE_ON, 1.0, None, None),
        (ExerciseStage.SUPINE, SIDE_ON, 1.0, 80.0, None),  # lying starts far from vertical
        (ExerciseStage.SEATED, SIDE_ON, 1.0, -45.0, None),
        (ExerciseStage.SEATED, SIDE_ON, 1.0, -46.0, UPRIGHT_MESSAGE),
        (ExerciseStage.STANDING, SIDE_ON, 1.0, 90.0, UPRIGHT_MESSAGE),
        (ExerciseStage.STANDING, FRONT_ON, 1.0, 0.0, TURN_SIDE_ON_MESSAGE),
        (
            ExerciseStage.SUPINE,
            ViewAssessment(False, Facing.LEFT, 40.0, None),
            1.0,
            None,
            TURN_SIDE_ON_MESSAGE,
        ),
        (
            ExerciseStage.SUPINE,
            ViewAssessment(False, None, None, NO_PERSON_MESSAGE),
            0.0,
            None,
            NO_PERSON_MESSAGE,
        ),
        (ExerciseStage.STANDING, SIDE_ON, 0.5, 0.0, detection_message(0.5)),
        (
            ExerciseStage.STANDING,
            FRONT_ON,
            0.5,
            0.0,
            f"{detection_message(0.5)}; {TURN_SIDE_ON_MESSAGE}",
        ),
    ],
)
def test_footage_is_refused_with_what_to_change(
    stage: ExerciseStage,
    view: ViewAssessment,
    detected: float,
    start_deg: float | None,
    expected: str | None,
) -> None:
    assert footage_refusal(stage, view, detected, start_deg) == expected
