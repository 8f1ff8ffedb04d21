"""MediaPipe Pose end to end: the real photos, videos made of them, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from spinestep.domain.kinematics import ExerciseStage
from spinestep.motion.analysis import ImageAnalysis
from spinestep.motion.pipeline import analyze_still
from tests.motion.photo_video import MEDIA, write_photo_video

pytestmark = pytest.mark.motion

#: The installed command, as a user runs it.
SPINESTEP = ("-m", "spinestep")


def _angles(photo: str, stage: ExerciseStage) -> dict[str, float]:
    result = analyze_still(MEDIA / photo, stage)
    assert isinstance(result, ImageAnalysis)
    out = result.to_json()
    assert out["detected_fraction"] == 1.0
    angles = out["angles"]
    assert isinstance(angles, dict)
    return angles


def test_knees_to_chest_raises_hip_flexion_by_more_than_60_degrees() -> None:
    start = _angles("Hug_Knees_To_Chest_0.jpg", ExerciseStage.SUPINE)
    end = _angles("Hug_Knees_To_Chest_1.jpg", ExerciseStage.SUPINE)
    assert end["hip_flexion_deg"] - start["hip_flexion_deg"] > 60
    # knees come towards the chest: the knee-to-chest ratio falls
    assert end["knee_to_chest_ratio"] < start["knee_to_chest_ratio"]


def test_toe_touch_raises_trunk_flexion_by_more_than_80_degrees() -> None:
    start = _angles("Standing_Toe_Touches_0.jpg", ExerciseStage.STANDING)
    end = _angles("Standing_Toe_Touches_1.jpg", ExerciseStage.STANDING)
    assert abs(start["trunk_flexion_deg"]) < 15  # upright
    assert end["trunk_flexion_deg"] - start["trunk_flexion_deg"] > 80
    assert end["trunk_flexion_deg"] > 90  # shoulders below the hips


def test_side_photos_are_side_views_and_the_front_photo_is_not() -> None:
    for photo in ("Standing_Toe_Touches_0.jpg", "Standing_Toe_Touches_1.jpg"):
        result = analyze_still(MEDIA / photo, ExerciseStage.STANDING)
        assert result.view.side_view is True
        assert result.view.facing is not None and result.view.facing.value == "right"
    front = analyze_still(MEDIA / "Seated_Floor_Hamstring_Stretch_0.jpg", ExerciseStage.SEATED)
    assert front.view.side_view is False
    assert front.view.message is not None and "side" in front.view.message


def _spinestep(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONWARNINGS="error::DeprecationWarning:spinestep")
    return subprocess.run(
        [sys.executable, *SPINESTEP, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def toe_touch_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "toe_touch.mp4"
    write_photo_video(
        path, "Standing_Toe_Touches_0.jpg", "Standing_Toe_Touches_1.jpg", [1.5, 2.0, 0.4, 1.2]
    )
    return path


def test_analyze_json_counts_reps_and_holds_of_a_real_video(
    toe_touch_video: Path, tmp_path: Path
) -> None:
    annotated, plot = tmp_path / "out.webm", tmp_path / "angles.png"
    done = _spinestep(
        "analyze",
        str(toe_touch_video),
        "--stage",
        "standing",
        "--json",
        "--annotated",
        str(annotated),
        "--plot",
        str(plot),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # only the JSON object on standard output
    assert out["stage"] == "standing" and out["measure"] == "trunk_flexion"
    assert out["fps"] == 30.0
    assert out["frames"] == round((2.0 + 1.5 + 2.0 + 0.4 + 1.2 + 4 * 1.5) * 30)
    assert out["view"] == {"side_view": True, "facing": "right", "message": None}
    assert out["rep_count"] == 4
    assert out["held_count"] == 3
    holds = [rep["held"] for rep in out["reps"]]
    assert holds == [True, True, False, True]
    for rep, truth in zip(out["reps"], [1.5, 2.0, 0.4, 1.2], strict=True):
        assert rep["hold_s"] == pytest.approx(truth, abs=0.3)
        assert rep["rom_deg"] > 80
    assert abs(out["baseline_deg"]) < 15
    # the annotated video is a WebM with every frame; the plot is a PNG
    assert annotated.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    capture = cv2.VideoCapture(str(annotated))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == out["frames"]
    capture.release()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyze_json_of_a_photo(tmp_path: Path) -> None:
    done = _spinestep(
        "analyze", str(MEDIA / "Hug_Knees_To_Chest_1.jpg"), "--stage", "supine", "--json"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["frames"] == 1
    assert set(out) >= {"stage", "frames", "detected_fraction", "view", "angles"}
    assert set(out["angles"]) == {"trunk_flexion_deg", "hip_flexion_deg", "knee_to_chest_ratio"}
    assert out["angles"]["hip_flexion_deg"] > 110


@pytest.mark.parametrize("content", [b"", b"just some text\n" * 40, b"\xff\xd8\xff" + bytes(64)])
def test_unreadable_files_exit_2_with_a_message_and_no_output(
    tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "session.mp4"
    bad.write_bytes(content)
    done = _spinestep("analyze", str(bad), "--stage", "seated", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spinestep: ")
    assert "session.mp4" in lines[0]


def test_stage_is_required_and_checked() -> None:
    photo = str(MEDIA / "Standing_Toe_Touches_0.jpg")
    assert _spinestep("analyze", photo, "--json").returncode == 2
    assert _spinestep("analyze", photo, "--stage", "kneeling", "--json").returncode == 2


def test_no_person_in_the_video(tmp_path: Path) -> None:
    empty_room = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(empty_room), cv2.VideoWriter.fourcc(*"mp4v"), 30, (320, 240))
    image = cv2.imread(str(MEDIA / "Standing_Toe_Touches_0.jpg"))[:240, 520:840]
    image[:] = image.mean(axis=(0, 1))  # a plain wall
    for _ in range(45):
        writer.write(image)
    writer.release()
    done = _spinestep("analyze", str(empty_room), "--stage", "standing", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["detected_fraction"] == 0.0
    assert out["reps"] == [] and out["rep_count"] == 0
    assert "no person" in out["view"]["message"]


def test_no_person_in_a_photo(tmp_path: Path) -> None:
    wall = tmp_path / "wall.png"
    image = cv2.imread(str(MEDIA / "Standing_Toe_Touches_0.jpg"))
    image[:] = (180, 190, 200)
    cv2.imwrite(str(wall), image)
    done = _spinestep("analyze", str(wall), "--stage", "seated", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["frames"] == 1
    assert out["detected_fraction"] == 0.0
    assert out["view"]["side_view"] is False
    assert "no person" in out["view"]["message"]
    assert out["angles"] == {
        "trunk_flexion_deg": None,
        "hip_flexion_deg": None,
        "knee_to_chest_ratio": None,
    }
