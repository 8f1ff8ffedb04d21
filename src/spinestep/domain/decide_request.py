"""Strict parsing of the ``spinestep decide`` JSON object (SPEC §3.4) into a DecisionInput.

Plain Python checks, no coercion: an integer is a JSON integer (not ``true``, ``3.0`` or
``"3"``), ``null`` is never accepted, unknown keys are invalid at every level, enum
strings are exact, timestamps are RFC 3339 with ``Z`` or ``±hh:mm``. Every problem is an
``InvalidInput`` whose path names the offending value: dotted keys, ``[i]`` for array
items counted from 0 in input order (``sessions[2].pain_after``, ``doses.2.reps``).

Sessions come out sorted by UTC instant; equal instants keep input order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from spinestep.domain.model import (
    DecisionInput,
    DirectionalPreference,
    Dose,
    Effort,
    Location,
    Phase,
    ProtocolDefinition,
    RuleSettings,
    SessionRecord,
)
from spinestep.domain.redflags import RED_FLAGS
from spinestep.errors import InvalidInput

DEFAULT_PROTOCOL = "lumbar-flexion"
TOP_LEVEL_KEYS = (
    "protocol",
    "current_stage",
    "clearance",
    "directional_preference",
    "red_flags",
    "settings",
    "doses",
    "sessions",
    "phase",
    "run_since",
)
SESSION_KEYS = (
    "at",
    "stage",
    "completed",
    "reps",
    "effort",
    "pain_before",
    "pain_during",
    "pain_after",
    "location_before",
    "location_after",
)
SETTINGS_KEYS = (
    "progress_after_sessions",
    "min_days_at_stage",
    "worsening_points",
    "progress_max_pain",
    "progress_max_location",
    "maintenance_sessions_per_day",
)
DOSE_KEYS = ("reps", "hold_s", "sessions_per_day")
MAX_SESSION_REPS = 1000

_TOP_SET = frozenset(TOP_LEVEL_KEYS)
_SESSION_SET = frozenset(SESSION_KEYS)
_SESSION_REQUIRED = tuple(key for key in SESSION_KEYS if key not in ("completed", "reps"))
_SETTINGS_SET = frozenset(SETTINGS_KEYS)
_DOSE_SET = frozenset(DOSE_KEYS)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}", re.ASCII)
_STAGE_KEY = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)
_EFFORTS = {member.value: member for member in Effort}
_LOCATIONS = {member.code: member for member in Location}
_PREFERENCES = {member.value: member for member in DirectionalPreference}
_PHASES = {member.value: member for member in Phase}


def parse_decide_json(
    text: str | bytes,
    protocols: Mapping[str, ProtocolDefinition],
    emergency_number: str = "112",
) -> DecisionInput:
    """Parse JSON text (one object) into a validated, time-ordered DecisionInput."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "input", f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput("input", "not valid JSON: the text is not UTF-8") from None
    except RecursionError:
        raise InvalidInput("input", "not valid JSON: nested too deeply") from None
    return parse_decide_request(data, protocols, emergency_number)


def parse_decide_request(
    data: object,
    protocols: Mapping[str, ProtocolDefinition],
    emergency_number: str = "112",
) -> DecisionInput:
    """Check already-decoded JSON data against the contract of SPEC §3.4."""
    if type(data) is not dict:
        raise InvalidInput("input", f"must be a JSON object, got {_kind(data)}")
    _known_keys(data, _TOP_SET, "")

    protocol_id = data.get("protocol", DEFAULT_PROTOCOL)
    if type(protocol_id) is not str:
        raise InvalidInput("protocol", f"must be a protocol id string, got {_kind(protocol_id)}")
    protocol = protocols.get(protocol_id)
    if protocol is None:
        known = ", ".join(sorted(protocols))
        raise InvalidInput(
            "protocol", f"unknown protocol {json.dumps(protocol_id)} (known: {known})"
        )
    final = protocol.final_stage

    if "current_stage" not in data:
        raise InvalidInput("current_stage", "is required")
    current_stage = _int(data["current_stage"], "current_stage", 1, final)
    clearance = _bool(data.get("clearance", False), "clearance")
    preference = _enum(
        data.get("directional_preference", "unknown"), "directional_preference", _PREFERENCES
    )
    red_flags = _red_flags(data["red_flags"]) if "red_flags" in data else ()
    settings = _settings(data["settings"]) if "settings" in data else RuleSettings()
    doses = _doses(data["doses"], protocol) if "doses" in data else {}
    phase = _enum(data.get("phase", "progression"), "phase", _PHASES)
    if phase is Phase.MAINTENANCE and current_stage != protocol.maintenance_stage:
        raise InvalidInput(
            "current_stage",
            f"must be {protocol.maintenance_stage} (the maintenance stage of {protocol.id}) "
            "when phase is maintenance",
        )
    run_since = _timestamp(data["run_since"], "run_since") if "run_since" in data else None
    if "sessions" not in data:
        raise InvalidInput("sessions", "is required (it may be an empty list)")
    sessions = _sessions(data["sessions"], final)
    return DecisionInput(
        protocol=protocol,
        current_stage=current_stage,
        sessions=sessions,
        clearance=clearance,
        directional_preference=preference,
        red_flags=red_flags,
        settings=settings,
        doses=doses,
        emergency_number=emergency_number,
        phase=phase,
        run_since=run_since,
    )


