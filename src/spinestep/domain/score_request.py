"""The strict JSON contract of ``spinestep score`` (SPEC §5, types as in §3.4).

``decode_json`` turns request text into Python values (rejecting NaN, Infinity and
duplicate keys); ``parse_score_request`` checks one decoded object and returns a typed
request; ``score_request`` scores it. Every problem is an ``InvalidInput`` (or its
subclass ``NotScorable``) whose path names the offending value, e.g.
``answers[3]: must be an integer 0-5 or null``.

Strict types: integers are JSON integers (never booleans, strings or ``3.0``); where a
number is allowed (ODI and PSFS change scores) an integer or a float is accepted but a
boolean is not; enum strings are exact and case-sensitive; ``null`` is invalid except
for an unanswered ODI section; an unknown key at any level is invalid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from spinestep.domain.change import ChangeResult, Measure, compute_change
from spinestep.domain.scoring import (
    Bothersomeness,
    Instrument,
    ScoreResult,
    score_nprs,
    score_odi,
    score_psfs,
    score_rmdq,
    score_startback,
)
from spinestep.errors import InvalidInput

CHANGE = "change"
"""The ``instrument`` value of a change request (not a questionnaire itself)."""

_E = TypeVar("_E", bound=Enum)

_FIELDS: dict[str, tuple[str, ...]] = {
    Instrument.NPRS.value: ("score",),
    Instrument.ODI.value: ("answers",),
    Instrument.RMDQ.value: ("ticked",),
    Instrument.PSFS.value: ("ratings",),
    Instrument.STARTBACK.value: ("items", "bothersomeness"),
    CHANGE: ("measure", "baseline", "followup"),
}


@dataclass(frozen=True, slots=True)
class NprsRequest:
    score: int


@dataclass(frozen=True, slots=True)
class OdiRequest:
    answers: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class RmdqRequest:
    ticked: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PsfsRequest:
    ratings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StartBackRequest:
    items: tuple[int, ...]
    bothersomeness: Bothersomeness


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    measure: Measure
    baseline: int | float
    followup: int | float


ScoreRequest = (
    NprsRequest | OdiRequest | RmdqRequest | PsfsRequest | StartBackRequest | ChangeRequest
)


def decode_json(text: str) -> Any:
    """Decode request text as strict JSON: no NaN/Infinity, no duplicate keys."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except InvalidInput:
        raise
    except RecursionError:
        raise InvalidInput("input", "JSON is nested too deeply") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise InvalidInput("input", f"not valid JSON: {error.msg} at {where}") from None
    except ValueError:  # an integer literal longer than Python converts
        raise InvalidInput("input", "a number has too many digits") from None


def parse_score_request(payload: object) -> ScoreRequest:
    """Check the shape and JSON types of a decoded request and return a typed request.

    Entry ranges (and the ODI completeness rule) are checked when the request is
    scored, by the scoring functions themselves, with the same paths.
    """
    if not isinstance(payload, Mapping):
        raise InvalidInput("input", "must be a JSON object")
    if "instrument" not in payload:
        raise InvalidInput("instrument", "is required")
    instrument = payload["instrument"]
    if not isinstance(instrument, str) or instrument not in _FIELDS:
        raise InvalidInput("instrument", "must be one of " + ", ".join(_FIELDS))
    fields = _FIELDS[instrument]
    for key in payload:
        if key != "instrument" and key not in fields:
            raise InvalidInput(str(key), f"unknown key for instrument {instrument}")
    for key in fields:
        if key not in payload:
            raise InvalidInput(key, "is required")
    return _build(instrument, payload)


def score_request(request: ScoreRequest) -> ScoreResult | ChangeResult:
    """Score a typed request (raises ``InvalidInput`` for out-of-range entries and
    ``NotScorable`` for an ODI with more than 2 sections missing)."""
    match request:
        case NprsRequest(score=score):
            return score_nprs(score)
        case OdiRequest(answers=answers):
            return score_odi(answers)
        case RmdqRequest(ticked=ticked):
            return score_rmdq(ticked)
        case PsfsRequest(ratings=ratings):
            return score_psfs(ratings)
        case StartBackRequest(items=items, bothersomeness=bothersomeness):
            return score_startback(items, bothersomeness)
        case _:  # a ChangeRequest, the last kind of request
            return compute_change(request.measure, request.baseline, request.followup)


def score_json(payload: object) -> dict[str, object]:
    """Parse, score and render one decoded request: the whole ``spinestep score`` contract."""
    return score_request(parse_score_request(payload)).to_json()


def _build(instrument: str, payload: Mapping[Any, Any]) -> ScoreRequest:
    if instrument == Instrument.NPRS.value:
        return NprsRequest(score=_not_null(payload["score"], "score"))
    if instrument == Instrument.ODI.value:
        return OdiRequest(answers=_array(payload["answers"], "answers", nullable_items=True))
    if instrument == Instrument.RMDQ.value:
        return RmdqRequest(ticked=_array(payload["ticked"], "ticked"))
    if instrument == Instrument.PSFS.value:
        return PsfsRequest(ratings=_array(payload["ratings"], "ratings"))
    if instrument == Instrument.STARTBACK.value:
        return StartBackRequest(
            items=_array(payload["items"], "items"),
            bothersomeness=_enum(Bothersomeness, payload["bothersomeness"], "bothersomeness"),
        )
    measure = _enum(Measure, payload["measure"], "measure")
    return ChangeRequest(
        measure=measure,
        baseline=_json_number(payload["baseline"], "baseline", measure),
        followup=_json_number(payload["followup"], "followup", measure),
    )


def _array(value: object, path: str, *, nullable_items: bool = False) -> tuple[Any, ...]:
    if value is None:
        raise InvalidInput(path, "must not be null")
    if not isinstance(value, list):
        raise InvalidInput(path, "must be an array")
    if not nullable_items:
        for index, item in enumerate(value):
            _not_null(item, f"{path}[{index}]")
    return tuple(value)


def _enum(enum: type[_E], value: object, path: str) -> _E:
    choices = ", ".join(str(member.value) for member in enum)
    _not_null(value, path)
    if not isinstance(value, str):
        raise InvalidInput(path, f"must be one of {choices}")
    for member in enum:
        if member.value == value:
            return member
    raise InvalidInput(path, f"must be one of {choices}")


def _json_number(value: object, path: str, measure: Measure) -> int | float:
    """An int or a float as JSON numbers arrive; range checks follow in ``compute_change``."""
    _not_null(value, path)
    if type(value) is int or (isinstance(value, float) and math.isfinite(value)):
        return value
    kind = "an integer" if measure.integer_valued else "a number"
    raise InvalidInput(path, f"must be {kind} 0-{measure.maximum}")


def _not_null(value: Any, path: str) -> Any:
    if value is None:
        raise InvalidInput(path, "must not be null")
    return value


def _reject_constant(name: str) -> None:
    raise InvalidInput("input", f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidInput(key, "duplicate key")
        out[key] = value
    return out
