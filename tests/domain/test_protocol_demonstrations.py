"""Demonstrations in protocol files: keyframes of a drawn figure beside each stage.

Every shipped stage brings one; a protocol written as data may bring its own or none;
a wrong keyframe is refused naming the stage, the field and the line.
"""

from __future__ import annotations

import copy
import math
from importlib import resources
from typing import Any

import pytest
import yaml

from spinestep.domain.demonstration import (
    FIGURE_HEIGHT,
    FIGURE_WIDTH,
    FOOT_LENGTH,
    GROUND_Y,
    REST_BETWEEN_REPS_S,
    SHIN_LENGTH,
    THIGH_LENGTH,
    TRUNK_LENGTH,
    Demonstration,
    Keyframe,
    Phase,
    PhaseSpan,
    Pose,
    Posture,
    figure_frame,
    repetition_phases,
)
from spinestep.domain.protocol import (
    ANGLE_FIELDS,
    DEMONSTRATION_FIELDS,
    KEYFRAME_FIELDS,
    parse_protocol,
    protocol_to_json,
)
from spinestep.errors import ProtocolError
from spinestep.protocols import builtin_protocols
from tests.domain.test_protocols import GOOD, schema, schema_errors

DEMONSTRATION = """\
    demonstration:
      posture: sitting
      move_s: 2
      move_cue: Bend forward
      return_cue: Sit up
      keyframes:
        - name: start
          label: Sitting tall
          pelvis: [100, 112]
          angles: {trunk: 0, hip: 90, knee: 90, ankle: 0, shoulder: 40, elbow: 40}
        - name: end
          label: Bent forward
          pelvis: [100, 112]
          angles: {trunk: 70, hip: 160, knee: 90, ankle: 0, shoulder: 70, elbow: 0}
"""
#: GOOD with a demonstration on its first stage (lines 12-25).
WITH_DEMO = GOOD.replace(
    "      sessions_per_day: 5\n  - id: two",
    "      sessions_per_day: 5\n" + DEMONSTRATION + "  - id: two",
    1,
)


def pose(**angles: int) -> Pose:
    values = dict(pelvis_x=100, pelvis_y=74, trunk_deg=0, hip_deg=0, knee_deg=0)
    values |= dict(ankle_deg=0, shoulder_deg=0, elbow_deg=0)
    values |= angles
    return Pose(**values)


def demonstration(*poses: Pose, move_s: int = 2) -> Demonstration:
    keyframes = tuple(Keyframe(f"k{i}", f"Position {i}", p) for i, p in enumerate(poses))
    return Demonstration(Posture.STANDING, move_s, "Bend", "Back up", keyframes)


