"""Protocol files: the shipped programmes, error messages with field and line, the schema."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from spinestep.domain.model import Direction, Dose
from spinestep.domain.protocol import DOSE_FIELDS, PROTOCOL_FIELDS, STAGE_FIELDS, parse_protocol
from spinestep.errors import ProtocolError
from spinestep.protocols import (
    builtin_ids,
    builtin_protocols,
    load_builtin,
    load_file,
    schema_text,
)

GOOD = """\
id: test-protocol
title: Test
direction: flexion
stages:
  - id: one
    title: One
    instructions: [Do it.]
    dose:
      reps: 10
      hold_s: [1, 2]
      sessions_per_day: 5
  - id: two
    title: Two
    instructions: [Do it again.]
    dose:
      reps: 10
      hold_s: [1, 2]
      sessions_per_day: 5
maintenance_stage: 1
"""


def test_builtin_ids() -> None:
    assert builtin_ids() == ("lumbar-extension", "lumbar-flexion")
    assert set(builtin_protocols()) == {"lumbar-extension", "lumbar-flexion"}


def test_lumbar_flexion_matches_the_spec() -> None:
    protocol = load_builtin("lumbar-flexion")
    assert protocol.direction is Direction.FLEXION
    assert [stage.id for stage in protocol.stages] == ["supine", "seated", "standing"]
    assert [stage.number for stage in protocol.stages] == [1, 2, 3]
    assert all(stage.dose == Dose(10, 1, 2, 5) for stage in protocol.stages)
    assert all(stage.instructions for stage in protocol.stages)
    assert "knees" in " ".join(protocol.stages[0].instructions).lower()
    assert "30 cm" in " ".join(protocol.stages[2].instructions)
    assert protocol.maintenance_stage == 1  # knees to chest, lying down


def test_lumbar_extension_matches_the_spec() -> None:
    protocol = load_builtin("lumbar-extension")
    assert protocol.direction is Direction.EXTENSION
    assert [stage.id for stage in protocol.stages] == [
        "prone_lying",
        "prone_on_elbows",
        "prone_press_up",
        "standing_extension",
    ]
    assert [stage.dose for stage in protocol.stages] == [
        Dose(1, 120, 180, 5),
        Dose(1, 120, 180, 5),
        Dose(10, 1, 2, 5),
        Dose(10, 1, 2, 5),
    ]
    assert protocol.maintenance_stage == 4  # standing extension


def test_builtin_protocols_are_cached() -> None:
    assert load_builtin("lumbar-flexion") is load_builtin("lumbar-flexion")
    assert builtin_protocols()["lumbar-flexion"] is load_builtin("lumbar-flexion")


def test_unknown_builtin_protocol_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="unknown protocol 'lumbar-twist'"):
        load_builtin("lumbar-twist")


def test_load_file_reads_a_protocol(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    protocol = load_file(path)
    assert protocol.id == "test-protocol"
    assert protocol.final_stage == 2
    assert protocol.maintenance_stage == 1
    other = GOOD.replace("maintenance_stage: 1", "maintenance_stage: 2")
    assert parse_protocol(other, "other.yaml").maintenance_stage == 2


def test_load_file_of_a_missing_file_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"missing\.yaml: cannot read"):
        load_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "again.]\n    dose:\n      reps: 10\n",
            "again.]\n    dose:\n      reps: 0\n",
            "test.yaml line 16: stages[1].dose.reps: must be an integer 1-100",
        ),
        ("direction: flexion", "direction: sideways", "test.yaml line 3: direction: must be"),
        ("title: Test\n", "title: Test\ncolour: red\n", "test.yaml line 3: colour: unknown field"),
        ("    title: Two\n", "    title: 2\n", "test.yaml line 13: stages[1].title: must be text"),
        ("  - id: two", "  - id: Two", "test.yaml line 12: stages[1].id: must be lower-case"),
        ("  - id: two", "  - id: one", "test.yaml line 12: stages[1].id: given twice"),
        (
            "hold_s: [1, 2]\n      sessions_per_day: 5\n  - id",
            "hold_s: [3, 2]\n      sessions_per_day: 5\n  - id",
            "test.yaml line 10: stages[0].dose.hold_s: min",
        ),
        ("      reps: 10\n", "      reps: 2.5\n", "test.yaml line 9: stages[0].dose.reps"),
        ("    dose:\n", "    dosage:\n", "test.yaml line 8: stages[0].dosage: unknown field"),
        (
            "sessions_per_day: 5\n  - id",
            "sessions_per_day: true\n  - id",
            "test.yaml line 11: stages[0].dose.sessions_per_day: must be an integer 1-24",
        ),
        ("instructions: [Do it.]", "instructions: []", "test.yaml line 7: stages[0].instructions"),
        ("direction: flexion\n", "", "test.yaml line 1: direction: is required"),
        ("maintenance_stage: 1\n", "", "test.yaml line 1: maintenance_stage: is required"),
        (
            "maintenance_stage: 1",
            "maintenance_stage: 3",
            "test.yaml line 19: maintenance_stage: must be an integer 1-2",
        ),
        (
            "maintenance_stage: 1",
            "maintenance_stage: 0",
            "test.yaml line 19: maintenance_stage: must be an integer 1-2",
        ),
        (
            "maintenance_stage: 1",
            "maintenance_stage: one",
            "test.yaml line 19: maintenance_stage: must be an integer 1-2",
        ),
        (
            "maintenance_stage: 1",
            "maintenance_stage: true",
            "test.yaml line 19: maintenance_stage: must be an integer 1-2",
        ),
        ("title: Test", "title: [Test", "test.yaml line 3: not valid YAML"),
    ],
)
def test_errors_name_the_field_and_the_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "test.yaml")
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)


def test_empty_file_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="empty"):
        parse_protocol("", "blank.yaml")


# --- The JSON Schema of the format, checked with a small validator written here -----------


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def schema_errors(
    value: Any, node: dict[str, Any], root: dict[str, Any], path: str = ""
) -> list[str]:
    """The keywords the protocol schema uses, validated the way JSON Schema defines them."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, root["$defs"][name], root, path)
    errors: list[str] = []
    kind = node.get("type")
    checks: dict[str, Callable[[Any], bool]] = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    }
    if kind is not None and not checks[kind](value):
        return [f"{path}: not {kind}"]
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{path}: not one of {node['enum']}")
    if isinstance(value, dict):
        for name in node.get("required", []):
            if name not in value:
                errors.append(f"{path}.{name}: required")
        properties = node.get("properties", {})
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], root, f"{path}.{name}")
            elif node.get("additionalProperties") is False:
                errors.append(f"{path}.{name}: not allowed")
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0) or len(value) > node.get("maxItems", 10**9):
            errors.append(f"{path}: wrong number of items")
        if "items" in node:
            for index, item in enumerate(value):
                errors += schema_errors(item, node["items"], root, f"{path}[{index}]")
    if isinstance(value, str):
        if not node.get("minLength", 0) <= len(value) <= node.get("maxLength", 10**9):
            errors.append(f"{path}: wrong length")
        if "pattern" in node and not re.search(node["pattern"], value):
            errors.append(f"{path}: does not match {node['pattern']}")
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = node.get("minimum", -(10**9)), node.get("maximum", 10**9)
        if not low <= value <= high:
            errors.append(f"{path}: out of range")
    return errors


