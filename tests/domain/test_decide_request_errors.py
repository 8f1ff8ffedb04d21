"""Every way a decide object can be wrong names the offending value and says what is wanted.

One row per check of ``domain.decide_request``: the path an interface shows the person
(``sessions[0].pain_after``) and the words that tell them what to change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from spinestep.domain.decide_request import parse_decide_json, parse_decide_request
from spinestep.errors import InvalidInput
from spinestep.protocols import builtin_protocols

PROTOCOLS = builtin_protocols()


def session(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "at": "2026-11-20T08:00:00+01:00",
        "stage": 1,
        "effort": "easy",
        "pain_before": 2,
        "pain_during": 2,
        "pain_after": 2,
        "location_before": "none",
        "location_after": "back",
    }
    base.update(changes)
    return base


def without(key: str) -> dict[str, object]:
    item = session()
    del item[key]
    return item


def request(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {"current_stage": 1, "sessions": []}
    data.update(changes)
    return data


def refused(data: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_decide_request(data, PROTOCOLS)
    return caught.value


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([], "input", "must be a JSON object, got a list"),
        (None, "input", "got null"),
        ("stage 1", "input", "got a string"),
        (request(mood="fine"), "mood", "unknown key"),
        (request(**{"odd key!": 1}), '"odd key!"', "unknown key"),
        (request(protocol=7), "protocol", "must be a protocol id string, got an integer"),
        (request(protocol="cervical"), "protocol", 'unknown protocol "cervical" (known: '),
        ({"sessions": []}, "current_stage", "is required"),
        (request(current_stage=True), "current_stage", "got a boolean"),
        (request(current_stage=2.0), "current_stage", "got a decimal number"),
        (request(current_stage=0), "current_stage", "must be an integer 1-"),
        (request(clearance="yes"), "clearance", "must be true or false, got a string"),
        (request(directional_preference="FLEXION"), "directional_preference", "exact, lower"),
        (request(red_flags="cauda_equina"), "red_flags", "must be a list of red flag codes"),
        (request(red_flags=["headache"]), "red_flags[0]", "must be a red flag code of SPEC §4"),
        (request(red_flags=[3]), "red_flags[0]", "must be a red flag code"),
        (
            request(red_flags=["major_trauma", "saddle_anaesthesia", "major_trauma"]),
            "red_flags[2]",
            "major_trauma is given twice",
        ),
        (request(settings=[]), "settings", "must be an object, got a list"),
        (
            request(settings={"progress_after_sessions": 3, "min_days_at_stage": 4}),
            "settings.min_days_at_stage",
            "an integer 1-3 (not more than progress_after_sessions)",
        ),
        (request(settings={"progress_max_location": "leg"}), "settings.progress_max_location", ""),
        (request(doses=[1]), "doses", "must be an object keyed by stage number, got a list"),
        (request(doses={"0": {}}), "doses.0", "must be a stage number of lumbar-flexion"),
        (request(doses={"9": {}}), "doses.9", "must be a stage number"),
        (request(doses={"stage one": {}}), 'doses."stage one"', "must be a stage number"),
        (request(doses={"1": 5}), "doses.1", "must be a dose object, got an integer"),
        (request(doses={"1": {"sets": 2}}), "doses.1.sets", "unknown key"),
        (request(doses={"1": {"reps": 0}}), "doses.1.reps", "must be an integer 1-100"),
        (request(doses={"1": {"hold_s": 5}}), "doses.1.hold_s", "must be [min, max] seconds"),
        (request(doses={"1": {"hold_s": [1, 2, 3]}}), "doses.1.hold_s", "[min, max]"),
        (request(doses={"1": {"hold_s": [-1, 2]}}), "doses.1.hold_s[0]", "integer 0-600"),
        (request(doses={"1": {"hold_s": [5, 2]}}), "doses.1.hold_s[1]", "an integer 5-600"),
        (
            request(doses={"1": {"sessions_per_day": 25}}),
            "doses.1.sessions_per_day",
            "must be an integer 1-24",
        ),
        (request(run_since=20261120), "run_since", "must be an RFC 3339 timestamp"),
        (request(run_since="2026-02-30T08:00:00Z"), "run_since", "(no such date, time or offset)"),
        (request(sessions=None), "sessions", "must be a list of sessions, got null"),
        (request(current_stage=1, sessions=None, phase="progression"), "sessions", "got null"),
        ({"current_stage": 1}, "sessions", "is required (it may be an empty list)"),
        (request(sessions=[7]), "sessions[0]", "must be a session object, got an integer"),
        (request(sessions=[session(feel="ok")]), "sessions[0].feel", "unknown key"),
        (request(sessions=[without("effort")]), "sessions[0].effort", "is required"),
        (request(sessions=[session(), without("at")]), "sessions[1].at", "is required"),
        (request(sessions=[session(stage=9)]), "sessions[0].stage", "a stage of the protocol"),
        (request(sessions=[session(pain_after=11)]), "sessions[0].pain_after", "integer 0-10"),
        (request(sessions=[session(pain_after="2")]), "sessions[0].pain_after", "got a string"),
        (request(sessions=[session(effort="hard!")]), "sessions[0].effort", "must be one of"),
        (request(sessions=[session(completed=1)]), "sessions[0].completed", "true or false"),
        (request(sessions=[session(reps=1001)]), "sessions[0].reps", "integer 0-1000"),
        (
            request(sessions=[session(location_after={"leg": True})]),
            "sessions[0].location_after",
            "got an object",
        ),
        (request(sessions=[session(at="2026-11-20 08:00")]), "sessions[0].at", "RFC 3339"),
    ],
)
def test_a_wrong_value_is_named_with_what_is_wanted(data: object, path: str, words: str) -> None:
    error = refused(data)
    assert error.path == path
    assert words in error.problem
    assert str(error) == f"{path}: {error.problem}"


def test_an_unknown_protocol_lists_the_known_ones() -> None:
    error = refused(request(protocol="cervical"))
    for known in PROTOCOLS:
        assert known in error.problem


def test_the_settings_path_comes_before_an_unknown_settings_key() -> None:
    error = refused(request(settings={"progress_after_sessions": 6, "retries": 2}))
    assert error.path == "settings.retries"


def test_reps_may_be_left_out_and_then_are_unknown() -> None:
    parsed = parse_decide_request(request(sessions=[session()]), PROTOCOLS)
    assert parsed.sessions[0].reps is None
    counted = parse_decide_request(request(sessions=[session(reps=0)]), PROTOCOLS)
    assert counted.sessions[0].reps == 0


def json_refused(text: str | bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_decide_json(text, PROTOCOLS)
    return caught.value


def test_text_that_is_not_json_says_where_it_breaks() -> None:
    error = json_refused('{"current_stage": 1,\n "sessions": [}')
    assert error.path == "input"
    assert error.problem.startswith("not valid JSON: ")
    assert "(line 2, column" in error.problem


def test_bytes_that_are_not_utf8_are_refused() -> None:
    error = json_refused(b'{"current_stage": 1, "sessions": [], "x": "\xff"}')
    assert error.problem == "not valid JSON: the text is not UTF-8"


def test_json_nested_without_end_is_refused_not_a_crash() -> None:
    error = json_refused("[" * 100_000 + "]" * 100_000)
    assert error.problem == "not valid JSON: nested too deeply"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_numbers_of_javascript_are_refused(constant: str) -> None:
    error = json_refused(f'{{"current_stage": {constant}, "sessions": []}}')
    assert error.problem == f"not valid JSON: {constant} is not a JSON number"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"current_stage": 1, "current_stage": 2, "sessions": []}', "current_stage"),
        (
            json.dumps({"current_stage": 1, "sessions": [session()]})[:-3] + ', "pain_after": 9}]}',
            "pain_after",
        ),
    ],
)
def test_a_key_given_twice_is_refused_not_silently_overwritten(text: str, key: str) -> None:
    error = json_refused(text)
    assert error.path == "input"
    assert error.problem == f'the key "{key}" appears twice in one object'


def test_duplicate_free_objects_with_many_keys_pass() -> None:
    data: dict[str, Any] = request(clearance=True, directional_preference="flexion")
    parsed = parse_decide_json(json.dumps(data), PROTOCOLS)
    assert parsed.clearance is True


def test_red_flags_keep_the_order_given() -> None:
    parsed = parse_decide_request(
        request(red_flags=["major_trauma", "saddle_anaesthesia"]), PROTOCOLS
    )
    assert parsed.red_flags == ("major_trauma", "saddle_anaesthesia")
