"""Export one patient's records as a FHIR R4 Bundle.

The Bundle is built as plain JSON data and written without building a model object per
resource: three years of sessions are some 20,000 resources, and checking each against
``fhir.resources``' models took most of a minute. The tests check what this module
writes against the R4B models and the official R4 JSON Schema; an import
(``fhir_read``) still checks what it reads. ``fhir.resources`` 8 has no 4.0.1 models;
its R4B models cover the R4 resources used here (SPEC §7). The Bundle (type
``collection``) holds:

- a Patient (extensions: time zone, local emergency number);
- a CarePlan for the programme, one activity per stage with its dose and status, the
  clinician's settings in extensions (directional preference, outcome measure, PSFS,
  rule settings, run start, pause), and a ``note`` per programme change (pause, resume,
  plan change...) whose text is the clinician's own words when given (extension
  ``programme-change``: kind and reason);
- per session an ``exercise-session`` Observation (stage, completed, reps, effort,
  symptom locations, stopped early) whose ``hasMember`` are three pain Observations
  coded LOINC 72514-3 plus a spinestep code ``pain-before``, ``pain-during`` or
  ``pain-after``, and its measured range of motion when there is one;
- per questionnaire a QuestionnaireResponse and an Observation with its score;
- per measured range of motion an Observation in UCUM ``deg`` (the session's median)
  with every motion metric as components;
- per red flag a Flag (where it was reported; once resolved, what the review found);
- per set of red-flag answers a ``red-flag-screening`` Observation;
- per secure message a Communication (sender and recipient: the Patient, or the care
  team by display; ``topic``: the conversation's subject; ``inResponseTo``: the message
  before it; identifiers: the message's and the conversation's UUIDs). Messages are not
  read back by ``read_bundle``.

Every extension is listed in ``docs/records.md`` (Extensions); export → import → export
gives the same Bundle apart from the ids.

Identity (``docs/records.md``): a resource's id is the random UUID of the stored record
it stands for (a resource that is part of a record, such as a session's pain scores or a
questionnaire's score, gets a UUID derived from the record's UUID and its part), so two
exports of one database give the same ids and two databases never give the same ones.
``Patient.identifier``'s system names the installation (``urn:uuid:<installation>``).
The Bundle itself is a new document each time: a fresh random id per export.
``read_bundle`` in ``fhir_read`` reverses this.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pydantic_core

from spinestep.domain.model import Location
from spinestep.domain.scoring import Instrument
from spinestep.interop import fhir_codes as c
from spinestep.interop import fhir_questionnaires
from spinestep.interop.fhir_answers import answers_to_items, score_observation_value
from spinestep.interop.fhir_narrative import with_narrative
from spinestep.services.record_types import (
    FlagEntry,
    MessageEntry,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    QuestionnaireEntry,
    RomEntry,
    ScreeningEntry,
    SessionEntry,
)

Json = dict[str, Any]


def full_url(record_uuid: str, part: str = "") -> str:
    """The ``urn:uuid`` of the resource standing for a stored record (its random UUID), or
    for a ``part`` of it (a name-based UUID within the record's UUID): stable across
    exports, and never the same in two databases."""
    namespace = _uuid_bytes(record_uuid)
    if not part:
        return f"urn:uuid:{_uuid_text(namespace)}"
    return f"urn:uuid:{_uuid5_text(namespace, part)}"


@lru_cache(maxsize=4096)
def _uuid_bytes(text: str) -> bytes:
    """The 16 bytes of a UUID given as text (any form ``uuid.UUID`` accepts)."""
    return uuid.UUID(text).bytes


def _uuid_text(raw: bytes) -> str:
    hexed = raw.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def _uuid5_text(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(UUID(bytes=namespace), name))`` without building UUID objects (an
    export names some 15,000 parts; the tests compare the two)."""
    digest = bytearray(
        hashlib.sha1(namespace + name.encode("utf-8"), usedforsecurity=False).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return _uuid_text(bytes(digest))


def installation_system(installation_uuid: str) -> str:
    """The identifier system naming one installation: ``urn:uuid:<its UUID>``."""
    return f"urn:uuid:{uuid.UUID(installation_uuid)}"


def fhir_datetime(value: datetime) -> str:
    """An aware datetime as a FHIR dateTime, keeping its own offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("FHIR timestamps need a time zone")
    return value.isoformat()


def coding(system: str, code: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None) -> Json:
    return {"coding": [coding(system, code, display)]}


def build_bundle(records: PatientRecords, generated_at: datetime) -> Json:
    """The Bundle of ``records`` as JSON-ready data (plain dicts, lists, text and numbers)."""
    builder = _Builder(records)
    bundle: Json = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),  # a new document each time
        "type": "collection",
        "timestamp": fhir_datetime(generated_at),
        "entry": [
            {"fullUrl": url, "resource": with_narrative(resource)}
            for url, resource in builder.entries()
        ],
    }
    return bundle


def bundle_bytes(records: PatientRecords, generated_at: datetime) -> bytes:
    """The Bundle as indented JSON in UTF-8, ending with a newline.

    Byte for byte what ``json.dumps(bundle, indent=2, ensure_ascii=False)`` writes (the
    tests compare them), by pydantic's compiled encoder, several times faster.
    """
    with gc_paused():
        return pydantic_core.to_json(build_bundle(records, generated_at), indent=2) + b"\n"


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large export is built.

    A Bundle of three years is some two million small dicts and lists; the collector
    scans them again and again as they are made (two thirds of the build time), yet they
    hold no reference cycles, so reference counting frees them all. Nested and
    concurrent pauses (several threads exporting) are counted: the collector runs again
    when the last one ends, if it ran before the first.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def bundle_json(records: PatientRecords, generated_at: datetime) -> str:
    """The Bundle as indented JSON text."""
    return bundle_bytes(records, generated_at).decode("utf-8")


class _Builder:
    def __init__(self, records: PatientRecords) -> None:
        self.records = records
        self.pid = records.patient.id
        self.patient_url = full_url(records.patient.uuid)
        programme = records.programme
        self.careplan_url = full_url(programme.uuid) if programme else self.url("CarePlan", "")
        self.rom_of_session = {entry.id: entry for entry in records.rom}

    def url(self, kind: str, local_id: str) -> str:
        """A resource that stands for no stored record of its own: named within the
        patient's random UUID, so still stable and never the same in two databases."""
        return full_url(self.records.patient.uuid, f"{kind}/{local_id}")

    def entries(self) -> list[tuple[str, Json]]:
        out = [(self.patient_url, self.patient())]
        if self.records.programme is not None:
            out.append((self.careplan_url, self.careplan(self.records.programme)))
        for session in self.records.sessions:
            out.extend(self.session(session))
        instruments = dict.fromkeys(entry.instrument for entry in self.records.questionnaires)
        out.extend(self.questionnaire_definition(instrument) for instrument in instruments)
        for entry in self.records.questionnaires:
            out.extend(self.questionnaire(entry))
        out.extend(self.rom(entry) for entry in self.records.rom)
        out.extend(self.flag(index, entry) for index, entry in enumerate(self.records.flags))
        out.extend(self.screening(entry) for entry in self.records.screenings)
        out.extend(self.communication(entry) for entry in self.records.messages)
        return out

    def resource(self, resource_type: str, url: str, **fields: Any) -> Json:
        return {"resourceType": resource_type, "id": url.removeprefix("urn:uuid:"), **fields}

    def subject(self) -> Json:
        return {"reference": self.patient_url}

    def patient(self) -> Json:
        info = self.records.patient
        extra: Json = {}
        if info.name:
            extra["name"] = [{"text": info.name}]
        if info.birth_date is not None:
            extra["birthDate"] = info.birth_date.isoformat()
        return self.resource(
            "Patient",
            self.patient_url,
            extension=[
                {"url": c.EXT_TIME_ZONE, "valueCode": info.time_zone},
                {"url": c.EXT_EMERGENCY_NUMBER, "valueCode": info.emergency_number.value},
            ],
            identifier=[
                {"system": installation_system(self.records.installation), "value": info.uuid}
            ],
            active=True,
            **extra,
        )

    def careplan(self, programme: ProgrammeInfo) -> Json:
        activities = []
        for stage in programme.stages:
            dose = stage.dose
            detail: Json = {
                "extension": [
                    {"url": c.EXT_STAGE_NUMBER, "valueInteger": stage.number},
                    {
                        "url": c.EXT_HOLD_S,
                        "valueRange": {
                            "low": _seconds(dose.hold_s_min),
                            "high": _seconds(dose.hold_s_max),
                        },
                    },
                ],
                "code": concept(c.CS_STAGE, stage.id, stage.title),
                "status": c.STAGE_STATUS_TO_FHIR[stage.status.value],
                "scheduledTiming": {
                    "repeat": {"frequency": dose.sessions_per_day, "period": 1, "periodUnit": "d"}
                },
                "quantity": {
                    "value": dose.reps,
                    "unit": "repetitions",
                    "system": c.UCUM,
                    "code": "{repetitions}",
                },
                "description": stage.title,
            }
            activities.append({"detail": detail})
        return self.resource(
            "CarePlan",
            self.careplan_url,
            extension=[
                {"url": c.EXT_CURRENT_STAGE, "valueInteger": programme.current_stage},
                {"url": c.EXT_PHASE, "valueCode": programme.phase.value},
                {
                    "url": c.EXT_MAINTENANCE_SESSIONS_PER_DAY,
                    "valueInteger": programme.maintenance_sessions_per_day,
                },
                *_programme_extensions(programme),
            ],
            identifier=[{"system": c.ID_PROGRAMME, "value": programme.uuid}],
            instantiatesCanonical=[c.PROTOCOL_CANONICAL + programme.protocol_id],
            status=c.PROGRAMME_STATUS_TO_FHIR[programme.status.value],
            intent="plan",
            category=[
                concept(
                    c.CS_DIRECTION,
                    programme.direction.value,
                    c.own_display(programme.direction.value),
                )
            ],
            title=programme.title,
            subject=self.subject(),
            period={"start": fhir_datetime(programme.started_at)},
            activity=activities,
            **(
                {"note": [_change_note(c) for c in self.records.changes]}
                if self.records.changes
                else {}
            ),
        )

    def observation(self, url: str, code: Json, at: datetime, **fields: Any) -> Json:
        return self.resource(
            "Observation",
            url,
            status="final",
            code=code,
            subject=self.subject(),
            effectiveDateTime=fhir_datetime(at),
            **fields,
        )

    def session(self, entry: SessionEntry) -> list[tuple[str, Json]]:
        record = entry.record
        pains = zip(
            c.PAIN_CODES, (record.pain_before, record.pain_during, record.pain_after), strict=True
        )
        pain_entries = []
        for code, value in pains:
            url = full_url(entry.uuid, code)
            pain_code = {
                "coding": [
                    coding(c.LOINC, c.LOINC_PAIN_SEVERITY, c.LOINC_PAIN_SEVERITY_DISPLAY),
                    coding(c.CS_OBSERVATION, code, c.OBSERVATION_DISPLAYS[code]),
                ]
            }
            where = _PAIN_LOCATION.get(code)
            site = _body_site(getattr(record, where)) if where else None
            pain = self.observation(
                url,
                pain_code,
                record.at,
                identifier=[{"system": c.ID_SESSION, "value": f"{entry.uuid}/{code}"}],
                category=[_category("survey")],
                **({"bodySite": site} if site else {}),
                valueInteger=value,
            )
            pain_entries.append((url, pain))
        components = [
            _component(c.C_STAGE, valueInteger=record.stage),
            _component(c.C_COMPLETED, valueBoolean=record.completed),
            _component(
                c.C_EFFORT,
                valueCodeableConcept=concept(
                    c.CS_EFFORT, record.effort.value, c.own_display(record.effort.value)
                ),
            ),
            _component(c.C_LOCATION_BEFORE, valueCodeableConcept=_location(record.location_before)),
            _component(c.C_LOCATION_AFTER, valueCodeableConcept=_location(record.location_after)),
        ]
        if record.reps is not None:
            components.append(_component(c.C_REPS, valueInteger=record.reps))
        components.append(_component(c.C_STOPPED_EARLY, valueBoolean=entry.stopped_early))
        members = [url for url, _ in pain_entries]
        measured = self.rom_of_session.get(entry.id)
        if measured is not None:
            members.append(full_url(measured.uuid, "rom"))
        panel_url = full_url(entry.uuid)
        panel = self.observation(
            panel_url,
            concept(
                c.CS_OBSERVATION, c.EXERCISE_SESSION, c.OBSERVATION_DISPLAYS[c.EXERCISE_SESSION]
            ),
            record.at,
            identifier=[{"system": c.ID_SESSION, "value": entry.uuid}],
            category=[_category("activity")],
            basedOn=[{"reference": self.careplan_url}] if self.records.programme else None,
            hasMember=[{"reference": url} for url in members],
            component=components,
        )
        if panel["basedOn"] is None:
            del panel["basedOn"]
        return [(panel_url, panel), *pain_entries]

    def questionnaire(self, entry: QuestionnaireEntry) -> list[tuple[str, Json]]:
        instrument: Instrument = entry.instrument
        response_url = full_url(entry.uuid)
        response = self.resource(
            "QuestionnaireResponse",
            response_url,
            identifier={"system": c.ID_QUESTIONNAIRE, "value": entry.uuid},
            questionnaire=fhir_questionnaires.canonical(instrument),
            status="completed",
            subject=self.subject(),
            authored=fhir_datetime(entry.taken_at),
            item=answers_to_items(entry.answers),
        )
        score_url = full_url(entry.uuid, "score")
        score = self.observation(
            score_url,
            _score_code(instrument),
            entry.taken_at,
            identifier=[{"system": c.ID_QUESTIONNAIRE, "value": entry.uuid}],
            category=[_category("survey")],
            derivedFrom=[{"reference": response_url}],
            **score_observation_value(entry.answers),
        )
        return [(response_url, response), (score_url, score)]

    def questionnaire_definition(self, instrument: Instrument) -> tuple[str, Json]:
        """The Questionnaire the responses of ``instrument`` answer, once per Bundle."""
        url = self.url("Questionnaire", instrument.value)
        resource_id = url.removeprefix("urn:uuid:")
        return url, fhir_questionnaires.questionnaire(instrument, resource_id)

    def rom(self, entry: RomEntry) -> tuple[str, Json]:
        url = full_url(entry.uuid, "rom")
        code = c.ROM_CODES[entry.measure.value]
        return url, self.observation(
            url,
            concept(c.CS_OBSERVATION, code, c.OBSERVATION_DISPLAYS[code]),
            entry.at,
            identifier=[{"system": c.ID_ROM, "value": entry.uuid}],
            category=[_category("exam")],
            valueQuantity=_degrees(entry.rom_deg),
            component=[
                _component(c.C_STAGE, valueInteger=entry.stage),
                *_motion_components(entry),
            ],
        )

    def flag(self, index: int, entry: FlagEntry) -> tuple[str, Json]:
        url = full_url(entry.uuid)
        period: Json = {"start": fhir_datetime(entry.raised_at)}
        if entry.resolved_at is not None:
            period["end"] = fhir_datetime(entry.resolved_at)
        extensions: list[Json] = [{"url": c.EXT_RED_FLAG_SOURCE, "valueCode": entry.source.value}]
        if entry.resolved_at is not None:
            resolution: list[Json] = [{"url": "by-patient", "valueBoolean": entry.resolved_by_self}]
            if entry.outcome is not None:
                resolution.insert(0, {"url": "outcome", "valueString": entry.outcome})
            extensions.append({"url": c.EXT_FLAG_RESOLUTION, "extension": resolution})
        return url, self.resource(
            "Flag",
            url,
            extension=extensions,
            identifier=[{"system": c.ID_FLAG, "value": entry.uuid}],
            status="inactive" if entry.resolved_at is not None else "active",
            code=concept(c.CS_RED_FLAG, entry.code, c.own_display(entry.code)),
            subject=self.subject(),
            period=period,
        )

    def communication(self, entry: MessageEntry) -> tuple[str, Json]:
        """A secure message: its text, its conversation's subject, and who wrote it (the
        patient, or their care team)."""
        url = full_url(entry.uuid)
        patient = self.subject()
        care_team: Json = {"display": "care team"}
        extra: Json = {}
        if entry.in_reply_to is not None:
            extra["inResponseTo"] = [{"reference": full_url(entry.in_reply_to)}]
        return url, self.resource(
            "Communication",
            url,
            identifier=[
                {"system": c.ID_MESSAGE, "value": entry.uuid},
                {"system": c.ID_MESSAGE_THREAD, "value": entry.thread_uuid},
            ],
            status="completed",
            subject=patient,
            topic={"text": entry.subject},
            sent=fhir_datetime(entry.sent_at),
            sender=patient if entry.from_patient else care_team,
            recipient=[care_team if entry.from_patient else patient],
            payload=[{"contentString": entry.text}],
            **extra,
        )

    def screening(self, entry: ScreeningEntry) -> tuple[str, Json]:
        """A set of red-flag answers: one component per question asked, true for a yes."""
        url = full_url(entry.uuid)
        return url, self.observation(
            url,
            concept(
                c.CS_OBSERVATION,
                c.RED_FLAG_SCREENING,
                c.OBSERVATION_DISPLAYS[c.RED_FLAG_SCREENING],
            ),
            entry.at,
            extension=[{"url": c.EXT_RED_FLAG_SOURCE, "valueCode": entry.source.value}],
            category=[_category("survey")],
            component=[
                {"code": concept(c.CS_RED_FLAG, code, c.own_display(code)), "valueBoolean": yes}
                for code, yes in entry.answers
            ],
        )


def _programme_extensions(programme: ProgrammeInfo) -> list[Json]:
    """The clinician's settings of the programme that no CarePlan element holds."""
    settings = [
        ("progress-after-sessions", programme.progress_after_sessions),
        ("min-days-at-stage", programme.min_days_at_stage),
        ("worsening-points", programme.worsening_points),
        ("progress-max-pain", programme.progress_max_pain),
    ]
    out: list[Json] = [
        {"url": c.EXT_DIRECTIONAL_PREFERENCE, "valueCode": programme.directional_preference.value},
        {"url": c.EXT_OUTCOME_MEASURE, "valueCode": programme.outcome_measure.value},
        {"url": c.EXT_PSFS_ENABLED, "valueBoolean": programme.psfs_enabled},
        {
            "url": c.EXT_RULE_SETTINGS,
            "extension": [
                *({"url": name, "valueInteger": value} for name, value in settings),
                {"url": "progress-max-location", "valueCode": programme.progress_max_location.code},
            ],
        },
    ]
    if programme.run_since is not None:
        out.append({"url": c.EXT_RUN_SINCE, "valueDateTime": fhir_datetime(programme.run_since)})
    pause: list[Json] = []
    if programme.paused_at is not None:
        pause.append({"url": "at", "valueDateTime": fhir_datetime(programme.paused_at)})
    if programme.paused_reason is not None:
        pause.append({"url": "reason", "valueString": programme.paused_reason})
    if pause:
        out.append({"url": c.EXT_PAUSE, "extension": pause})
    return out


def _motion_components(entry: RomEntry) -> list[Json]:
    """The motion metrics of SPEC §6 beside the median ROM (one ``rep-rom`` per rep, in order)."""
    metrics = entry.metrics
    if metrics is None:
        return []
    out = [
        _component(
            c.C_MOTION_EXERCISE,
            valueCodeableConcept=concept(
                c.CS_STAGE, metrics.exercise, c.own_display(metrics.exercise)
            ),
        ),
        _component(c.C_MOTION_REPS, valueInteger=metrics.reps),
        _component(c.C_HELD_COUNT, valueInteger=metrics.held_count),
        *(_component(c.C_REP_ROM, valueQuantity=_degrees(value)) for value in metrics.rep_rom_deg),
        _component(c.C_DETECTED_FRACTION, valueQuantity=_percent(metrics.detected_fraction)),
        _component(c.C_SIDE_VIEW, valueBoolean=metrics.side_view),
    ]
    if metrics.visibility_mean is not None:
        out.append(_component(c.C_VISIBILITY_MEAN, valueQuantity=_percent(metrics.visibility_mean)))
    return out


def _percent(fraction: Decimal) -> Json:
    """A fraction 0-1 (2 decimals, as stored) as a UCUM percentage."""
    return {"value": float(fraction * 100), "unit": "%", "system": c.UCUM, "code": "%"}


def _change_note(change: ProgrammeChange) -> Json:
    """A programme change as a CarePlan Annotation (see ``fhir_codes.EXT_PROGRAMME_CHANGE``)."""
    return {
        "extension": [
            {
                "url": c.EXT_PROGRAMME_CHANGE,
                "extension": [
                    {"url": "kind", "valueCode": change.kind.value},
                    {"url": "reason", "valueString": change.reason},
                    {"url": "has-note", "valueBoolean": change.note is not None},
                ],
            }
        ],
        "time": fhir_datetime(change.at),
        "text": change.reason if change.note is None else change.note,
    }


def _component(code: str, **value: Any) -> Json:
    return {"code": concept(c.CS_COMPONENT, code, c.COMPONENT_DISPLAYS[code]), **value}


_PAIN_LOCATION = {c.PAIN_BEFORE: "location_before", c.PAIN_AFTER: "location_after"}
"""Where the symptoms reached when each pain score was taken (none is asked during)."""


def _body_site(location: Location) -> Json | None:
    """The SNOMED CT body site of a symptom location (None for ``none``)."""
    if location.code not in c.LOCATION_BODY_SITES:
        return None
    code, display = c.LOCATION_BODY_SITES[location.code]
    return {
        "coding": [coding(c.SNOMED, code, display)],
        "text": c.LOCATION_DISPLAYS[location.code],
    }


def _location(location: Location) -> Json:
    """A symptom location: spinestep's code first, then its SNOMED CT body site."""
    codings = [coding(c.CS_LOCATION, location.code, c.LOCATION_DISPLAYS[location.code])]
    if location.code in c.LOCATION_BODY_SITES:
        codings.append(coding(c.SNOMED, *c.LOCATION_BODY_SITES[location.code]))
    return {"coding": codings}


def _category(code: str) -> Json:
    return concept(c.OBSERVATION_CATEGORY, code, c.CATEGORY_DISPLAYS[code])


def _score_code(instrument: Instrument) -> Json:
    """LOINC's code for the score where LOINC has one, then spinestep's code."""
    own = c.SCORE_CODES[instrument.value]
    loinc = {Instrument.ODI: c.LOINC_ODI_SCORE, Instrument.STARTBACK: c.LOINC_STARTBACK_TOTAL}
    codings = [coding(c.LOINC, *loinc[instrument])] if instrument in loinc else []
    codings.append(coding(c.CS_OBSERVATION, own, c.OBSERVATION_DISPLAYS[own]))
    return {"coding": codings}


def _seconds(value: int) -> Json:
    return {"value": value, "unit": "s", "system": c.UCUM, "code": "s"}


def _degrees(value: Decimal) -> Json:
    return {"value": float(value), "unit": "deg", "system": c.UCUM, "code": "deg"}
