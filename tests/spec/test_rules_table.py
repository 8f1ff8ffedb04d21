"""Runs every row of ``rules.md`` (the rules as a clinician-readable table) through decide()."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import CONTINUING_DECISIONS, Decision
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols
from tests.spec.notation import sessions_from_notation, settings_from_notation

TABLE = Path(__file__).with_name("rules.md")
COLUMNS = (
    "case",
    "stage",
    "cleared",
    "preference",
    "settings",
    "sessions",
    "flags",
    "decision",
    "next",
    "rule",
    "urgency",
)


@dataclass(frozen=True)
class Row:
    cells: dict[str, str]

    def request(self) -> dict[str, object]:
        direction, stage = self.cells["stage"].split()
        flags = self.cells["flags"]
        request: dict[str, object] = {
            "protocol": f"lumbar-{direction}",
            "current_stage": int(stage),
            "clearance": {"yes": True, "no": False}[self.cells["cleared"]],
            "directional_preference": self.cells["preference"],
            "red_flags": [] if flags == "-" else [f.strip() for f in flags.split(",")],
            "sessions": sessions_from_notation(self.cells["sessions"]),
        }
        settings = settings_from_notation(self.cells["settings"])
        if settings:
            request["settings"] = settings
        return request


def read_rows() -> list[Row]:
    rows = []
    lines = [
        line for line in TABLE.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]
    header = tuple(cell.strip() for cell in lines[0].strip("|").split("|"))
    assert header == COLUMNS
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), line
        rows.append(Row(dict(zip(COLUMNS, cells, strict=True))))
    return rows


ROWS = read_rows()


def test_the_table_covers_every_rule_and_decision() -> None:
    rules = {row.cells["rule"].split()[0] for row in ROWS}
    assert rules == {f"R{n}" for n in range(1, 10)}
    decisions = {row.cells["decision"] for row in ROWS}
    assert decisions == {decision.value for decision in Decision}


@pytest.mark.parametrize("row", ROWS, ids=[row.cells["case"] for row in ROWS])
def test_rule_table_row(row: Row) -> None:
    request = parse_decide_request(json.loads(json.dumps(row.request())), builtin_protocols())
    result = decide(request)
    out = result.to_json()
    expected_rule, _, flag_list = row.cells["rule"].partition(" ")

    assert out["decision"] == row.cells["decision"]
    assert out["urgency"] == row.cells["urgency"]
    expected_next = None if row.cells["next"] == "-" else int(row.cells["next"])
    assert out["next_stage"] == expected_next
    reasons = out["reasons"]
    assert isinstance(reasons, list)
    assert {reason["rule"] for reason in reasons} == {expected_rule}
    if expected_rule == "R1":
        expected_flags = [flag.strip() for flag in flag_list.strip("()").split(",")]
        assert [reason["flag"] for reason in reasons] == expected_flags
    else:
        assert len(reasons) == 1
        assert "flag" not in reasons[0]
    # SPEC §3.4: no next stage, no dose and continue_programme false when it does not go on.
    continues = Decision(row.cells["decision"]) in CONTINUING_DECISIONS
    assert out["continue_programme"] is continues
    assert (out["dose"] is not None) is continues
    # responses describe the most recent session, null without sessions.
    assert (out["responses"] is None) is (not request.sessions)
