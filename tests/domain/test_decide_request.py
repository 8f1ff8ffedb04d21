"""Parsing the decide JSON object: defaults, settings, ordering (bad input: tests/cli)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spinestep.domain.decide_request import in_time_order, parse_decide_json, parse_decide_request
from spinestep.domain.model import DirectionalPreference, Dose, Effort, Location, RuleSettings
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
    assert inp.settings == RuleSettings(3, 2, 2)
    assert inp.doses == {}
    assert inp.emergency_number == "112"


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


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, RuleSettings(3, 2, 2)),
        ({"worsening_points": 4}, RuleSettings(3, 2, 4)),
        ({"progress_after_sessions": 5}, RuleSettings(5, 2, 2)),
        ({"min_days_at_stage": 3}, RuleSettings(3, 3, 2)),
        ({"progress_after_sessions": 1, "min_days_at_stage": 1}, RuleSettings(1, 1, 2)),
        ({"progress_after_sessions": 1}, RuleSettings(1, 1, 2)),
        ({"progress_after_sessions": 50, "min_days_at_stage": 50}, RuleSettings(50, 50, 2)),
    ],
)
def test_partial_settings_take_defaults(given: dict[str, int], expected: RuleSettings) -> None:
    inp = parse_decide_request({"current_stage": 1, "sessions": [], "settings": given}, PROTOCOLS)
    assert inp.settings == expected


def test_explicit_min_days_above_progress_after_sessions_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_decide_request(
            {
                "current_stage": 1,
                "sessions": [],
                "settings": {"progress_after_sessions": 2, "min_days_at_stage": 3},
            },
            PROTOCOLS,
        )
    assert caught.value.path == "settings.min_days_at_stage"


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
