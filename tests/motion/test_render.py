"""Drawing: the overlay, the output formats allowed, the plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinestep.domain.kinematics import ExerciseStage, Joint
from spinestep.errors import InvalidInput
from spinestep.motion.analysis import FrameObservation, analyze_observations
from spinestep.motion.render import check_video_path, draw_overlay, write_plot
from tests.domain.synthetic_body import Camera, RepPlan, landmark_sequence

pytestmark = pytest.mark.motion


def test_only_browser_playable_video_names_are_accepted() -> None:
    assert check_video_path(Path("out.webm")) == "VP80"
    assert check_video_path(Path("OUT.MP4")) == "vp09"
    with pytest.raises(InvalidInput, match=r"--annotated: out\.avi: use a \.webm"):
        check_video_path(Path("out.avi"))


def test_overlay_draws_the_skeleton_and_the_read_outs() -> None:
    _, pose = landmark_sequence("standing", 0.0, [], Camera())[0]
    assert pose is not None
    image = np.zeros((480, 640, 3), np.uint8)
    draw_overlay(image, pose, ["trunk flexion: 5 deg", "reps: 2"], hold_fraction=0.5)
    hip = pose[Joint.LEFT_HIP]
    around_hip = image[
        round(hip.y_px) - 3 : round(hip.y_px) + 4, round(hip.x_px) - 3 : round(hip.x_px) + 4
    ]
    assert around_hip.any()  # the hip marker is drawn
    assert image[10:60, 10:200].any()  # text boxes in the top-left corner
    empty = np.zeros((480, 640, 3), np.uint8)
    draw_overlay(empty, None, [])
    assert not empty.any()  # nothing found, nothing to say: the frame is untouched


def test_plot_is_a_png(tmp_path: Path) -> None:
    frames = landmark_sequence("seated", 0.0, [RepPlan(60.0, 1.5), RepPlan(70.0, 0.3)])
    result = analyze_observations(
        [FrameObservation(t, p) for t, p in frames], ExerciseStage.SEATED, 30.0
    )
    out = tmp_path / "plot.png"
    write_plot(result, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