def refused(text: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "test.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_every_shipped_stage_brings_a_demonstration_that_starts_and_ends_on_the_ground() -> None:
    for protocol in builtin_protocols().values():
        for stage in protocol.stages:
            demo = stage.demonstration
            assert demo is not None, stage.id
            assert demo.move_cue and demo.return_cue
            for keyframe in demo.keyframes:
                joints = keyframe.pose.joints()
                lowest = max(y for _, y in joints.values())
                # Nothing sinks into the floor, and the figure rests on it.
                assert lowest <= GROUND_Y + 3, (stage.id, keyframe.name, lowest)
                assert lowest >= GROUND_Y - 14, (stage.id, keyframe.name, lowest)


def test_shipped_postures_match_the_stages() -> None:
    postures = {
        stage.id: stage.demonstration.posture
        for protocol in builtin_protocols().values()
        for stage in protocol.stages
        if stage.demonstration is not None
    }
    assert postures == {
        "supine": Posture.LYING,
        "seated": Posture.SITTING,
        "standing": Posture.STANDING,
        "prone_lying": Posture.LYING,
        "prone_on_elbows": Posture.LYING,
        "prone_press_up": Posture.LYING,
        "standing_extension": Posture.STANDING,
    }


def test_a_protocol_without_demonstrations_still_loads() -> None:
    protocol = parse_protocol(GOOD, "test.yaml")
    assert [stage.demonstration for stage in protocol.stages] == [None, None]
    assert "demonstration" not in protocol_to_json(protocol)["stages"][0]


def test_a_protocol_written_as_data_brings_its_own_demonstration() -> None:
    protocol = parse_protocol(WITH_DEMO, "test.yaml")
    demo = protocol.stages[0].demonstration
    assert demo is not None and protocol.stages[1].demonstration is None
    assert demo.posture is Posture.SITTING
    assert (demo.move_s, demo.move_cue, demo.return_cue) == (2, "Bend forward", "Sit up")
    assert [k.name for k in demo.keyframes] == ["start", "end"]
    assert demo.keyframes[1].label == "Bent forward"
    assert demo.keyframes[1].pose == Pose(100, 112, 70, 160, 90, 0, 70, 0)
    # The JSON has the shape of the file, so it reads back to the same thing.
    stage_json = protocol_to_json(protocol)["stages"][0]
    assert stage_json["demonstration"]["keyframes"][0] == {
        "name": "start",
        "label": "Sitting tall",
        "pelvis": [100, 112],
        "angles": {"trunk": 0, "hip": 90, "knee": 90, "ankle": 0, "shoulder": 40, "elbow": 40},
    }
    assert (
        schema_errors(stage_json["demonstration"], schema()["$defs"]["demonstration"], schema())
        == []
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      posture: sitting",
            "      posture: kneeling",
            "test.yaml line 13: stages[0].demonstration.posture: must be one of 'lying', "
            "'sitting', 'standing'",
        ),
        (
            "      move_s: 2",
            "      move_s: 0",
            "test.yaml line 14: stages[0].demonstration.move_s: must be an integer 1-10",
        ),
        (
            "      move_cue: Bend forward\n",
            "",
            "test.yaml line 13: stages[0].demonstration.move_cue: is required",
        ),
        (
            "      return_cue: Sit up",
            "      return_cue: ''",
            "test.yaml line 16: stages[0].demonstration.return_cue: must not be empty",
        ),
        (
            "      keyframes:\n",
            "      frames: []\n      keyframes:\n",
            "test.yaml line 17: stages[0].demonstration.frames: unknown field",
        ),
        (
            "        - name: end",
            "        - name: start",
            "test.yaml line 22: stages[0].demonstration.keyframes[1].name: given twice",
        ),
        (
            "        - name: end",
            "        - name: End",
            "test.yaml line 22: stages[0].demonstration.keyframes[1].name: must be lower-case",
        ),
        (
            "          label: Bent forward",
            "          label: [Bent]",
            "test.yaml line 23: stages[0].demonstration.keyframes[1].label: must be text, "
            "not a list",
        ),
        (
            "trunk: 70, hip: 160",
            "trunk: 70, hip: 200",
            "test.yaml line 25: stages[0].demonstration.keyframes[1].angles.hip: must be an "
            "integer -180-180",
        ),
        (
            "trunk: 70, hip: 160",
            "trunk: 7.5, hip: 160",
            "test.yaml line 25: stages[0].demonstration.keyframes[1].angles.trunk: must be an "
            "integer -180-180",
        ),
        (
            "trunk: 70, hip: 160",
            "trunk: 70, hips: 160",
            "test.yaml line 25: stages[0].demonstration.keyframes[1].angles.hips: unknown field",
        ),
        (
            "trunk: 70, hip: 160, knee: 90, ",
            "trunk: 70, hip: 160, ",
            "test.yaml line 25: stages[0].demonstration.keyframes[1].angles.knee: is required",
        ),
        (
            "          pelvis: [100, 112]\n          angles: {trunk: 70",
            "          pelvis: [100]\n          angles: {trunk: 70",
            "test.yaml line 24: stages[0].demonstration.keyframes[1].pelvis: must be [x, y]",
        ),
        (
            "          pelvis: [100, 112]\n          angles: {trunk: 70",
            "          pelvis: [100, 500]\n          angles: {trunk: 70",
            f"test.yaml line 24: stages[0].demonstration.keyframes[1].pelvis[1]: must be an "
            f"integer 0-{FIGURE_HEIGHT}",
        ),
        (
            "          pelvis: [100, 112]\n          angles: {trunk: 0",
            "          pelvis: [-5, 112]\n          angles: {trunk: 0",
            f"test.yaml line 20: stages[0].demonstration.keyframes[0].pelvis[0]: must be an "
            f"integer 0-{FIGURE_WIDTH}",
        ),
        (
            "      keyframes:\n",
            "      keyframes: []\n      old_keyframes:\n",
            "test.yaml line 18: stages[0].demonstration.old_keyframes: unknown field",
        ),
    ],
)
def test_a_wrong_demonstration_is_refused_naming_the_stage_field_and_line(
    old: str, new: str, expected: str
) -> None:
    assert old in WITH_DEMO
    message = refused(WITH_DEMO.replace(old, new, 1))
    assert message.startswith(expected), message


