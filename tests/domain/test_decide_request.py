"""Parsing the decide JSON object: defaults, settings, phase, run_since, ordering.

The CLI's handling of bad input (exit 2, one line) is in tests/cli/test_decide_cli.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spinestep.domain.decide_request import in_time_order, parse_decide_json, parse_decide_request
from spinestep.domain.model import (
    DecisionInput,
    DirectionalPreference,
    Dose,
    Effort,
    Location,
    Phase,
    RuleSettings,
)
from spinestep.errors import InvalidInput
from spinestep.protocols import builtin_protocols

PROTOCOLS = builtin_protocols()


def session(at: str, pain_before: int = 2) -> dict[str, object]:
    return {
        "at": at,
        "stage": 1,
        "effort": "easy",
        "pain_before": pain_before,
        "pain_during": 2,
        "pain_after": 2,
        "location_before": "none",
        "location_after": "back",
    }


def test_defaults_of_the_contract() -> None:
    inp = parse_decide_request({"current_stage": 1, "sessions": []}, PROTOCOLS)
    assert inp.protocol.id == "lumbar-flexion"
    assert inp.clearance is False
    assert inp.directional_preference is DirectionalPreference.UNKNOWN
    assert inp.red_flags == ()
    assert inp.settings == RuleSettings(
        progress_after_sessions=6,
        min_days_at_stage=3,
        worsening_points=2,
        progress_max_pain=2,
        progress_max_location=Location.BACK,
        maintenance_sessions_per_day=2,
    )
    assert inp.settings == RuleSettings()
    assert inp.doses == {}
    assert inp.emergency_number == "112"
    assert inp.phase is Phase.PROGRESSION
    assert inp.run_since is None


def test_session_fields_and_defaults() -> None:
    inp = parse_decide_request(
        {"current_stage": 1, "sessions": [session("2026-11-20T08:00:00.5+05:30")]}, PROTOCOLS
    )
    (record,) = inp.sessions
    assert record.at == datetime(2026, 11, 20, 2, 30, 0, 500000, tzinfo=UTC)
    assert record.at.utcoffset() == timedelta(hours=5, minutes=30)
    assert record.completed is True and record.reps is None
    assert record.effort is Effort.EASY
    assert (record.location_before, record.location_after) == (Location.NONE, Location.BACK)


def parse(**top: object) -> DecisionInput:
    request: dict[str, object] = {"current_stage": 1, "sessions": []}
    request.update(top)
    return parse_decide_request(request, PROTOCOLS)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, RuleSettings(6, 3, 2, 2, Location.BACK, 2)),
        ({"worsening_points": 4}, RuleSettings(6, 3, 4)),
        ({"progress_after_sessions": 5}, RuleSettings(5, 3, 2)),
        ({"min_days_at_stage": 5}, RuleSettings(6, 5, 2)),  # checked against the default 6
        ({"min_days_at_stage": 6}, RuleSettings(6, 6, 2)),
        ({"progress_after_sessions": 2}, RuleSettings(2, 2, 2)),  # default 3 capped at 2
        ({"progress_after_sessions": 3}, RuleSettings(3, 3, 2)),
        ({"progress_after_sessions": 1}, RuleSettings(1, 1, 2)),
        ({"progress_after_sessions": 1, "min_days_at_stage": 1}, RuleSettings(1, 1, 2)),
        ({"progress_after_sessions": 50, "min_days_at_stage": 50}, RuleSettings(50, 50, 2)),
        ({"progress_max_pain": 0}, RuleSettings(progress_max_pain=0)),
        ({"progress_max_pain": 10}, RuleSettings(progress_max_pain=10)),
        (
            {"progress_max_location": "below_knee"},
            RuleSettings(progress_max_location=Location.BELOW_KNEE),
        ),
        ({"progress_max_location": "none"}, RuleSettings(progress_max_location=Location.NONE)),
        ({"progress_max_location": "foot"}, RuleSettings(progress_max_location=Location.FOOT)),
        ({"maintenance_sessions_per_day": 1}, RuleSettings(maintenance_sessions_per_day=1)),
        ({"maintenance_sessions_per_day": 12}, RuleSettings(maintenance_sessions_per_day=12)),
        (
            {
                "progress_after_sessions": 4,
                "min_days_at_stage": 2,
                "worsening_points": 3,
                "progress_max_pain": 4,
                "progress_max_location": "thigh",
                "maintenance_sessions_per_day": 3,
            },
            RuleSettings(4, 2, 3, 4, Location.THIGH, 3),
        ),
    ],
)
def test_partial_settings_take_defaults(given: dict[str, object], expected: RuleSettings) -> None:
    assert parse(settings=given).settings == expected


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ({"progress_after_sessions": 2, "min_days_at_stage": 3}, "settings.min_days_at_stage"),
        ({"min_days_at_stage": 7}, "settings.min_days_at_stage"),  # above the default 6
        ({"min_days_at_stage": 0}, "settings.min_days_at_stage"),
        ({"progress_after_sessions": 0}, "settings.progress_after_sessions"),
        ({"progress_after_sessions": 51}, "settings.progress_after_sessions"),
        ({"worsening_points": 11}, "settings.worsening_points"),
        ({"progress_max_pain": -1}, "settings.progress_max_pain"),
        ({"progress_max_pain": 11}, "settings.progress_max_pain"),
        ({"progress_max_pain": True}, "settings.progress_max_pain"),
        ({"progress_max_pain": 2.0}, "settings.progress_max_pain"),
        ({"progress_max_pain": "2"}, "settings.progress_max_pain"),
        ({"progress_max_pain": None}, "settings.progress_max_pain"),
        ({"progress_max_location": "Back"}, "settings.progress_max_location"),
        ({"progress_max_location": "knee"}, "settings.progress_max_location"),
        ({"progress_max_location": 1}, "settings.progress_max_location"),
        ({"progress_max_location": None}, "settings.progress_max_location"),
        ({"progress_max_location": ["back"]}, "settings.progress_max_location"),
        ({"maintenance_sessions_per_day": 0}, "settings.maintenance_sessions_per_day"),
        ({"maintenance_sessions_per_day": 13}, "settings.maintenance_sessions_per_day"),
        ({"maintenance_sessions_per_day": False}, "settings.maintenance_sessions_per_day"),
        ({"maintenance_sessions_per_day": 2.5}, "settings.maintenance_sessions_per_day"),
        ({"max_pain": 2}, "settings.max_pain"),
    ],
)
def test_bad_settings_name_the_key(given: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(settings=given)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_phase_defaults_to_progression_and_takes_maintenance() -> None:
    assert parse(phase="progression").phase is Phase.PROGRESSION
    assert parse(phase="maintenance").phase is Phase.MAINTENANCE
    extension = parse(protocol="lumbar-extension", current_stage=4, phase="maintenance")
    assert extension.phase is Phase.MAINTENANCE


@pytest.mark.parametrize("value", ["Maintenance", "complete", "", None, 1, True, ["maintenance"]])
def test_bad_phase_names_phase(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(phase=value)
    assert caught.value.path == "phase"


@pytest.mark.parametrize(
    ("protocol", "stage"),
    [
        ("lumbar-flexion", 2),
        ("lumbar-flexion", 3),
        ("lumbar-extension", 1),
        ("lumbar-extension", 3),
    ],
)
def test_maintenance_away_from_the_maintenance_stage_names_current_stage(
    protocol: str, stage: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(protocol=protocol, current_stage=stage, phase="maintenance")
    assert caught.value.path == "current_stage"
    # The same stage is fine in the progression phase.
    assert parse(protocol=protocol, current_stage=stage).current_stage == stage


def test_run_since_keeps_its_offset() -> None:
    inp = parse(run_since="2026-11-03T10:00:00+01:00")
    assert inp.run_since == datetime(2026, 11, 3, 9, tzinfo=UTC)
    assert inp.run_since.utcoffset() == timedelta(hours=1)
    assert parse(run_since="2026-11-03T09:00:00Z").run_since == datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-03T10:00:00",
        "2026-11-03 10:00:00Z",
        "2026-11-03",
        "2026-02-30T10:00:00Z",
        "yesterday",
        None,
        1764756000,
        True,
    ],
)
def test_bad_run_since_names_run_since(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(run_since=value)
    assert caught.value.path == "run_since"


def test_partial_dose_override_keeps_the_protocol_values() -> None:
    inp = parse_decide_request(
        {"current_stage": 1, "sessions": [], "doses": {"2": {"reps": 6}, "3": {"hold_s": [2, 3]}}},
        PROTOCOLS,
    )
    assert inp.doses == {2: Dose(6, 1, 2, 5), 3: Dose(10, 2, 3, 5)}


def test_sessions_sorted_by_utc_instant_and_stable_for_equal_instants() -> None:
    sessions = [
        session("2026-11-20T10:00:00+02:00", pain_before=1),  # 08:00Z
        session("2026-11-20T07:30:00Z", pain_before=2),  # 07:30Z
        session("2026-11-20T03:00:00-05:00", pain_before=3),  # 08:00Z, equal to the first
        session("2026-11-19T23:00:00-10:00", pain_before=4),  # 09:00Z next day UTC
    ]
    inp = parse_decide_request({"current_stage": 1, "sessions": sessions}, PROTOCOLS)
    assert [s.pain_before for s in inp.sessions] == [2, 1, 3, 4]
    assert inp.sessions[0].at.tzinfo == UTC


def test_json_text_and_bytes() -> None:
    text = '{"current_stage": 2, "sessions": [], "protocol": "lumbar-extension"}'
    for raw in (text, text.encode("utf-8")):
        inp = parse_decide_json(raw, PROTOCOLS, emergency_number="999")
        assert (inp.protocol.id, inp.current_stage, inp.emergency_number) == (
            "lumbar-extension",
            2,
            "999",
        )


def test_extension_allows_stage_four_and_flexion_does_not() -> None:
    assert (
        parse_decide_request(
            {"protocol": "lumbar-extension", "current_stage": 4, "sessions": []}, PROTOCOLS
        ).current_stage
        == 4
    )
    with pytest.raises(InvalidInput, match=r"^current_stage: must be an integer 1-3$"):
        parse_decide_request({"current_stage": 4, "sessions": []}, PROTOCOLS)


def test_in_time_order_for_records_built_elsewhere() -> None:
    inp = parse_decide_request(
        {
            "current_stage": 1,
            "sessions": [
                session("2026-11-20T09:00:00+01:00", pain_before=1),  # 08:00Z
                session("2026-11-20T08:00:00Z", pain_before=2),  # 08:00Z, equal instant
                session("2026-11-20T07:00:00Z", pain_before=3),
            ],
        },
        PROTOCOLS,
    )
    assert [s.pain_before for s in inp.sessions] == [3, 1, 2]
    shuffled = [inp.sessions[2], inp.sessions[0], inp.sessions[1]]  # pain_before 2, 3, 1
    # 2 and 1 share an instant: whichever is given first stays first.
    assert [s.pain_before for s in in_time_order(shuffled)] == [3, 2, 1]
    assert [s.pain_before for s in in_time_order(reversed(shuffled))] == [3, 1, 2]
