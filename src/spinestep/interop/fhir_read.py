"""Read a Bundle written by ``spinestep export fhir`` back into ``PatientRecords``.

The Bundle is first validated with the R4B models; then its resources are read by the
spinestep codes and identifiers that ``interop.fhir`` writes. Anything missing or of
the wrong shape raises ``InvalidInput`` naming the entry (``entry[3].component``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from spinestep.domain.model import Direction, Dose, Effort, Location, Phase, SessionRecord
from spinestep.domain.scoring import Instrument
from spinestep.errors import InvalidInput
from spinestep.interop import fhir_codes as c
from spinestep.interop.fhir_answers import items_to_answers
from spinestep.services.record_types import (
    ChangeKind,
    FlagEntry,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    ProgrammeStatus,
    QuestionnaireEntry,
    RomEntry,
    RomMeasure,
    SessionEntry,
    StagePlan,
    StageStatus,
)

Json = dict[str, Any]
T = TypeVar("T")

_PROGRAMME_STATUS = {v: ProgrammeStatus(k) for k, v in c.PROGRAMME_STATUS_TO_FHIR.items()}
_STAGE_STATUS = {v: StageStatus(k) for k, v in c.STAGE_STATUS_TO_FHIR.items()}
_ROM_MEASURES = {v: RomMeasure(k) for k, v in c.ROM_CODES.items()}


def read_bundle_text(text: str) -> PatientRecords:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("bundle", f"not JSON (line {error.lineno})") from None
    return read_bundle(data)


def read_bundle(data: object) -> PatientRecords:
    """The records in a spinestep Bundle (as parsed JSON)."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InvalidInput("bundle", "is not a FHIR Bundle")
    try:
        Bundle.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"bundle.{where}", "is not valid FHIR R4") from None
    return _Reader(data.get("entry") or []).records()


