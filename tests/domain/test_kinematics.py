"""Angles, facing side and view check on a synthetic skeleton whose angles are known."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.kinematics import (
    Facing,
    Joint,
    Keypoint,
    PoseLandmarks,
    assess_view,
    facing_checked_by_motion,
    facing_from_votes,
    facing_vote,
    hip_flexion_deg,
    knee_to_chest_ratio,
    trunk_flexion_deg,
    view_yaw_deg,
    whole_body_visible,
)
from tests.domain.synthetic_body import Camera, Posture, posture_for, project, skeleton_3d


def _pose(points: dict[Joint, tuple[float, float]]) -> PoseLandmarks:
    return PoseLandmarks({j: Keypoint(x, y) for j, (x, y) in points.items()}, 640, 480)


def _stick(shoulder: tuple[float, float], hip: tuple[float, float], knee: tuple[float, float]):  # type: ignore[no-untyped-def]
    return _pose(
        {
            Joint.LEFT_SHOULDER: shoulder,
            Joint.RIGHT_SHOULDER: shoulder,
            Joint.LEFT_HIP: hip,
            Joint.RIGHT_HIP: hip,
            Joint.LEFT_KNEE: knee,
            Joint.RIGHT_KNEE: knee,
        }
    )


def test_upright_trunk_is_zero_and_horizontal_is_ninety() -> None:
    upright = _stick((100, 100), (100, 300), (100, 450))
    assert trunk_flexion_deg(upright, Facing.RIGHT) == pytest.approx(0.0)
    # shoulders level with the hips, on the facing side: 90.
    bent = _stick((300, 300), (100, 300), (100, 450))
    assert trunk_flexion_deg(bent, Facing.RIGHT) == pytest.approx(90.0)
    assert trunk_flexion_deg(bent, Facing.LEFT) == pytest.approx(-90.0)


def test_trunk_flexion_exceeds_ninety_when_shoulders_drop_below_hips() -> None:
    # shoulders 100 px forward and 100 px below the hips: 135 degrees.
    toe_touch = _stick((200, 400), (100, 300), (100, 450))
    assert trunk_flexion_deg(toe_touch, Facing.RIGHT) == pytest.approx(135.0)


def test_back_bend_is_negative() -> None:
    leaning_back = _stick((80, 100), (100, 300), (100, 450))
    expected = -math.degrees(math.atan2(20, 200))
    assert trunk_flexion_deg(leaning_back, Facing.RIGHT) == pytest.approx(expected)


def test_hip_flexion_is_zero_in_line_and_ninety_when_sitting_upright() -> None:
    assert hip_flexion_deg(_stick((100, 100), (100, 300), (100, 450))) == pytest.approx(0.0)
    assert hip_flexion_deg(_stick((100, 100), (100, 300), (250, 300))) == pytest.approx(90.0)


def test_knee_to_chest_ratio_divides_by_torso_length() -> None:
    # torso 200 px; knee 100 px from the shoulders.
    pose = _stick((100, 100), (100, 300), (200, 100))
    assert knee_to_chest_ratio(pose) == pytest.approx(0.5)


@settings(max_examples=60, deadline=None)
@given(
    stage=st.sampled_from(["standing", "seated", "supine"]),
    angle=st.floats(min_value=0.0, max_value=140.0),
    facing_right=st.booleans(),
)
def test_projected_skeleton_gives_back_its_angle(
    stage: str, angle: float, facing_right: bool
) -> None:
    camera = Camera(yaw_deg=0.0, facing_right=facing_right)
    pose = project(skeleton_3d(posture_for(stage, angle)), camera)
    facing = Facing.RIGHT if facing_right else Facing.LEFT
    if stage == "supine":
        assert hip_flexion_deg(pose) == pytest.approx(angle, abs=0.5)
    else:
        assert trunk_flexion_deg(pose, facing) == pytest.approx(angle, abs=0.5)


@pytest.mark.parametrize(
    "posture", [Posture(0, 0), Posture(60, 90), Posture(110, 0), Posture(-90, 140)]
)
@pytest.mark.parametrize("facing_right", [True, False])
def test_facing_side_comes_from_nose_and_toes(posture: Posture, facing_right: bool) -> None:
    pose = project(skeleton_3d(posture), Camera(facing_right=facing_right))
    expected = Facing.RIGHT if facing_right else Facing.LEFT
    assert facing_from_votes([facing_vote(pose)]) is expected


@pytest.mark.parametrize("yaw_deg", [0.0, 10.0, 15.0])
def test_side_on_camera_is_a_side_view(yaw_deg: float) -> None:
    poses = [
        project(skeleton_3d(posture_for("standing", a)), Camera(yaw_deg=yaw_deg))
        for a in (0, 60, 110)
    ]
    view = assess_view((view_yaw_deg(p) for p in poses), (facing_vote(p) for p in poses))
    assert view.side_view is True
    assert view.message is None
    assert view.facing is Facing.RIGHT


@pytest.mark.parametrize("yaw_deg", [50.0, 70.0, 90.0])
def test_front_and_oblique_views_are_detected_with_a_message(yaw_deg: float) -> None:
    poses = [
        project(skeleton_3d(posture_for("standing", a)), Camera(yaw_deg=yaw_deg))
        for a in (0, 40, 80)
    ]
    view = assess_view((view_yaw_deg(p) for p in poses), (facing_vote(p) for p in poses))
    assert view.side_view is False
    assert view.message is not None and "side" in view.message


def test_yaw_estimate_tracks_the_camera_angle() -> None:
    for yaw in (0.0, 20.0, 40.0):
        pose = project(skeleton_3d(Posture(0, 0)), Camera(yaw_deg=yaw))
        assert view_yaw_deg(pose) == pytest.approx(yaw, abs=8.0)


def test_no_frames_with_a_person_says_so() -> None:
    view = assess_view([], [])
    assert view.side_view is False
    assert view.facing is None
    assert view.message is not None and "no person" in view.message


def test_whole_body_check_fails_when_feet_are_outside_the_frame() -> None:
    pose = project(skeleton_3d(Posture(0, 0)), Camera())
    assert whole_body_visible(pose)
    cropped = PoseLandmarks(pose.points, pose.width_px, int(pose[Joint.LEFT_KNEE].y_px) + 5)
    assert not whole_body_visible(cropped)


def test_whole_body_check_accepts_a_hidden_far_side_limb() -> None:
    pose = project(skeleton_3d(Posture(0, 0)), Camera())
    points = dict(pose.points)
    for joint in (Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE, Joint.RIGHT_SHOULDER):
        points[joint] = Keypoint(points[joint].x_px, points[joint].y_px, 0.1)
    assert whole_body_visible(PoseLandmarks(points, pose.width_px, pose.height_px))
    points[Joint.LEFT_ANKLE] = Keypoint(points[Joint.LEFT_ANKLE].x_px, 0.0, 0.2)
    assert not whole_body_visible(PoseLandmarks(points, pose.width_px, pose.height_px))


def test_a_trunk_that_only_bends_backwards_means_the_facing_side_was_misread() -> None:
    times = [i / 30 for i in range(300)]
    forward = [0.0] * 60 + [min(90.0, (i - 60) * 2.0) for i in range(60, 300)]
    backward = [-a for a in forward]
    assert facing_checked_by_motion(times, backward, Facing.RIGHT) is Facing.LEFT
    assert facing_checked_by_motion(times, backward, Facing.LEFT) is Facing.RIGHT
    assert facing_checked_by_motion(times, forward, Facing.RIGHT) is Facing.RIGHT


def test_facing_is_kept_for_small_or_glitchy_movements() -> None:
    times = [i / 30 for i in range(300)]
    still: list[float | None] = [2.0] * 300
    still[150] = -170.0  # one wrong frame
    assert facing_checked_by_motion(times, still, Facing.RIGHT) is Facing.RIGHT
    swaying = [(-10.0 if (i // 30) % 2 else 0.0) for i in range(300)]
    assert facing_checked_by_motion(times, swaying, Facing.LEFT) is Facing.LEFT
    assert facing_checked_by_motion([], [], Facing.RIGHT) is Facing.RIGHT
