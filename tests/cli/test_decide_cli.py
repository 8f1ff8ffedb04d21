"""``spinestep decide``: the JSON contract of SPEC §3.4, good input and bad."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spinestep.cli.main import build_app

APP = build_app()
SPEC_EXAMPLE: dict[str, Any] = {
    "protocol": "lumbar-flexion",
    "current_stage": 1,
    "clearance": True,
    "directional_preference": "flexion",
    "red_flags": [],
    "settings": {
        "progress_after_sessions": 6,
        "min_days_at_stage": 3,
        "worsening_points": 2,
        "progress_max_pain": 2,
        "progress_max_location": "back",
        "maintenance_sessions_per_day": 2,
    },
    "sessions": [
        {
            "at": "2026-11-20T08:00:00+00:00",
            "stage": 1,
            "completed": True,
            "reps": 10,
            "effort": "easy",
            "pain_before": 3,
            "pain_during": 3,
            "pain_after": 2,
            "location_before": "thigh",
            "location_after": "buttock",
        }
    ],
}
SPEC_KEYS = {
    "decision",
    "urgency",
    "current_stage",
    "next_stage",
    "phase",
    "continue_programme",
    "responses",
    "reasons",
    "message",
    "dose",
    "rules_version",
}


def run(stdin: str, *args: str) -> Any:
    return CliRunner().invoke(APP, ["decide", *args], input=stdin)


def test_spec_example_decides_stay() -> None:
    result = run(json.dumps(SPEC_EXAMPLE))
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) >= SPEC_KEYS
    assert out["decision"] == "stay"
    assert out["urgency"] == "none"
    assert (out["current_stage"], out["next_stage"], out["continue_programme"]) == (1, 1, True)
    assert out["phase"] == "progression"
    assert out["rules_version"] == "2026.12-1"
    assert out["responses"] == {"during": "no_effect", "after": "better", "location": "centralised"}
    assert [reason["rule"] for reason in out["reasons"]] == ["R9"]
    assert out["dose"] == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 5}
    assert result.stderr == ""


def test_minimal_input_uses_the_defaults() -> None:
    out = json.loads(run('{"current_stage": 2, "sessions": []}').stdout)
    # clearance defaults to false: R2.
    assert (out["decision"], out["urgency"], out["responses"]) == ("do_not_start", "routine", None)
    assert out["next_stage"] is None and out["dose"] is None
    assert out["continue_programme"] is False
    assert (out["current_stage"], out["phase"], out["rules_version"]) == (
        2,
        "progression",
        "2026.12-1",
    )


def test_reads_a_file_argument_and_dash_for_stdin(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(SPEC_EXAMPLE), encoding="utf-8")
    from_file = CliRunner().invoke(APP, ["decide", str(path)])
    from_dash = run(json.dumps(SPEC_EXAMPLE), "-")
    assert from_file.exit_code == from_dash.exit_code == 0
    assert json.loads(from_file.stdout) == json.loads(from_dash.stdout)


def test_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(APP, ["decide", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "nope.json" in result.stderr


def test_emergency_number_option() -> None:
    request = dict(SPEC_EXAMPLE, red_flags=["new_bladder_dysfunction"])
    out = json.loads(run(json.dumps(request), "--emergency-number", "911").stdout)
    assert out["decision"] == "emergency"
    assert "911" in out["message"]
    assert out["reasons"] == [
        {"rule": "R1", "text": out["reasons"][0]["text"], "flag": "new_bladder_dysfunction"}
    ]


def with_change(path: list[Any], value: Any) -> str:
    return with_changes((path, value))


def with_changes(*changes: tuple[list[Any], Any]) -> str:
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["sessions"].append(dict(data["sessions"][0], at="2026-11-21T08:00:00+00:00"))
    for path, value in changes:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return json.dumps(data)


DELETE = object()

BAD_INPUT = {
    "bool as integer": (with_change(["current_stage"], True), "current_stage"),
    "3.0 as integer": (with_change(["sessions", 1, "pain_after"], 3.0), "sessions[1].pain_after"),
    "string as integer": (
        with_change(["sessions", 0, "pain_before"], "3"),
        "sessions[0].pain_before",
    ),
    "integer as bool": (with_change(["clearance"], 1), "clearance"),
    "null at top level": (with_change(["clearance"], None), "clearance"),
    "null reps": (with_change(["sessions", 1, "reps"], None), "sessions[1].reps"),
    "null settings value": (
        with_change(["settings", "worsening_points"], None),
        "settings.worsening_points",
    ),
    "null protocol": (with_change(["protocol"], None), "protocol"),
    "unknown top-level key": (with_change(["patient"], "x"), "patient"),
    "unknown session key": (with_change(["sessions", 1, "notes"], "x"), "sessions[1].notes"),
    "unknown settings key": (with_change(["settings", "speed"], 1), "settings.speed"),
    "unknown dose key": (with_change(["doses"], {"2": {"sets": 2}}), "doses.2.sets"),
    "timestamp without offset": (
        with_change(["sessions", 1, "at"], "2026-11-21T08:00:00"),
        "sessions[1].at",
    ),
    "timestamp with space": (
        with_change(["sessions", 0, "at"], "2026-11-20 08:00:00Z"),
        "sessions[0].at",
    ),
    "offset without colon": (
        with_change(["sessions", 0, "at"], "2026-11-20T08:00:00+0100"),
        "sessions[0].at",
    ),
    "impossible date": (
        with_change(["sessions", 0, "at"], "2026-02-30T08:00:00Z"),
        "sessions[0].at",
    ),
    "unknown protocol": (with_change(["protocol"], "lumbar-twist"), "protocol"),
    "stage above the protocol": (with_change(["current_stage"], 4), "current_stage"),
    "stage zero": (with_change(["current_stage"], 0), "current_stage"),
    "session stage outside the protocol": (
        with_change(["sessions", 1, "stage"], 4),
        "sessions[1].stage",
    ),
    "pain above 10": (with_change(["sessions", 1, "pain_after"], 11), "sessions[1].pain_after"),
    "negative reps": (with_change(["sessions", 0, "reps"], -1), "sessions[0].reps"),
    "progress_after_sessions 51": (
        with_change(["settings", "progress_after_sessions"], 51),
        "settings.progress_after_sessions",
    ),
    "worsening_points 0": (
        with_change(["settings", "worsening_points"], 0),
        "settings.worsening_points",
    ),
    "min days above progress sessions": (
        with_change(["settings", "min_days_at_stage"], 7),
        "settings.min_days_at_stage",
    ),
    "min days above the default progress sessions": (
        with_change(["settings"], {"min_days_at_stage": 7}),
        "settings.min_days_at_stage",
    ),
    "min days above a smaller progress sessions": (
        with_change(["settings"], {"progress_after_sessions": 2, "min_days_at_stage": 3}),
        "settings.min_days_at_stage",
    ),
    "progress_max_pain 11": (
        with_change(["settings", "progress_max_pain"], 11),
        "settings.progress_max_pain",
    ),
    "progress_max_pain negative": (
        with_change(["settings", "progress_max_pain"], -1),
        "settings.progress_max_pain",
    ),
    "progress_max_pain as bool": (
        with_change(["settings", "progress_max_pain"], False),
        "settings.progress_max_pain",
    ),
    "progress_max_pain as string": (
        with_change(["settings", "progress_max_pain"], "2"),
        "settings.progress_max_pain",
    ),
    "progress_max_location in wrong case": (
        with_change(["settings", "progress_max_location"], "Back"),
        "settings.progress_max_location",
    ),
    "progress_max_location unknown": (
        with_change(["settings", "progress_max_location"], "knee"),
        "settings.progress_max_location",
    ),
    "progress_max_location as number": (
        with_change(["settings", "progress_max_location"], 1),
        "settings.progress_max_location",
    ),
    "progress_max_location null": (
        with_change(["settings", "progress_max_location"], None),
        "settings.progress_max_location",
    ),
    "maintenance_sessions_per_day 0": (
        with_change(["settings", "maintenance_sessions_per_day"], 0),
        "settings.maintenance_sessions_per_day",
    ),
    "maintenance_sessions_per_day 13": (
        with_change(["settings", "maintenance_sessions_per_day"], 13),
        "settings.maintenance_sessions_per_day",
    ),
    "maintenance_sessions_per_day 2.0": (
        with_change(["settings", "maintenance_sessions_per_day"], 2.0),
        "settings.maintenance_sessions_per_day",
    ),
    "phase unknown": (with_change(["phase"], "complete"), "phase"),
    "phase in wrong case": (with_change(["phase"], "Maintenance"), "phase"),
    "phase null": (with_change(["phase"], None), "phase"),
    "phase as bool": (with_change(["phase"], True), "phase"),
    "maintenance away from the maintenance stage": (
        with_changes((["phase"], "maintenance"), (["current_stage"], 2)),
        "current_stage",
    ),
    "extension maintenance at stage 1": (
        with_changes(
            (["phase"], "maintenance"),
            (["protocol"], "lumbar-extension"),
            (["directional_preference"], "extension"),
        ),
        "current_stage",
    ),
    "run_since without offset": (with_change(["run_since"], "2026-11-20T08:00:00"), "run_since"),
    "run_since as a date": (with_change(["run_since"], "2026-11-20"), "run_since"),
    "run_since null": (with_change(["run_since"], None), "run_since"),
    "run_since as number": (with_change(["run_since"], 1763625600), "run_since"),
    "dose for a stage not in the protocol": (with_change(["doses"], {"4": {"reps": 8}}), "doses.4"),
    "dose stage with a leading zero": (with_change(["doses"], {"02": {"reps": 8}}), "doses.02"),
    "dose hold min above max": (
        with_change(["doses"], {"2": {"hold_s": [3, 2]}}),
        "doses.2.hold_s[1]",
    ),
    "dose reps zero": (with_change(["doses"], {"2": {"reps": 0}}), "doses.2.reps"),
    "effort in wrong case": (with_change(["sessions", 1, "effort"], "Easy"), "sessions[1].effort"),
    "location in wrong case": (
        with_change(["sessions", 0, "location_after"], "Thigh"),
        "sessions[0].location_after",
    ),
    "preference in wrong case": (
        with_change(["directional_preference"], "Flexion"),
        "directional_preference",
    ),
    "duplicate red flags": (
        with_change(["red_flags"], ["major_trauma", "major_trauma"]),
        "red_flags[1]",
    ),
    "unknown red flag": (with_change(["red_flags"], ["back_ache"]), "red_flags[0]"),
    "missing current_stage": (with_change(["current_stage"], DELETE), "current_stage"),
    "missing sessions": (with_change(["sessions"], DELETE), "sessions"),
    "missing session field": (with_change(["sessions", 1, "effort"], DELETE), "sessions[1].effort"),
    "sessions not a list": (with_change(["sessions"], {}), "sessions"),
    "session not an object": (with_change(["sessions", 1], 3), "sessions[1]"),
    "non-object JSON (list)": ("[]", "input"),
    "non-object JSON (string)": ('"decide"', "input"),
    "invalid JSON": ('{"current_stage": 1,', "input"),
    "empty input": ("", "input"),
    "NaN": ('{"current_stage": NaN, "sessions": []}', "input"),
    "duplicate key": ('{"current_stage": 1, "current_stage": 2, "sessions": []}', "input"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_line_naming_the_path(case: str) -> None:
    stdin, path = BAD_INPUT[case]
    result = run(stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}: "), lines[0]


def test_settings_defaults_come_first_then_the_ranges() -> None:
    out = json.loads(run(with_change(["settings"], {"min_days_at_stage": 5})).stdout)
    assert out["decision"] == "stay"


def easy_sessions(stage: int, dates: int, per_date: int) -> list[dict[str, Any]]:
    """Easy, painless sessions: ``per_date`` a day, three hours apart from 08:00 UTC."""
    return [
        {
            "at": f"2026-11-{day:02d}T{8 + 3 * slot:02d}:00:00Z",
            "stage": stage,
            "effort": "easy",
            "pain_before": 1,
            "pain_during": 1,
            "pain_after": 1,
            "location_before": "back",
            "location_after": "back",
        }
        for day in range(1, dates + 1)
        for slot in range(per_date)
    ]


def request(**top: Any) -> str:
    data: dict[str, Any] = {
        "current_stage": 1,
        "clearance": True,
        "directional_preference": "flexion",
        "sessions": [],
    }
    data.update(top)
    return json.dumps(data)


def test_maintain_at_the_final_stage_gives_the_maintenance_exercise_and_dose() -> None:
    sessions = easy_sessions(3, dates=2, per_date=5) + easy_sessions(3, dates=3, per_date=1)[2:]
    out = json.loads(
        run(
            request(
                current_stage=3,
                sessions=sessions,
                settings={"maintenance_sessions_per_day": 3},
                doses={"1": {"reps": 6}, "3": {"reps": 12}},
            )
        ).stdout
    )
    assert (out["decision"], out["urgency"]) == ("maintain", "none")
    assert (out["current_stage"], out["next_stage"], out["phase"]) == (3, 1, "maintenance")
    assert out["dose"] == {"reps": 6, "hold_s": [1, 2], "sessions_per_day": 3}
    assert [reason["rule"] for reason in out["reasons"]] == ["R8"]
    assert out["continue_programme"] is True


def test_in_maintenance_decide_maintains_and_never_progresses() -> None:
    sessions = easy_sessions(1, dates=4, per_date=5)
    out = json.loads(run(request(phase="maintenance", sessions=sessions)).stdout)
    assert (out["decision"], out["next_stage"], out["phase"]) == ("maintain", 1, "maintenance")
    assert out["dose"] == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 2}
    assert [reason["rule"] for reason in out["reasons"]] == ["R9"]
    extension = request(
        protocol="lumbar-extension",
        directional_preference="extension",
        current_stage=4,
        phase="maintenance",
    )
    out = json.loads(run(extension).stdout)
    assert (out["decision"], out["current_stage"], out["next_stage"]) == ("maintain", 4, 4)


def test_in_maintenance_an_aggravating_session_stops_and_keeps_the_phase() -> None:
    sessions = easy_sessions(1, dates=1, per_date=1)
    sessions[0]["pain_after"] = 3
    out = json.loads(run(request(phase="maintenance", sessions=sessions)).stdout)
    assert (out["decision"], out["urgency"], out["phase"]) == ("stop", "soon", "maintenance")
    assert out["next_stage"] is None and out["dose"] is None


def test_run_since_leaves_older_sessions_out_of_the_run() -> None:
    sessions = easy_sessions(1, dates=3, per_date=5)
    assert json.loads(run(request(sessions=sessions)).stdout)["decision"] == "progress"
    later = request(sessions=sessions, run_since="2026-11-02T09:00:00+01:00")
    assert json.loads(run(later).stdout)["decision"] == "stay"


def test_progress_gives_the_next_stage_override() -> None:
    sessions = easy_sessions(1, dates=3, per_date=2)
    out = json.loads(run(request(sessions=sessions, doses={"2": {"sessions_per_day": 4}})).stdout)
    assert (out["decision"], out["next_stage"]) == ("progress", 2)
    assert out["dose"] == {"reps": 10, "hold_s": [1, 2], "sessions_per_day": 4}


def test_odd_key_names_stay_on_one_line() -> None:
    result = run('{"current_stage": 1, "sessions": [], "a\\nb": 1}')
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert '"a\\nb": unknown key' in result.stderr


def test_installed_command_reads_stdin_and_fails_cleanly() -> None:
    command = Path(sys.executable).with_name("spinestep")
    good = subprocess.run(
        [str(command), "decide"], input=json.dumps(SPEC_EXAMPLE), capture_output=True, text=True
    )
    assert good.returncode == 0
    assert json.loads(good.stdout)["decision"] == "stay"
    bad = subprocess.run(
        [str(command), "decide", "-"],
        input=with_change(["sessions", 1, "pain_after"], 3.0),
        capture_output=True,
        text=True,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.splitlines() == [
        "sessions[1].pain_after: must be an integer 0-10, got a decimal number"
    ]


def test_error_path_counts_sessions_in_the_order_given_not_time_order() -> None:
    data = copy.deepcopy(SPEC_EXAMPLE)
    late = dict(data["sessions"][0], at="2026-11-22T08:00:00Z")
    early_bad = dict(data["sessions"][0], at="2026-11-19T08:00:00Z", pain_during=-1)
    data["sessions"] = [late, early_bad]
    result = run(json.dumps(data))
    assert result.exit_code == 2
    assert result.stderr.startswith("sessions[1].pain_during: ")
