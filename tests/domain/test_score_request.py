"""The strict JSON contract of ``spinestep score`` (SPEC §5 with the types of §3.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinestep.domain.change import Measure
from spinestep.domain.score_request import (
    ChangeRequest,
    OdiRequest,
    decode_json,
    parse_score_request,
    score_json,
)
from spinestep.errors import InvalidInput, NotScorable

SPEC_EXAMPLES = [
    (
        '{"instrument": "nprs", "score": 5}',
        {"instrument": "nprs", "score": 5, "band": "moderate"},
    ),
    (
        '{"instrument": "odi", "answers": [2,1,2,1,2,1,2,null,2,3]}',
        {"instrument": "odi", "score": 35.56, "raw": 16, "answered": 9, "band": "moderate"},
    ),
    ('{"instrument": "rmdq", "ticked": [1, 4, 9]}', {"instrument": "rmdq", "score": 3}),
    ('{"instrument": "psfs", "ratings": [3, 5, 4]}', {"instrument": "psfs", "score": 4.0}),
    (
        '{"instrument": "startback", "items": [1,1,1,1,0,0,0,0], "bothersomeness": "moderately"}',
        {"instrument": "startback", "total": 4, "psychosocial": 0, "risk": "medium"},
    ),
    (
        '{"instrument": "change", "measure": "nprs", "baseline": 6, "followup": 3}',
        {
            "instrument": "change",
            "measure": "nprs",
            "improvement": 3,
            "improvement_percent": 50.0,
            "important": True,
            "worsened": False,
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_EXAMPLES)
def test_spec_examples_reproduce_exactly(text: str, expected: dict[str, object]) -> None:
    output = score_json(decode_json(text))
    assert output == expected
    # same JSON types too: 5 stays an integer, 4.0 stays a float
    assert json.dumps(output) == json.dumps(expected)


def test_psfs_score_is_a_float_even_when_whole() -> None:
    assert json.dumps(score_json({"instrument": "psfs", "ratings": [4]})) == (
        '{"instrument": "psfs", "score": 4.0}'
    )


def test_change_on_odi_accepts_integers_and_floats() -> None:
    request = parse_score_request(
        {"instrument": "change", "measure": "odi", "baseline": 35.56, "followup": 20}
    )
    assert request == ChangeRequest(measure=Measure.ODI, baseline=35.56, followup=20)
    # 15.56 / 35.56 = 43.757…% → 43.76
    assert score_json(
        {"instrument": "change", "measure": "odi", "baseline": 35.56, "followup": 20}
    ) == {
        "instrument": "change",
        "measure": "odi",
        "improvement": 15.56,
        "improvement_percent": 43.76,
        "important": True,
        "worsened": False,
    }


def test_odi_nulls_are_kept_as_unanswered_sections() -> None:
    request = parse_score_request({"instrument": "odi", "answers": [None, *[1] * 9]})
    assert request == OdiRequest(answers=(None, 1, 1, 1, 1, 1, 1, 1, 1, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", r"^input: must be a JSON object$"),
        ('"nprs"', r"^input: must be a JSON object$"),
        ("{}", r"^instrument: is required$"),
        ('{"instrument": "vas", "score": 5}', r"^instrument: must be one of nprs, odi, rmdq"),
        ('{"instrument": "NPRS", "score": 5}', r"^instrument: must be one of"),
        ('{"instrument": null, "score": 5}', r"^instrument: must be one of"),
        ('{"instrument": "nprs"}', r"^score: is required$"),
        ('{"instrument": "nprs", "score": 5, "note": "x"}', r"^note: unknown key for instrument"),
        ('{"instrument": "nprs", "score": 5, "band": "moderate"}', r"^band: unknown key"),
        ('{"instrument": "nprs", "score": null}', r"^score: must not be null$"),
        ('{"instrument": "nprs", "score": true}', r"^score: must be an integer 0-10$"),
        ('{"instrument": "nprs", "score": 5.0}', r"^score: must be an integer 0-10$"),
        ('{"instrument": "nprs", "score": "5"}', r"^score: must be an integer 0-10$"),
        ('{"instrument": "nprs", "score": 11}', r"^score: must be an integer 0-10$"),
        ('{"instrument": "odi", "answers": null}', r"^answers: must not be null$"),
        ('{"instrument": "odi", "answers": {"0": 1}}', r"^answers: must be an array$"),
        ('{"instrument": "odi", "answers": [1,1,1]}', r"^answers: must have exactly 10 entries$"),
        (
            '{"instrument": "odi", "answers": [1,1,1,"2",1,1,1,1,1,1]}',
            r"^answers\[3\]: must be an integer 0-5 or null$",
        ),
        (
            '{"instrument": "odi", "answers": [1,1,1,1,1,1,1,1,1,false]}',
            r"^answers\[9\]: must be an integer 0-5 or null$",
        ),
        ('{"instrument": "rmdq", "ticked": [1, null]}', r"^ticked\[1\]: must not be null$"),
        ('{"instrument": "rmdq", "ticked": [3, 3]}', r"^ticked\[1\]: statement 3 is ticked twice$"),
        ('{"instrument": "rmdq", "ticked": [1.0]}', r"^ticked\[0\]: must be an integer 1-24$"),
        ('{"instrument": "psfs", "ratings": []}', r"^ratings: must rate 1-5 activities$"),
        (
            '{"instrument": "psfs", "ratings": [3, 10.5]}',
            r"^ratings\[1\]: must be an integer 0-10$",
        ),
        (
            '{"instrument": "startback", "items": [1,1,1,1,0,0,0,0]}',
            r"^bothersomeness: is required$",
        ),
        (
            '{"instrument": "startback", "items": [1,1,1,1,0,0,0,0], '
            '"bothersomeness": "Very_much"}',
            r"^bothersomeness: must be one of not_at_all, slightly, moderately, very_much, "
            r"extremely$",
        ),
        (
            '{"instrument": "startback", "items": [1,1,1,1,0,0,0,true], '
            '"bothersomeness": "slightly"}',
            r"^items\[7\]: must be an integer 0-1$",
        ),
        (
            '{"instrument": "change", "measure": "vas", "baseline": 6, "followup": 3}',
            r"^measure: must be one of nprs, odi, rmdq, psfs$",
        ),
        (
            '{"instrument": "change", "measure": "nprs", "baseline": 6}',
            r"^followup: is required$",
        ),
        (
            '{"instrument": "change", "measure": "nprs", "baseline": 6.0, "followup": 3}',
            r"^baseline: must be an integer 0-10$",
        ),
        (
            '{"instrument": "change", "measure": "odi", "baseline": true, "followup": 3}',
            r"^baseline: must be a number 0-100$",
        ),
        (
            '{"instrument": "change", "measure": "psfs", "baseline": 2, "followup": null}',
            r"^followup: must not be null$",
        ),
        (
            '{"instrument": "change", "measure": "rmdq", "baseline": 6, "followup": 3, "x": 1}',
            r"^x: unknown key for instrument change$",
        ),
        (
            '{"instrument": "change", "measure": 3, "baseline": 6, "followup": 3}',
            r"^measure: must be one of nprs, odi, rmdq, psfs$",
        ),
        (
            '{"instrument": "startback", "items": [0, 0, 0, 0, 0, 0, 0, 0], "bothersomeness": 2}',
            r"^bothersomeness: must be one of ",
        ),
    ],
)
def test_invalid_requests_name_the_offending_value(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        score_json(decode_json(text))


def test_odi_with_three_missing_is_not_scorable() -> None:
    with pytest.raises(NotScorable, match=r"^answers: 3 of 10 sections unanswered"):
        score_json(decode_json('{"instrument": "odi", "answers": [1,1,1,1,1,1,1,null,null,null]}'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^input: not valid JSON"),
        ('{"instrument": "nprs", "score": 5', r"^input: not valid JSON"),
        ('{"instrument": "nprs", "score": NaN}', r"^input: NaN is not a JSON number$"),
        (
            '{"instrument": "change", "measure": "odi", "baseline": Infinity, "followup": 1}',
            r"Infinity",
        ),
        ('{"instrument": "nprs", "score": 5, "score": 6}', r"^score: duplicate key$"),
        ("1" * 5000, r"^input: a number has too many digits$"),
        ("[" * 100_000 + "]" * 100_000, r"^input: JSON is nested too deeply$"),
    ],
)
def test_text_that_is_not_strict_json_is_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        decode_json(text)


# --- invariants -----------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-30, 30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["nprs", "odi", "rmdq", "psfs", "startback", "change", "moderately"]),
)
json_like = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=12)
        | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
keys = st.sampled_from(
    [
        "score",
        "answers",
        "ticked",
        "ratings",
        "items",
        "bothersomeness",
        "measure",
        "baseline",
        "followup",
        "extra",
    ]
)


@st.composite
def near_requests(draw: st.DrawFn) -> dict[str, Any]:
    """Objects with a real instrument and plausible keys, so the checks past the shape run."""
    request: dict[str, Any] = {
        "instrument": draw(st.sampled_from(["nprs", "odi", "rmdq", "psfs", "startback", "change"]))
    }
    for key in draw(st.sets(keys, max_size=3)):
        request[key] = draw(
            st.one_of(
                json_like,
                st.lists(st.one_of(st.none(), st.integers(-1, 25), st.booleans()), max_size=11),
                st.sampled_from(["nprs", "odi", "rmdq", "psfs", "very_much"]),
            )
        )
    return request


def _only_invalid_input(payload: object) -> None:
    try:
        output = score_json(payload)
    except InvalidInput:
        return
    json.dumps(output, allow_nan=False)  # a result is always strict JSON


@given(json_like)
def test_parser_raises_only_invalid_input_on_any_json_value(payload: object) -> None:
    _only_invalid_input(payload)


@given(near_requests())
def test_parser_raises_only_invalid_input_on_near_requests(payload: dict[str, Any]) -> None:
    _only_invalid_input(payload)


@given(st.text(max_size=60))
def test_decoder_raises_only_invalid_input_on_any_text(text: str) -> None:
    try:
        payload = decode_json(text)
    except InvalidInput:
        return
    _only_invalid_input(payload)