def _sessions(value: object, final: int) -> tuple[SessionRecord, ...]:
    if type(value) is not list:
        raise InvalidInput("sessions", f"must be a list of sessions, got {_kind(value)}")
    return in_time_order(
        [_session(item, f"sessions[{index}]", final) for index, item in enumerate(value)]
    )


def in_time_order(sessions: Iterable[SessionRecord]) -> tuple[SessionRecord, ...]:
    """Oldest first by UTC instant; equal instants keep the order given (stable sort).

    Aware datetimes compare by instant whatever their offsets.
    """
    return tuple(sorted(sessions, key=_instant))


def _instant(session: SessionRecord) -> datetime:
    return session.at


def _session(item: object, path: str, final: int) -> SessionRecord:
    if type(item) is not dict:
        raise InvalidInput(path, f"must be a session object, got {_kind(item)}")
    _known_keys(item, _SESSION_SET, path)
    for key in _SESSION_REQUIRED:
        if key not in item:
            raise InvalidInput(f"{path}.{key}", "is required")
    reps = item.get("reps")
    return SessionRecord(
        at=_timestamp(item["at"], f"{path}.at"),
        stage=_int(item["stage"], f"{path}.stage", 1, final, "a stage of the protocol"),
        effort=_enum(item["effort"], f"{path}.effort", _EFFORTS),
        pain_before=_int(item["pain_before"], f"{path}.pain_before", 0, 10),
        pain_during=_int(item["pain_during"], f"{path}.pain_during", 0, 10),
        pain_after=_int(item["pain_after"], f"{path}.pain_after", 0, 10),
        location_before=_enum(item["location_before"], f"{path}.location_before", _LOCATIONS),
        location_after=_enum(item["location_after"], f"{path}.location_after", _LOCATIONS),
        completed=_bool(item.get("completed", True), f"{path}.completed"),
        reps=None if "reps" not in item else _int(reps, f"{path}.reps", 0, MAX_SESSION_REPS),
    )


def _timestamp(value: object, path: str) -> datetime:
    problem = "must be an RFC 3339 timestamp with Z or ±hh:mm, e.g. 2026-11-20T08:00:00+01:00"
    if type(value) is not str or _TIMESTAMP.fullmatch(value) is None:
        raise InvalidInput(path, problem)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(path, f"{problem} (no such date, time or offset)") from None
    return at


def _settings(value: object) -> RuleSettings:
    """Defaults first, then the ranges (SPEC §3.3): a partial object is completed by them."""
    if type(value) is not dict:
        raise InvalidInput("settings", f"must be an object, got {_kind(value)}")
    _known_keys(value, _SETTINGS_SET, "settings")
    defaults = RuleSettings()

    def number(key: str, low: int, high: int, default: int) -> int:
        return _int(value[key], f"settings.{key}", low, high) if key in value else default

    progress_after = number("progress_after_sessions", 1, 50, defaults.progress_after_sessions)
    if "min_days_at_stage" in value:
        min_days = _int(
            value["min_days_at_stage"],
            "settings.min_days_at_stage",
            1,
            progress_after,
            f"an integer 1-{progress_after} (not more than progress_after_sessions)",
        )
    else:
        # The default can never exceed the patient's own progress_after_sessions.
        min_days = min(defaults.min_days_at_stage, progress_after)
    location = defaults.progress_max_location
    if "progress_max_location" in value:
        location = _enum(
            value["progress_max_location"], "settings.progress_max_location", _LOCATIONS
        )
    return RuleSettings(
        progress_after_sessions=progress_after,
        min_days_at_stage=min_days,
        worsening_points=number("worsening_points", 1, 10, defaults.worsening_points),
        progress_max_pain=number("progress_max_pain", 0, 10, defaults.progress_max_pain),
        progress_max_location=location,
        maintenance_sessions_per_day=number(
            "maintenance_sessions_per_day", 1, 12, defaults.maintenance_sessions_per_day
        ),
    )


