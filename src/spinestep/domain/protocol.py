"""Protocol files: a YAML document describing a programme, checked field by field.

Every problem is reported as ``<source> line <n>: <path>: <problem>`` so a clinician
editing a file can find it, e.g. ``lumbar-flexion.yaml line 14: stages[1].dose.reps:
must be an integer 1-100``. Array indices in paths count from 0. The same format is
described by ``spinestep/protocols/protocol.schema.json``.

Pure: the caller reads the text; this module only parses it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from spinestep.domain.demonstration import (
    FIGURE_HEIGHT,
    FIGURE_WIDTH,
    Demonstration,
    Keyframe,
    Pose,
    Posture,
)
from spinestep.domain.model import Direction, Dose, ProtocolDefinition, StageDefinition
from spinestep.errors import ProtocolError

PROTOCOL_FIELDS = ("id", "title", "direction", "description", "stages", "maintenance_stage")
PROTOCOL_REQUIRED = ("id", "title", "direction", "stages", "maintenance_stage")
STAGE_FIELDS = ("id", "title", "instructions", "dose", "demonstration")
STAGE_REQUIRED = ("id", "title", "instructions", "dose")
DOSE_FIELDS = ("reps", "hold_s", "sessions_per_day")
DEMONSTRATION_FIELDS = ("posture", "move_s", "move_cue", "return_cue", "keyframes")
KEYFRAME_FIELDS = ("name", "label", "pelvis", "angles")
ANGLE_FIELDS = ("trunk", "hip", "knee", "ankle", "shoulder", "elbow")

PROTOCOL_ID_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
STAGE_ID_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
MAX_STAGES = 10
MAX_INSTRUCTIONS = 20
MAX_TEXT_CHARS = 2000
REPS_RANGE = (1, 100)
HOLD_S_RANGE = (0, 600)
SESSIONS_PER_DAY_RANGE = (1, 24)
MOVE_S_RANGE = (1, 10)
MAX_KEYFRAMES = 6
ANGLE_DEG_RANGE = (-180, 180)
PELVIS_X_RANGE = (0, FIGURE_WIDTH)
PELVIS_Y_RANGE = (0, FIGURE_HEIGHT)

_PROTOCOL_ID = re.compile(PROTOCOL_ID_PATTERN)
_STAGE_ID = re.compile(STAGE_ID_PATTERN)
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_NAMES = {
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:bool": "a boolean",
    _TAG_INT: "an integer",
    "tag:yaml.org,2002:float": "a number",
    _TAG_STR: "a string",
}


class _Reader:
    """Walks the YAML node tree, raising ProtocolError with the line of the bad node."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: Node | None, path: str, problem: str) -> ProtocolError:
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        where = f"{path}: " if path else ""
        return ProtocolError(f"{self.source}{line}: {where}{problem}")

    def mapping(
        self, node: Node, path: str, fields: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, path, f"must be a mapping of {', '.join(fields)}")
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            key_path = f"{path}.{key}" if path else str(key)
            if key not in fields:
                raise self.fail(key_node, key_path, f"unknown field (allowed: {', '.join(fields)})")
            if key in out:
                raise self.fail(key_node, key_path, "given twice")
            out[key] = value_node
        for name in required:
            if name not in out:
                raise self.fail(node, f"{path}.{name}" if path else name, "is required")
        return out

    def sequence(self, node: Node, path: str, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, path, f"must be a list of {what}")
        return list(node.value)

    def text(self, node: Node, path: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag != _TAG_STR:
            raise self.fail(node, path, f"must be text, not {self._kind(node)}")
        value = str(node.value).strip()
        if not value:
            raise self.fail(node, path, "must not be empty")
        if len(value) > MAX_TEXT_CHARS:
            raise self.fail(node, path, f"must be at most {MAX_TEXT_CHARS} characters")
        return value

    def integer(self, node: Node, path: str, low: int, high: int) -> int:
        problem = f"must be an integer {low}-{high}"
        if not isinstance(node, ScalarNode) or node.tag != _TAG_INT:
            raise self.fail(node, path, problem)
        value = self._constructor.construct_yaml_int(node)
        if not low <= value <= high:
            raise self.fail(node, path, problem)
        return int(value)

    @staticmethod
    def _kind(node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return _TAG_NAMES.get(node.tag, node.tag)


def parse_protocol(text: str, source: str) -> ProtocolDefinition:
    """Parse and check one protocol document; ``source`` names it in error messages."""
    reader = _Reader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = error.problem or error.context or "not valid YAML"
        raise ProtocolError(f"{source}{line}: not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as error:
        # The only other error composing raises: a character YAML does not allow.
        line_number = text.count("\n", 0, error.position) + 1
        problem = f"character U+{error.character:04X} is not allowed"
        raise ProtocolError(f"{source} line {line_number}: not valid YAML: {problem}") from None
    if root is None:
        raise ProtocolError(f"{source}: the file is empty")
    fields = reader.mapping(root, "", PROTOCOL_FIELDS, PROTOCOL_REQUIRED)

    protocol_id = reader.text(fields["id"], "id")
    if not _PROTOCOL_ID.match(protocol_id):
        raise reader.fail(fields["id"], "id", "must be lower-case letters and digits joined by '-'")
    direction_text = reader.text(fields["direction"], "direction")
    try:
        direction = Direction(direction_text)
    except ValueError:
        raise reader.fail(
            fields["direction"], "direction", "must be 'flexion' or 'extension'"
        ) from None
    stage_nodes = reader.sequence(fields["stages"], "stages", "stages")
    if not 1 <= len(stage_nodes) <= MAX_STAGES:
        raise reader.fail(fields["stages"], "stages", f"must list 1-{MAX_STAGES} stages")
    stages = tuple(
        _stage(reader, node, f"stages[{index}]", index + 1)
        for index, node in enumerate(stage_nodes)
    )
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.id in seen:
            raise reader.fail(
                _field_node(stage_nodes[index], "id"), f"stages[{index}].id", "given twice"
            )
        seen.add(stage.id)
    description = (
        reader.text(fields["description"], "description") if "description" in fields else ""
    )
    maintenance_stage = reader.integer(
        fields["maintenance_stage"], "maintenance_stage", 1, len(stages)
    )
    return ProtocolDefinition(
        id=protocol_id,
        title=reader.text(fields["title"], "title"),
        direction=direction,
        stages=stages,
        description=description,
        maintenance_stage=maintenance_stage,
    )


def _stage(reader: _Reader, node: Node, path: str, number: int) -> StageDefinition:
    fields = reader.mapping(node, path, STAGE_FIELDS, STAGE_REQUIRED)
    stage_id = reader.text(fields["id"], f"{path}.id")
    if not _STAGE_ID.match(stage_id):
        raise reader.fail(
            fields["id"], f"{path}.id", "must be lower-case letters and digits joined by '_'"
        )
    instruction_nodes = reader.sequence(
        fields["instructions"], f"{path}.instructions", "instruction lines"
    )
    if not 1 <= len(instruction_nodes) <= MAX_INSTRUCTIONS:
        raise reader.fail(
            fields["instructions"],
            f"{path}.instructions",
            f"must list 1-{MAX_INSTRUCTIONS} instruction lines",
        )
    instructions = tuple(
        reader.text(line, f"{path}.instructions[{index}]")
        for index, line in enumerate(instruction_nodes)
    )
    return StageDefinition(
        number=number,
        id=stage_id,
        title=reader.text(fields["title"], f"{path}.title"),
        instructions=instructions,
        dose=_dose(reader, fields["dose"], f"{path}.dose"),
        demonstration=(
            _demonstration(reader, fields["demonstration"], f"{path}.demonstration")
            if "demonstration" in fields
            else None
        ),
    )


def _dose(reader: _Reader, node: Node, path: str) -> Dose:
    fields = reader.mapping(node, path, DOSE_FIELDS, DOSE_FIELDS)
    reps = reader.integer(fields["reps"], f"{path}.reps", *REPS_RANGE)
    hold_nodes = reader.sequence(fields["hold_s"], f"{path}.hold_s", "two integers")
    if len(hold_nodes) != 2:
        raise reader.fail(fields["hold_s"], f"{path}.hold_s", "must be [min, max] seconds")
    hold_min = reader.integer(hold_nodes[0], f"{path}.hold_s[0]", *HOLD_S_RANGE)
    hold_max = reader.integer(hold_nodes[1], f"{path}.hold_s[1]", *HOLD_S_RANGE)
    if hold_min > hold_max:
        raise reader.fail(fields["hold_s"], f"{path}.hold_s", "min must not be greater than max")
    sessions_per_day = reader.integer(
        fields["sessions_per_day"], f"{path}.sessions_per_day", *SESSIONS_PER_DAY_RANGE
    )
    return Dose(reps, hold_min, hold_max, sessions_per_day)


def _demonstration(reader: _Reader, node: Node, path: str) -> Demonstration:
    fields = reader.mapping(node, path, DEMONSTRATION_FIELDS, DEMONSTRATION_FIELDS)
    posture_text = reader.text(fields["posture"], f"{path}.posture")
    try:
        posture = Posture(posture_text)
    except ValueError:
        allowed = ", ".join(f"'{p.value}'" for p in Posture)
        raise reader.fail(
            fields["posture"], f"{path}.posture", f"must be one of {allowed}"
        ) from None
    keyframe_nodes = reader.sequence(fields["keyframes"], f"{path}.keyframes", "keyframes")
    if not 1 <= len(keyframe_nodes) <= MAX_KEYFRAMES:
        raise reader.fail(
            fields["keyframes"], f"{path}.keyframes", f"must list 1-{MAX_KEYFRAMES} keyframes"
        )
    keyframes: list[Keyframe] = []
    for index, keyframe_node in enumerate(keyframe_nodes):
        keyframe = _keyframe(reader, keyframe_node, f"{path}.keyframes[{index}]")
        if any(earlier.name == keyframe.name for earlier in keyframes):
            raise reader.fail(
                _field_node(keyframe_node, "name"),
                f"{path}.keyframes[{index}].name",
                "given twice",
            )
        keyframes.append(keyframe)
    return Demonstration(
        posture=posture,
        move_s=reader.integer(fields["move_s"], f"{path}.move_s", *MOVE_S_RANGE),
        move_cue=reader.text(fields["move_cue"], f"{path}.move_cue"),
        return_cue=reader.text(fields["return_cue"], f"{path}.return_cue"),
        keyframes=tuple(keyframes),
    )


def _keyframe(reader: _Reader, node: Node, path: str) -> Keyframe:
    fields = reader.mapping(node, path, KEYFRAME_FIELDS, KEYFRAME_FIELDS)
    name = reader.text(fields["name"], f"{path}.name")
    if not _STAGE_ID.match(name):
        raise reader.fail(
            fields["name"], f"{path}.name", "must be lower-case letters and digits joined by '_'"
        )
    pelvis_nodes = reader.sequence(fields["pelvis"], f"{path}.pelvis", "two integers")
    if len(pelvis_nodes) != 2:
        raise reader.fail(fields["pelvis"], f"{path}.pelvis", "must be [x, y]")
    angle_fields = reader.mapping(fields["angles"], f"{path}.angles", ANGLE_FIELDS, ANGLE_FIELDS)
    angles = {
        name: reader.integer(angle_fields[name], f"{path}.angles.{name}", *ANGLE_DEG_RANGE)
        for name in ANGLE_FIELDS
    }
    pose = Pose(
        pelvis_x=reader.integer(pelvis_nodes[0], f"{path}.pelvis[0]", *PELVIS_X_RANGE),
        pelvis_y=reader.integer(pelvis_nodes[1], f"{path}.pelvis[1]", *PELVIS_Y_RANGE),
        trunk_deg=angles["trunk"],
        hip_deg=angles["hip"],
        knee_deg=angles["knee"],
        ankle_deg=angles["ankle"],
        shoulder_deg=angles["shoulder"],
        elbow_deg=angles["elbow"],
    )
    return Keyframe(name=name, label=reader.text(fields["label"], f"{path}.label"), pose=pose)


def demonstration_to_json(demonstration: Demonstration) -> dict[str, Any]:
    """A demonstration as plain JSON data, in the shape of the file format."""
    return {
        "posture": demonstration.posture.value,
        "move_s": demonstration.move_s,
        "move_cue": demonstration.move_cue,
        "return_cue": demonstration.return_cue,
        "keyframes": [
            {
                "name": keyframe.name,
                "label": keyframe.label,
                "pelvis": [keyframe.pose.pelvis_x, keyframe.pose.pelvis_y],
                "angles": {
                    "trunk": keyframe.pose.trunk_deg,
                    "hip": keyframe.pose.hip_deg,
                    "knee": keyframe.pose.knee_deg,
                    "ankle": keyframe.pose.ankle_deg,
                    "shoulder": keyframe.pose.shoulder_deg,
                    "elbow": keyframe.pose.elbow_deg,
                },
            }
            for keyframe in demonstration.keyframes
        ],
    }


def _field_node(node: Node, name: str) -> Node:
    """The value node of ``name`` in a mapping that ``_Reader.mapping`` has already checked."""
    found: Node = next(value for key, value in node.value if key.value == name)
    return found


def protocol_to_json(protocol: ProtocolDefinition) -> dict[str, Any]:
    """The protocol as plain JSON data, in the shape of the file format."""
    return {
        "id": protocol.id,
        "title": protocol.title,
        "direction": protocol.direction.value,
        "description": protocol.description,
        "maintenance_stage": protocol.maintenance_stage,
        "stages": [_stage_to_json(stage) for stage in protocol.stages],
    }


def _stage_to_json(stage: StageDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": stage.number,
        "id": stage.id,
        "title": stage.title,
        "instructions": list(stage.instructions),
        "dose": stage.dose.to_json(),
    }
    if stage.demonstration is not None:  # only when the file gives one, like the file
        out["demonstration"] = demonstration_to_json(stage.demonstration)
    return out