def shipped_files() -> list[str]:
    folder = resources.files("spinestep.protocols")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def test_schema_is_json_and_names_every_field_the_parser_accepts() -> None:
    root = schema()
    assert root["$schema"].startswith("https://json-schema.org/")
    assert set(root["properties"]) == set(PROTOCOL_FIELDS)
    assert set(root["$defs"]["stage"]["properties"]) == set(STAGE_FIELDS)
    assert set(root["$defs"]["dose"]["properties"]) == set(DOSE_FIELDS)
    assert root["additionalProperties"] is False
    assert root["$defs"]["stage"]["additionalProperties"] is False
    assert root["$defs"]["dose"]["additionalProperties"] is False
    assert "maintenance_stage" in root["required"]
    assert root["properties"]["maintenance_stage"]["type"] == "integer"
    assert root["properties"]["maintenance_stage"]["minimum"] == 1


@pytest.mark.parametrize("name", shipped_files())
def test_shipped_files_match_the_schema(name: str) -> None:
    text = resources.files("spinestep.protocols").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert schema_errors(data, schema(), schema()) == []
    assert parse_protocol(text, name).id == name.removesuffix(".yaml")


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DELETE = object()

BROKEN = {
    "reps zero": _set(["stages", 0, "dose", "reps"], 0),
    "reps as text": _set(["stages", 0, "dose", "reps"], "ten"),
    "reps as boolean": _set(["stages", 1, "dose", "reps"], True),
    "reps fractional": _set(["stages", 0, "dose", "reps"], 2.5),
    "too many sessions a day": _set(["stages", 2, "dose", "sessions_per_day"], 25),
    "hold with three numbers": _set(["stages", 0, "dose", "hold_s"], [1, 2, 3]),
    "hold too long": _set(["stages", 0, "dose", "hold_s"], [1, 601]),
    "unknown top-level field": _set(["colour"], "red"),
    "unknown stage field": _set(["stages", 1, "video"], "x.mp4"),
    "unknown dose field": _set(["stages", 1, "dose", "sets"], 2),
    "missing dose": _set(["stages", 0, "dose"], _DELETE),
    "missing title": _set(["title"], _DELETE),
    "direction not known": _set(["direction"], "rotation"),
    "no stages": _set(["stages"], []),
    "no instructions": _set(["stages", 0, "instructions"], []),
    "blank instruction": _set(["stages", 0, "instructions", 0], "   "),
    "upper-case stage id": _set(["stages", 0, "id"], "Supine"),
    "protocol id with spaces": _set(["id"], "lumbar flexion"),
    "null description": _set(["description"], None),
    "missing maintenance stage": _set(["maintenance_stage"], _DELETE),
    "maintenance stage zero": _set(["maintenance_stage"], 0),
    "maintenance stage as text": _set(["maintenance_stage"], "supine"),
    "maintenance stage null": _set(["maintenance_stage"], None),
}


def test_a_maintenance_stage_beyond_the_stages_is_refused() -> None:
    # The schema cannot compare with the number of stages; the parser does.
    text = (
        resources.files("spinestep.protocols")
        .joinpath("lumbar-flexion.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    data["maintenance_stage"] = 4
    with pytest.raises(ProtocolError, match=r"^broken\.yaml line \d+: maintenance_stage: "):
        parse_protocol(yaml.safe_dump(data, sort_keys=False), "broken.yaml")


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_parser_and_schema_agree_on_broken_files(case: str) -> None:
    text = (
        resources.files("spinestep.protocols")
        .joinpath("lumbar-flexion.yaml")
        .read_text(encoding="utf-8")
    )
    data = copy.deepcopy(yaml.safe_load(text))
    BROKEN[case](data)
    broken_text = yaml.safe_dump(data, sort_keys=False)
    assert schema_errors(data, schema(), schema()), "the schema accepts it"
    with pytest.raises(ProtocolError, match=r"^broken\.yaml line \d+: "):
        parse_protocol(broken_text, "broken.yaml")