def _doses(value: object, protocol: ProtocolDefinition) -> dict[int, Dose]:
    if type(value) is not dict:
        raise InvalidInput("doses", f"must be an object keyed by stage number, got {_kind(value)}")
    final = protocol.final_stage
    out: dict[int, Dose] = {}
    for key, override in value.items():
        path = f"doses.{_key_path(key)}"
        if _STAGE_KEY.fullmatch(key) is None or int(key) > final:
            raise InvalidInput(path, f"must be a stage number of {protocol.id} (1-{final})")
        out[int(key)] = _dose(override, path, protocol.stage(int(key)).dose)
    return out


def _dose(value: object, path: str, default: Dose) -> Dose:
    if type(value) is not dict:
        raise InvalidInput(path, f"must be a dose object, got {_kind(value)}")
    _known_keys(value, _DOSE_SET, path)
    reps = _int(value["reps"], f"{path}.reps", 1, 100) if "reps" in value else default.reps
    hold_min, hold_max = default.hold_s_min, default.hold_s_max
    if "hold_s" in value:
        hold = value["hold_s"]
        if type(hold) is not list or len(hold) != 2:
            raise InvalidInput(f"{path}.hold_s", "must be [min, max] seconds")
        hold_min = _int(hold[0], f"{path}.hold_s[0]", 0, 600)
        hold_max = _int(hold[1], f"{path}.hold_s[1]", hold_min, 600, f"an integer {hold_min}-600")
    per_day = default.sessions_per_day
    if "sessions_per_day" in value:
        per_day = _int(value["sessions_per_day"], f"{path}.sessions_per_day", 1, 24)
    return Dose(reps, hold_min, hold_max, per_day)


def _red_flags(value: object) -> tuple[str, ...]:
    if type(value) is not list:
        raise InvalidInput("red_flags", f"must be a list of red flag codes, got {_kind(value)}")
    seen: list[str] = []
    for index, code in enumerate(value):
        path = f"red_flags[{index}]"
        if type(code) is not str or code not in RED_FLAGS:
            raise InvalidInput(path, "must be a red flag code of SPEC §4")
        if code in seen:
            raise InvalidInput(path, f"{code} is given twice")
        seen.append(code)
    return tuple(seen)


def _int(value: object, path: str, low: int, high: int, expected: str = "") -> int:
    if type(value) is int and low <= value <= high:
        return value
    wanted = expected or f"an integer {low}-{high}"
    if type(value) is int:
        raise InvalidInput(path, f"must be {wanted}")
    raise InvalidInput(path, f"must be {wanted}, got {_kind(value)}")


def _bool(value: object, path: str) -> bool:
    if type(value) is bool:
        return value
    raise InvalidInput(path, f"must be true or false, got {_kind(value)}")


def _enum(value: object, path: str, members: Mapping[str, Any]) -> Any:
    if type(value) is str:
        member = members.get(value)
        if member is not None:
            return member
    allowed = ", ".join(members)
    raise InvalidInput(path, f"must be one of {allowed} (exact, lower case), got {_kind(value)}")


def _known_keys(obj: dict[str, object], allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            name = _key_path(key)
            raise InvalidInput(f"{path}.{name}" if path else name, "unknown key")


def _key_path(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) is int:
        return "an integer"
    if type(value) is float:
        return "a decimal number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "a list"
    return "an object"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise InvalidInput("input", f"the key {json.dumps(key)} appears twice in one object")
        obj[key] = value
    return obj


def _no_constants(name: str) -> Any:
    raise InvalidInput("input", f"not valid JSON: {name} is not a JSON number")
