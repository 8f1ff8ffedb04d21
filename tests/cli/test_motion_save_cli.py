"""`spinestep analyze --save` and `spinestep log --motion`: an analysed video as a session.

The synthetic analyses come from the motion pipeline after the pose stage, fed a
skeleton with known repetitions (tests/domain/synthetic_body.py); the `--save` path also
runs MediaPipe on a video made of the real test photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spinestep.domain.kinematics import ExerciseStage
from spinestep.domain.model import EmergencyNumber
from spinestep.services import onboarding
from spinestep.services.context import Actor
from tests.cli.coach_support import finish, make_profile, run, screen_now, services, spawn
from tests.domain.synthetic_body import Camera, RepPlan, landmark_sequence

pytestmark = pytest.mark.motion

ANSWERS = [
    "--pain-before", "3",
    "--pain-during", "3",
    "--pain-after", "2",
    "--location-before", "thigh",
    "--location-after", "buttock",
    "--effort", "easy",
]  # fmt: skip
# Supine knees-to-chest from a 45° start: ROM of 50°, 60° and 55° (three reps, two held).
SUPINE_PLAN = [
    RepPlan(peak_deg=95.0, hold_s=1.5),
    RepPlan(peak_deg=105.0, hold_s=2.0),
    RepPlan(peak_deg=100.0, hold_s=0.3),
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coach.db'}"


def _analysis(tmp_path: Path, yaw_deg: float = 8.0) -> Path:
    from spinestep.motion.analysis import FrameObservation, analyze_observations

    frames = landmark_sequence("supine", 45.0, SUPINE_PLAN, Camera(yaw_deg=yaw_deg), noise_px=0.5)
    observations = [FrameObservation(t, pose) for t, pose in frames]
    out = analyze_observations(observations, ExerciseStage.SUPINE, 30.0).to_json()
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(out), encoding="utf-8")
    return path


def _stored_sessions(url: str, patient_id: int) -> list[object]:
    with services(url) as ctx, ctx.uow() as uow:
        return list(uow.sessions.for_patient(patient_id))


def test_log_motion_keeps_reps_holds_and_rom_of_the_analysis(url: str, tmp_path: Path) -> None:
    patient_id = make_profile(url)
    screen_now(url, patient_id)
    done = run(url, "log", *ANSWERS, "--motion", str(_analysis(tmp_path)), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["decision"] == "stay"
    session = data["session"]
    assert session["reps"] == 3  # the analysed count, not the dose of 10
    motion = session["motion"]
    assert (motion["stage"], motion["measure"], motion["reps"]) == ("supine", "hip_flexion", 3)
    assert motion["held_count"] == 2  # 1.5 s and 2.0 s held; 0.3 s not
    assert motion["side_view"] is True
    assert motion["rom_deg"] == pytest.approx([50.0, 60.0, 55.0], abs=3.0)
    assert motion["rom_deg_median"] == pytest.approx(55.0, abs=3.0)
    (stored,) = _stored_sessions(url, patient_id)
    assert stored.motion == motion  # type: ignore[attr-defined]

    history = run(url, "history", "--json")
    assert history.returncode == 0, history.stderr
    (week,) = json.loads(history.stdout)["rom_trend"]
    assert (week["stage"], week["stage_id"], week["sessions"]) == (1, "supine", 1)
    assert week["rom_deg_median"] == motion["rom_deg_median"]
    text = run(url, "history")
    assert text.returncode == 0, text.stderr
    assert "Range of motion" in text.stdout
    assert f"{motion['rom_deg_median']:.1f}°" in text.stdout


def test_history_has_no_rom_table_without_analysed_sessions(url: str) -> None:
    screen_now(url, make_profile(url))
    assert run(url, "log", *ANSWERS).returncode == 0
    text = run(url, "history")
    assert text.returncode == 0, text.stderr
    assert "Range of motion" not in text.stdout
    assert json.loads(run(url, "history", "--json").stdout)["rom_trend"] == []


def test_log_motion_of_a_front_view_saves_nothing(url: str, tmp_path: Path) -> None:
    patient_id = make_profile(url)
    done = run(url, "log", *ANSWERS, "--motion", str(_analysis(tmp_path, yaw_deg=85.0)))
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert "--motion: " in line
    assert "side-on" in line
    assert _stored_sessions(url, patient_id) == []


def test_log_motion_of_another_stage_saves_nothing(url: str, tmp_path: Path) -> None:
    patient_id = make_profile(url)
    path = _analysis(tmp_path)
    data = json.loads(path.read_text("utf-8"))
    data["stage"], data["measure"] = "standing", "trunk_flexion"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = run(url, "log", *ANSWERS, "--motion", str(path))
    assert done.returncode == 2
    assert "--motion: stage: " in done.stderr
    assert "stage 1 (supine)" in done.stderr
    assert _stored_sessions(url, patient_id) == []


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"stage": "supine"}'])
def test_log_motion_with_a_bad_file_is_exit_2(url: str, tmp_path: Path, content: str) -> None:
    patient_id = make_profile(url)
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    done = run(url, "log", *ANSWERS, "--motion", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert _stored_sessions(url, patient_id) == []


# --- analyze --save --------------------------------------------------------------------


def _standing_profile(url: str) -> int:
    with services(url) as ctx:
        return onboarding.onboard(
            ctx,
            Actor.local_person(),
            onboarding.OnboardingInput(
                "Ann",
                "Europe/London",
                clearance=True,
                emergency_number=EmergencyNumber.EU,
                start_stage=3,
            ),
        ).patient_id


@pytest.fixture(scope="module")
def toe_touch_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.motion.photo_video import write_photo_video

    path = tmp_path_factory.mktemp("video") / "toe_touch.mp4"
    write_photo_video(
        path, "Standing_Toe_Touches_0.jpg", "Standing_Toe_Touches_1.jpg", [1.5, 2.0, 1.2]
    )
    return path


def test_analyze_save_records_the_video_as_a_session_and_prints_one_json_object(
    url: str, toe_touch_video: Path
) -> None:
    patient_id = _standing_profile(url)
    screen_now(url, patient_id)
    done = run(
        url, "analyze", str(toe_touch_video), "--stage", "standing", "--save", *ANSWERS, "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # one object: the analysis and the decision
    assert data["analysis"]["rep_count"] == 3
    assert data["analysis"]["view"]["side_view"] is True
    assert data["decision"] == "stay"
    assert data["reasons"][0]["rule"] == "R9"
    assert data["session"]["reps"] == 3
    assert data["session"]["stage"] == 3
    (stored,) = _stored_sessions(url, patient_id)
    motion = stored.motion  # type: ignore[attr-defined]
    assert motion["stage"] == "standing" and motion["measure"] == "trunk_flexion"
    assert motion["reps"] == 3 and motion["held_count"] == 3
    assert all(rom > 80 for rom in motion["rom_deg"])  # the toe touch photos: > 80° apart
    assert motion["rom_deg_median"] == data["analysis"]["rom_deg_median"]


def test_analyze_save_asks_what_the_options_do_not_give(url: str, toe_touch_video: Path) -> None:
    patient_id = _standing_profile(url)
    screen_now(url, patient_id)
    child = spawn(
        url,
        "analyze",
        str(toe_touch_video),
        "--stage",
        "standing",
        "--save",
        "--pain-before",
        "4",
        "--effort",
        "moderate",
    )
    child.timeout = 240
    child.expect("Where did the symptoms reach before")
    child.sendline("thigh")
    child.expect("Worst pain during")
    child.sendline("4")
    child.expect("Pain after")
    child.sendline("3")
    child.expect("Where do the symptoms reach now")
    child.sendline("back")
    child.expect("Saved session")
    child.expect("Stay at this stage")
    assert finish(child) == 0
    (stored,) = _stored_sessions(url, patient_id)
    s = stored
    assert (s.pain_before, s.pain_during, s.pain_after) == (4, 4, 3)  # type: ignore[attr-defined]
    assert s.location_before.code == "thigh"  # type: ignore[attr-defined]
    assert s.location_after.code == "back"  # type: ignore[attr-defined]
    assert s.effort.value == "moderate"  # type: ignore[attr-defined]
    assert s.reps == 3  # type: ignore[attr-defined]


def test_analyze_save_at_another_stage_is_refused_before_the_analysis(
    url: str, toe_touch_video: Path
) -> None:
    patient_id = make_profile(url)  # stage 1, supine
    done = run(url, "analyze", str(toe_touch_video), "--stage", "standing", "--save", *ANSWERS)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--stage: is standing but the programme is at stage 1 (supine)" in done.stderr
    assert _stored_sessions(url, patient_id) == []


def test_analyze_save_without_a_terminal_needs_every_answer(
    url: str, toe_touch_video: Path
) -> None:
    patient_id = _standing_profile(url)
    done = run(
        url, "analyze", str(toe_touch_video), "--stage", "standing", "--save", "--effort", "easy"
    )
    assert done.returncode == 2
    assert "--pain-before: is needed with --save" in done.stderr
    assert _stored_sessions(url, patient_id) == []


def test_analyze_save_of_a_photo_or_a_front_view_saves_nothing(url: str, tmp_path: Path) -> None:
    from tests.motion.photo_video import MEDIA, write_photo_video

    patient_id = make_profile(url)
    photo = run(
        url, "analyze", str(MEDIA / "Hug_Knees_To_Chest_1.jpg"), "--stage", "supine", "--save",
        *ANSWERS,
    )  # fmt: skip
    assert photo.returncode == 2
    assert "--save: needs a video" in photo.stderr
    # The seated floor stretch photo is taken from the front: not a side view.
    front = tmp_path / "front.mp4"
    write_photo_video(
        front, "Seated_Floor_Hamstring_Stretch_0.jpg", "Seated_Floor_Hamstring_Stretch_0.jpg", [1.0]
    )
    done = run(url, "analyze", str(front), "--stage", "supine", "--save", *ANSWERS, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert "--save: not saved: " in line
    assert _stored_sessions(url, patient_id) == []


def test_session_options_without_save_are_refused(url: str, toe_touch_video: Path) -> None:
    make_profile(url)
    done = run(url, "analyze", str(toe_touch_video), "--stage", "standing", *ANSWERS)
    assert done.returncode == 2
    assert "--save: " in done.stderr


def test_analyze_save_when_paused_is_refused(url: str, toe_touch_video: Path) -> None:
    patient_id = _standing_profile(url)
    screen_now(url, patient_id)
    bad = [*ANSWERS[:-6], "--location-before", "back", "--location-after", "foot", "--effort"]
    assert run(url, "log", *bad, "hard").returncode == 0  # peripheralised: R4 stop, paused
    done = run(url, "analyze", str(toe_touch_video), "--stage", "standing", "--save", *ANSWERS)
    assert done.returncode != 0
    assert "paused" in done.stderr
    assert len(_stored_sessions(url, patient_id)) == 1