def test_keyframes_must_be_a_short_list() -> None:
    data = yaml.safe_load(WITH_DEMO)
    frames = data["stages"][0]["demonstration"]["keyframes"]
    data["stages"][0]["demonstration"]["keyframes"] = []
    assert refused(yaml.safe_dump(data, sort_keys=False)).endswith(
        "stages[0].demonstration.keyframes: must list 1-6 keyframes"
    )
    data["stages"][0]["demonstration"]["keyframes"] = [
        {**copy.deepcopy(frames[0]), "name": f"k{i}"} for i in range(7)
    ]
    assert refused(yaml.safe_dump(data, sort_keys=False)).endswith("must list 1-6 keyframes")
    data["stages"][0]["demonstration"]["keyframes"] = "start"
    assert refused(yaml.safe_dump(data, sort_keys=False)).endswith(
        "stages[0].demonstration.keyframes: must be a list of keyframes"
    )


BROKEN: dict[str, tuple[list[Any], Any]] = {
    "unknown posture": (["posture"], "kneeling"),
    "move too slow": (["move_s"], 11),
    "angle beyond a half turn": (["keyframes", 0, "angles", "knee"], 181),
    "angle as text": (["keyframes", 0, "angles", "knee"], "bent"),
    "missing angle": (["keyframes", 0, "angles"], {"trunk": 0}),
    "pelvis with three numbers": (["keyframes", 0, "pelvis"], [1, 2, 3]),
    "blank label": (["keyframes", 0, "label"], ""),
    "no keyframes": (["keyframes"], []),
    "unknown keyframe field": (["keyframes", 0, "colour"], "red"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_parser_and_schema_agree_on_broken_demonstrations(case: str) -> None:
    text = resources.files("spinestep.protocols").joinpath("lumbar-flexion.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    path, value = BROKEN[case]
    target: Any = data["stages"][1]["demonstration"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert schema_errors(data, schema(), schema()), "the schema accepts it"
    with pytest.raises(ProtocolError, match=r"^broken\.yaml line \d+: stages\[1\]\.demonstration"):
        parse_protocol(yaml.safe_dump(data, sort_keys=False), "broken.yaml")


def test_schema_names_every_demonstration_field_the_parser_accepts() -> None:
    defs = schema()["$defs"]
    assert set(defs["demonstration"]["properties"]) == set(DEMONSTRATION_FIELDS)
    assert set(defs["keyframe"]["properties"]) == set(KEYFRAME_FIELDS)
    assert set(defs["keyframe"]["properties"]["angles"]["properties"]) == set(ANGLE_FIELDS)
    assert defs["demonstration"]["additionalProperties"] is False
    assert defs["keyframe"]["additionalProperties"] is False


def test_standing_upright_puts_the_head_above_the_pelvis_and_the_feet_below() -> None:
    joints = pose().joints()
    assert joints["shoulder"] == pytest.approx((100, 74 - TRUNK_LENGTH))
    assert joints["knee"] == pytest.approx((100, 74 + THIGH_LENGTH))
    assert joints["ankle"] == pytest.approx((100, 74 + THIGH_LENGTH + SHIN_LENGTH))
    # The foot points forward (to the right, where the figure faces).
    assert joints["toe"] == pytest.approx((100 + FOOT_LENGTH, 74 + THIGH_LENGTH + SHIN_LENGTH))
    assert joints["head"][1] < joints["shoulder"][1]
    assert joints["hand"][1] > joints["shoulder"][1]  # arms hang by the sides


def test_flexing_the_hip_while_sitting_puts_the_thigh_forward() -> None:
    joints = pose(hip_deg=90, knee_deg=90).joints()
    assert joints["knee"] == pytest.approx((100 + THIGH_LENGTH, 74))
    assert joints["ankle"] == pytest.approx((100 + THIGH_LENGTH, 74 + SHIN_LENGTH))


def test_bending_the_trunk_forward_moves_the_head_in_front() -> None:
    bent = pose(trunk_deg=90, hip_deg=90).joints()
    assert bent["shoulder"] == pytest.approx((100 + TRUNK_LENGTH, 74))
    # The legs stay under the pelvis: the hip flexes as much as the trunk leans.
    assert bent["knee"] == pytest.approx((100, 74 + THIGH_LENGTH))


def test_relative_rotations_chain_to_the_absolute_directions() -> None:
    p = pose(trunk_deg=30, hip_deg=50, knee_deg=20, ankle_deg=10, shoulder_deg=70, elbow_deg=15)
    turn = p.relative_rotations()
    thigh = turn["trunk"] + turn["thigh"]
    assert thigh == 30 + 180 - 50
    joints = p.joints()
    dx, dy = joints["knee"][0] - 100, joints["knee"][1] - 74
    assert math.degrees(math.atan2(dx, -dy)) % 360 == pytest.approx(thigh % 360)
    assert turn["forearm"] == -15 and turn["upper_arm"] == 180 - 70


def test_the_frame_holds_every_keyframe_and_reaches_the_ground() -> None:
    demo = demonstration(pose(), pose(trunk_deg=100, hip_deg=100))
    left, top, width, height = figure_frame(demo)
    for keyframe in demo.keyframes:
        for x, y in keyframe.pose.joints().values():
            assert left < x < left + width and top < y < top + height
    assert top + height > GROUND_Y


def test_a_lying_figure_gets_a_wide_low_frame() -> None:
    lying = demonstration(pose(pelvis_y=144, trunk_deg=90, ankle_deg=90))
    _, _, width, height = figure_frame(lying)
    assert width > 2 * height


def test_a_repetition_moves_holds_for_the_dose_returns_and_rests() -> None:
    demo = demonstration(pose(), pose(trunk_deg=90, hip_deg=90), move_s=3)
    assert repetition_phases(demo, 5) == (
        PhaseSpan(Phase.MOVE, 0, 3),
        PhaseSpan(Phase.HOLD, 3, 8),
        PhaseSpan(Phase.RETURN, 8, 11),
        PhaseSpan(Phase.REST, 11, 11 + REST_BETWEEN_REPS_S),
    )


def test_a_hold_of_nothing_has_no_hold_phase() -> None:
    demo = demonstration(pose(), pose(trunk_deg=90, hip_deg=90), move_s=2)
    phases = repetition_phases(demo, 0)
    assert [span.phase for span in phases] == [Phase.MOVE, Phase.RETURN, Phase.REST]


def test_a_single_position_is_held_without_moving() -> None:
    demo = demonstration(pose(pelvis_y=144, trunk_deg=90))
    assert repetition_phases(demo, 180) == (
        PhaseSpan(Phase.HOLD, 0, 180),
        PhaseSpan(Phase.REST, 180, 180 + REST_BETWEEN_REPS_S),
    )
