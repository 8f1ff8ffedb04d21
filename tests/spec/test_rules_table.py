"""Runs every row of ``rules.md`` (the rules as a clinician-readable table) through decide().

The last tests check the table's notation itself, so a row means what it says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from spinestep.domain.decide_request import parse_decide_request
from spinestep.domain.model import CONTINUING_DECISIONS, Decision
from spinestep.domain.rules import decide
from spinestep.protocols import builtin_protocols
from tests.spec.notation import dose_from_notation, sessions_from_notation, state_from_notation

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
    "phase",
    "dose",
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
        request.update(state_from_notation(self.cells["settings"]))
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
    in_maintenance = [row for row in ROWS if "maintenance" in row.cells["settings"].split()]
    assert {row.cells["rule"].split()[0] for row in in_maintenance} >= {"R1", "R4", "R5", "R6"}
    assert {row.cells["rule"] for row in in_maintenance} >= {"R7", "R9"}


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
    assert out["dose"] == dose_from_notation(row.cells["dose"])
    assert (out["dose"] is not None) is continues
    # current_stage echoes the input; phase is the phase after the decision.
    assert out["current_stage"] == request.current_stage
    assert out["phase"] == row.cells["phase"]
    assert out["rules_version"] == "2026.12-1"
    # responses describe the most recent session, null without sessions.
    assert (out["responses"] is None) is (not request.sessions)


def test_notation_spaces_untimed_sessions_three_hours_apart() -> None:
    sessions = sessions_from_notation("5x d1 s1 easy 1/1/1 back>back; d1 s2 hard 2/3/4 thigh>foot")
    assert [s["at"] for s in sessions] == [
        f"2026-11-01T{hour:02d}:00:00Z" for hour in (8, 11, 14, 17, 20, 23)
    ]
    assert sessions[-1] == {
        "at": "2026-11-01T23:00:00Z",
        "stage": 2,
        "completed": True,
        "effort": "hard",
        "pain_before": 2,
        "pain_during": 3,
        "pain_after": 4,
        "location_before": "thigh",
        "location_after": "foot",
    }
    with pytest.raises(ValueError, match="more than 6"):
        sessions_from_notation("7x d1 s1 easy 1/1/1 back>back")


def test_notation_date_ranges_clock_times_and_stopped_sessions() -> None:
    sessions = sessions_from_notation(
        "2x d1-d3 s1 easy 1/1/1 back>back; d4@23:30-05:00 s1 easy 1/1/1 back>back stopped"
    )
    assert [s["at"] for s in sessions] == [
        "2026-11-01T08:00:00Z",
        "2026-11-01T11:00:00Z",
        "2026-11-02T08:00:00Z",
        "2026-11-02T11:00:00Z",
        "2026-11-03T08:00:00Z",
        "2026-11-03T11:00:00Z",
        "2026-11-04T23:30:00-05:00",
    ]
    assert [s["completed"] for s in sessions] == [True] * 6 + [False]
    with pytest.raises(ValueError, match="one session only"):
        sessions_from_notation("2x d1@09:00Z s1 easy 1/1/1 back>back")


def test_settings_cell_gives_settings_phase_and_run_since() -> None:
    assert state_from_notation("default") == {}
    assert state_from_notation("pas=3 days=2 wp=1 maxpain=4 maxloc=thigh mspd=3") == {
        "settings": {
            "progress_after_sessions": 3,
            "min_days_at_stage": 2,
            "worsening_points": 1,
            "progress_max_pain": 4,
            "progress_max_location": "thigh",
            "maintenance_sessions_per_day": 3,
        }
    }
    assert state_from_notation("maintenance since=d3@10:00+01:00") == {
        "phase": "maintenance",
        "run_since": "2026-11-03T10:00:00+01:00",
    }
    assert dose_from_notation("1x120-180s 2/day") == {
        "reps": 1,
        "hold_s": [120, 180],
        "sessions_per_day": 2,
    }