class _Reader:
    def __init__(self, entries: list[Json]) -> None:
        self.by_url: dict[str, tuple[str, Json]] = {}
        self.by_type: dict[str, list[tuple[str, Json]]] = {}
        for index, entry in enumerate(entries):
            resource = entry.get("resource") or {}
            path = f"entry[{index}]"
            self.by_url[str(entry.get("fullUrl"))] = (path, resource)
            self.by_type.setdefault(str(resource.get("resourceType")), []).append((path, resource))

    def records(self) -> PatientRecords:
        patients = self.by_type.get("Patient", [])
        if len(patients) != 1:
            raise InvalidInput("bundle.entry", "must hold exactly one Patient")
        careplans = self.by_type.get("CarePlan", [])
        if len(careplans) > 1:
            raise InvalidInput("bundle.entry", "holds more than one CarePlan")
        sessions, questionnaires, rom = [], [], []
        for path, obs in self.by_type.get("Observation", []):
            code = _own_code(obs.get("code"), c.CS_OBSERVATION)
            if code == c.EXERCISE_SESSION:
                sessions.append(self.session(path, obs))
            elif code in _ROM_MEASURES:
                rom.append(self.rom(path, obs, _ROM_MEASURES[code]))
        for path, response in self.by_type.get("QuestionnaireResponse", []):
            questionnaires.append(self.questionnaire(path, response))
        flags = [self.flag(path, flag) for path, flag in self.by_type.get("Flag", [])]
        return PatientRecords(
            patient=self.patient(*patients[0]),
            programme=self.programme(*careplans[0]) if careplans else None,
            changes=_changes(*careplans[0]) if careplans else (),
            sessions=tuple(sessions),
            questionnaires=tuple(questionnaires),
            rom=tuple(rom),
            flags=tuple(flags),
        )

    def patient(self, path: str, patient: Json) -> PatientInfo:
        names = patient.get("name") or []
        birth = patient.get("birthDate")
        return PatientInfo(
            id=_identifier(patient, c.ID_PATIENT, path),
            name=str(names[0].get("text", "")) if names else "",
            birth_date=date.fromisoformat(birth) if birth else None,
            time_zone=str(_extension(patient, c.EXT_TIME_ZONE, "valueCode", path)),
        )

    def programme(self, path: str, plan: Json) -> ProgrammeInfo:
        canonical = (plan.get("instantiatesCanonical") or [""])[0]
        if not canonical.startswith(c.PROTOCOL_CANONICAL):
            raise InvalidInput(f"{path}.instantiatesCanonical", "names no spinestep protocol")
        stages = []
        for index, activity in enumerate(plan.get("activity") or []):
            apath = f"{path}.activity[{index}].detail"
            detail = activity.get("detail") or {}
            hold = _extension(detail, c.EXT_HOLD_S, "valueRange", apath)
            repeat = (detail.get("scheduledTiming") or {}).get("repeat") or {}
            code_concept = detail.get("code") or {}
            stage_id = _own_code(code_concept, c.CS_STAGE)
            if stage_id is None:
                raise InvalidInput(f"{apath}.code", "has no spinestep stage code")
            dose = Dose(
                reps=int(_required(detail.get("quantity"), "value", f"{apath}.quantity")),
                hold_s_min=int(hold["low"]["value"]),
                hold_s_max=int(hold["high"]["value"]),
                sessions_per_day=int(_required(repeat, "frequency", f"{apath}.scheduledTiming")),
            )
            stages.append(
                StagePlan(
                    number=int(_extension(detail, c.EXT_STAGE_NUMBER, "valueInteger", apath)),
                    id=stage_id,
                    title=str(detail.get("description", "")),
                    dose=dose,
                    status=_lookup(_STAGE_STATUS, detail.get("status"), f"{apath}.status"),
                )
            )
        direction = _own_code((plan.get("category") or [{}])[0], c.CS_DIRECTION)
        return ProgrammeInfo(
            protocol_id=canonical.removeprefix(c.PROTOCOL_CANONICAL),
            title=str(plan.get("title", "")),
            direction=_lookup({d.value: d for d in Direction}, direction, f"{path}.category"),
            current_stage=int(_extension(plan, c.EXT_CURRENT_STAGE, "valueInteger", path)),
            status=_lookup(_PROGRAMME_STATUS, plan.get("status"), f"{path}.status"),
            started_at=_datetime((plan.get("period") or {}).get("start"), f"{path}.period.start"),
            stages=tuple(stages),
            phase=_lookup(
                {p.value: p for p in Phase},
                _optional_extension(plan, c.EXT_PHASE, "valueCode", Phase.PROGRESSION.value),
                f"{path}.extension.phase",
            ),
            maintenance_sessions_per_day=_maintenance_per_day(plan, path),
        )

    def session(self, path: str, panel: Json) -> SessionEntry:
        parts = _components(panel, path)
        pains: dict[str, int] = {}
        for member in panel.get("hasMember") or []:
            mpath, pain = self.resolve(member, f"{path}.hasMember")
            code = _own_code(pain.get("code"), c.CS_OBSERVATION)
            if code not in c.PAIN_CODES:
                raise InvalidInput(f"{mpath}.code", "is not a pain before/during/after code")
            pains[code] = _int_in(pain.get("valueInteger"), 0, 10, f"{mpath}.valueInteger")
        missing = [code for code in c.PAIN_CODES if code not in pains]
        if missing:
            raise InvalidInput(f"{path}.hasMember", f"lacks {', '.join(missing)}")
        reps = parts.get(c.C_REPS)
        record = SessionRecord(
            at=_datetime(panel.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
            stage=int(_part(parts, c.C_STAGE, "valueInteger", path)),
            effort=_lookup(
                {e.value: e for e in Effort},
                _own_code(_part(parts, c.C_EFFORT, "valueCodeableConcept", path), c.CS_EFFORT),
                f"{path}.component[effort]",
            ),
            pain_before=pains[c.PAIN_BEFORE],
            pain_during=pains[c.PAIN_DURING],
            pain_after=pains[c.PAIN_AFTER],
            location_before=self.location(parts, c.C_LOCATION_BEFORE, path),
            location_after=self.location(parts, c.C_LOCATION_AFTER, path),
            completed=bool(_part(parts, c.C_COMPLETED, "valueBoolean", path)),
            reps=None if reps is None else int(reps["valueInteger"]),
        )
        return SessionEntry(id=_identifier(panel, c.ID_SESSION, path), record=record)

    def location(self, parts: dict[str, Json], key: str, path: str) -> Location:
        code = _own_code(_part(parts, key, "valueCodeableConcept", path), c.CS_LOCATION)
        return _lookup({loc.code: loc for loc in Location}, code, f"{path}.component[{key}]")

    def rom(self, path: str, obs: Json, measure: RomMeasure) -> RomEntry:
        quantity = obs.get("valueQuantity") or {}
        if quantity.get("code") != "deg" or quantity.get("system") != c.UCUM:
            raise InvalidInput(f"{path}.valueQuantity", "must be in UCUM deg")
        return RomEntry(
            id=_identifier(obs, c.ID_ROM, path),
            at=_datetime(obs.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
            stage=int(_part(_components(obs, path), c.C_STAGE, "valueInteger", path)),
            measure=measure,
            rom_deg=Decimal(repr(float(quantity["value"]))),
        )

    def questionnaire(self, path: str, response: Json) -> QuestionnaireEntry:
        canonical = str(response.get("questionnaire", ""))
        name = canonical.removeprefix(c.QUESTIONNAIRE_CANONICAL)
        instrument = _lookup(
            {i.value: i for i in Instrument if i is not Instrument.NPRS},
            name if canonical.startswith(c.QUESTIONNAIRE_CANONICAL) else None,
            f"{path}.questionnaire",
        )
        identifier = response.get("identifier") or {}
        if identifier.get("system") != c.ID_QUESTIONNAIRE or not identifier.get("value"):
            raise InvalidInput(f"{path}.identifier", "has no spinestep identifier")
        return QuestionnaireEntry(
            id=str(identifier["value"]),
            taken_at=_datetime(response.get("authored"), f"{path}.authored"),
            answers=items_to_answers(instrument, response.get("item") or [], path),
        )

    def flag(self, path: str, flag: Json) -> FlagEntry:
        period = flag.get("period") or {}
        code = _own_code(flag.get("code"), c.CS_RED_FLAG)
        if code is None:
            raise InvalidInput(f"{path}.code", "has no spinestep red flag code")
        end = period.get("end")
        return FlagEntry(
            code=code,
            raised_at=_datetime(period.get("start"), f"{path}.period.start"),
            resolved_at=_datetime(end, f"{path}.period.end") if end else None,
        )

    def resolve(self, reference: Json, path: str) -> tuple[str, Json]:
        target = self.by_url.get(str(reference.get("reference")))
        if target is None:
            raise InvalidInput(path, "refers to a resource not in the Bundle")
        return target


def _changes(path: str, plan: Json) -> tuple[ProgrammeChange, ...]:
    """The programme changes kept as CarePlan notes with the ``programme-change`` extension
    (other notes are not spinestep's and are left alone)."""
    changes = []
    for index, note in enumerate(plan.get("note") or []):
        npath = f"{path}.note[{index}]"
        found = [e for e in note.get("extension") or [] if e.get("url") == c.EXT_PROGRAMME_CHANGE]
        if not found:
            continue
        parts = {str(e.get("url")): e for e in found[0].get("extension") or []}
        kind = _lookup(
            {k.value: k for k in ChangeKind},
            _required(parts.get("kind"), "valueCode", f"{npath}.extension[kind]"),
            f"{npath}.extension[kind]",
        )
        reason = _required(parts.get("reason"), "valueString", f"{npath}.extension[reason]")
        has_note = _required(parts.get("has-note"), "valueBoolean", f"{npath}.extension[has-note]")
        text = _required(note, "text", npath)
        changes.append(
            ProgrammeChange(
                at=_datetime(note.get("time"), f"{npath}.time"),
                kind=kind,
                reason=str(reason),
                note=str(text) if has_note else None,
            )
        )
    return tuple(changes)


def _own_code(concept: object, system: str) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if coding.get("system") == system:
            return str(coding.get("code"))
    return None


def _identifier(resource: Json, system: str, path: str) -> str:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == system and identifier.get("value"):
            return str(identifier["value"])
    raise InvalidInput(f"{path}.identifier", "has no spinestep identifier")


def _extension(resource: Json, url: str, key: str, path: str) -> Any:
    for extension in resource.get("extension") or []:
        if extension.get("url") == url and key in extension:
            return extension[key]
    raise InvalidInput(f"{path}.extension", f"lacks {url.rsplit('/', 1)[-1]}")


def _optional_extension(resource: Json, url: str, key: str, default: Any) -> Any:
    for extension in resource.get("extension") or []:
        if extension.get("url") == url and key in extension:
            return extension[key]
    return default


def _maintenance_per_day(plan: Json, path: str) -> int:
    value = _optional_extension(plan, c.EXT_MAINTENANCE_SESSIONS_PER_DAY, "valueInteger", 2)
    if type(value) is not int or not 1 <= value <= 12:
        raise InvalidInput(f"{path}.extension.maintenance-sessions-per-day", "must be 1-12")
    return value


def _components(resource: Json, path: str) -> dict[str, Json]:
    parts: dict[str, Json] = {}
    for component in resource.get("component") or []:
        code = _own_code(component.get("code"), c.CS_COMPONENT)
        if code is not None:
            parts[code] = component
    return parts


def _part(parts: dict[str, Json], key: str, value_key: str, path: str) -> Any:
    return _required(parts.get(key), value_key, f"{path}.component[{key}]")


def _required(container: object, key: str, path: str) -> Any:
    if not isinstance(container, dict) or key not in container:
        raise InvalidInput(path, f"needs {key}")
    return container[key]


def _lookup(table: dict[str, T], key: object, path: str) -> T:
    if not isinstance(key, str) or key not in table:
        raise InvalidInput(path, "has an unknown code")
    return table[key]


def _int_in(value: object, low: int, high: int, path: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(path, f"must be an integer {low}-{high}")
    return value


def _datetime(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(path, "is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(path, "is not a date-time") from None
    if parsed.tzinfo is None:
        raise InvalidInput(path, "needs a time zone offset")
    return parsed
