"""More ways a protocol file can be wrong, each named with its line, and the JSON shape.

The main table is in test_protocols.py; these rows cover the remaining checks of the
reader (wrong kinds of node, keys given twice, overlong text, unreadable characters).
"""

from __future__ import annotations

import pytest

from spinestep.domain.protocol import MAX_TEXT_CHARS, parse_protocol, protocol_to_json
from spinestep.errors import ProtocolError
from tests.domain.test_protocols import GOOD


def refused(text: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "test.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    dose:\n      reps: 10\n      hold_s: [1, 2]\n      sessions_per_day: 5\n  - id",
            "    dose: 5\n  - id",
            "test.yaml line 8: stages[0].dose: must be a mapping of reps, hold_s, sessions_per_day",
        ),
        ("title: Test\n", "title: Test\ntitle: Again\n", "test.yaml line 3: title: given twice"),
        (
            "instructions: [Do it.]",
            "instructions: Do it.",
            "test.yaml line 7: stages[0].instructions: must be a list of instruction lines",
        ),
        (
            "title: Test\n",
            "title: {name: Test}\n",
            "test.yaml line 2: title: must be text, not a mapping",
        ),
        ("title: Test\n", "title: [Test]\n", "test.yaml line 2: title: must be text, not a list"),
        ("title: Test\n", "title: '   '\n", "test.yaml line 2: title: must not be empty"),
        ("title: Test\n", "title: ~\n", "test.yaml line 2: title: must be text, not null"),
        (
            "      hold_s: [1, 2]\n      sessions_per_day: 5\n  - id",
            "      hold_s: [1, 2, 3]\n      sessions_per_day: 5\n  - id",
            "test.yaml line 10: stages[0].dose.hold_s: must be [min, max] seconds",
        ),
    ],
)
def test_errors_name_the_field_and_the_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert refused(GOOD.replace(old, new, 1)) == expected


def test_text_longer_than_the_limit_is_refused() -> None:
    text = GOOD.replace("title: Test\n", f"title: {'x' * (MAX_TEXT_CHARS + 1)}\n", 1)
    assert refused(text) == f"test.yaml line 2: title: must be at most {MAX_TEXT_CHARS} characters"


def test_text_at_the_limit_is_kept() -> None:
    text = GOOD.replace("title: Test\n", f"title: {'x' * MAX_TEXT_CHARS}\n", 1)
    assert parse_protocol(text, "test.yaml").title == "x" * MAX_TEXT_CHARS


def test_an_unreadable_character_is_refused_as_not_yaml() -> None:
    message = refused(GOOD.replace("title: Test", "title: Te\x07st", 1))
    assert message == "test.yaml line 2: not valid YAML: character U+0007 is not allowed"


def test_a_repeated_stage_id_points_at_the_id_wherever_it_is_written() -> None:
    # The second stage lists its title before its id: the error still names the id's line.
    text = GOOD.replace("  - id: two\n    title: Two\n", "  - title: Two\n    id: one\n", 1)
    assert refused(text) == "test.yaml line 13: stages[1].id: given twice"


def test_protocol_to_json_has_the_shape_of_the_file() -> None:
    protocol = parse_protocol(GOOD, "test.yaml")
    dose = {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    assert protocol_to_json(protocol) == {
        "id": "test-protocol",
        "title": "Test",
        "direction": "flexion",
        "description": "",
        "maintenance_stage": 1,
        "stages": [
            {"number": 1, "id": "one", "title": "One", "instructions": ["Do it."], "dose": dose},
            {
                "number": 2,
                "id": "two",
                "title": "Two",
                "instructions": ["Do it again."],
                "dose": dose,
            },
        ],
    }
