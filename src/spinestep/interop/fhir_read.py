"""Read a Bundle written by ``spinestep export fhir`` back into ``PatientRecords``.

The Bundle is read as a stream (``ijson``), one entry at a time, so a large file never
sits in memory as one JSON tree: at most ``MAX_BUNDLE_BYTES`` are read and at most
``MAX_BUNDLE_ENTRIES`` entries kept, each turned at once into the small record it stands
for. Each entry's resource is validated with its R4B model, its status checked against
the R4 value set of its type (and only statuses of records that stand are imported: no
``entered-in-error``), and its values against what live entry accepts
(``services.import_checks``: instants, time zone, name, pain, reps, stage, red flag
codes, questionnaire answers, motion metrics, screening answers). Two entries with one
``fullUrl``, two sessions at one instant and any ``start``/``end`` pair (a Period,
wherever it sits) ending before it starts are refused. Anything wrong raises
``InvalidInput`` naming the entry and the field (``entry[3].resource.status: ...``);
nothing is returned then, so an importer stores the whole file or nothing.

A Bundle carries no decisions: the rules decide again from the imported sessions.

Ids are never trusted across installations: the records returned carry fresh UUIDs (their
dataclass defaults), so an importer stores new records under new UUIDs; the Bundle's ids
and identifiers serve only to tie its entries together (pain scores by their ``fullUrl``,
a measured range to its session by the session's identifier). The source Patient's
identifier is read into ``PatientInfo.id`` for messages and is not stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any, TypeVar

import ijson  # type: ignore[import-untyped]  # no type stubs
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from spinestep.domain.model import (
    Direction,
    DirectionalPreference,
    Dose,
    Effort,
    EmergencyNumber,
    Location,
    Phase,
    SessionRecord,
)
from spinestep.domain.scoring import Instrument
from spinestep.errors import InvalidInput
from spinestep.interop import fhir_codes as c
from spinestep.interop.fhir_answers import items_to_answers
from spinestep.interop.limited import LimitedReader
from spinestep.protocols import builtin_ids, load_builtin
from spinestep.services.import_checks import (
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_ENTRIES,
    InstantsSeen,
    check_change,
    check_flag,
    check_patient,
    check_programme,
    check_questionnaire,
    check_rom,
    check_screening,
    check_session,
)
from spinestep.services.motion_metrics import check_motion_metrics
from spinestep.services.questionnaire_scores import taken_first
from spinestep.services.record_types import (
    ChangeKind,
    FlagEntry,
    MotionMetrics,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    ProgrammeStatus,
    QuestionnaireEntry,
    RomEntry,
    RomMeasure,
    ScreeningEntry,
    SessionEntry,
    StagePlan,
    StageStatus,
)
from spinestep.services.records import FlagSource, OutcomeMeasure

Json = dict[str, Any]
T = TypeVar("T")

_PROGRAMME_STATUS = {v: ProgrammeStatus(k) for k, v in c.PROGRAMME_STATUS_TO_FHIR.items()}
_STAGE_STATUS = {v: StageStatus(k) for k, v in c.STAGE_STATUS_TO_FHIR.items()}
_ROM_MEASURES = {v: RomMeasure(k) for k, v in c.ROM_CODES.items()}

#: The R4 value sets of the statuses read (``null`` means the code is valid FHIR but
#: names a record that does not stand, so it is not imported).
_STATUSES: dict[str, dict[str, bool]] = {
    "Observation": {
        "registered": False,
        "preliminary": False,
        "final": True,
        "amended": True,
        "corrected": True,
        "cancelled": False,
        "entered-in-error": False,
        "unknown": False,
    },
    "QuestionnaireResponse": {
        "in-progress": False,
        "completed": True,
        "amended": True,
        "entered-in-error": False,
        "stopped": False,
    },
    "Flag": {"active": True, "inactive": True, "entered-in-error": False},
    "CarePlan": {
        "draft": False,
        "active": True,
        "on-hold": True,
        "revoked": True,
        "completed": True,
        "entered-in-error": False,
        "unknown": False,
    },
}
_BUNDLE_TYPES = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)
_SHELL_KEYS = frozenset({"resourceType", "id", "type", "timestamp"})


def read_bundle_text(text: str, now: datetime | None = None) -> PatientRecords:
    return read_bundle_stream(io.BytesIO(text.encode("utf-8")), now)


def read_bundle(data: object, now: datetime | None = None) -> PatientRecords:
    """The records in a spinestep Bundle (as parsed JSON)."""
    if not isinstance(data, dict):
        raise InvalidInput("bundle", "is not a FHIR Bundle")
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidInput("bundle.entry", "must be a list")
    shell = {k: v for k, v in data.items() if k in _SHELL_KEYS}
    unknown = sorted(set(data) - _SHELL_KEYS - {"entry"})
    return _read(shell, unknown, entries, now or datetime.now(UTC), MAX_BUNDLE_ENTRIES)


def read_bundle_stream(
    stream: IO[bytes],
    now: datetime | None = None,
    *,
    max_bytes: int = MAX_BUNDLE_BYTES,
    max_entries: int = MAX_BUNDLE_ENTRIES,
) -> PatientRecords:
    """The records of the Bundle in ``stream``, read entry by entry within the limits."""
    limited = LimitedReader(stream, max_bytes, "bundle")
    shell: Json = {}
    unknown: list[str] = []
    try:
        return _read(
            shell, unknown, _entries(limited, shell, unknown), now or datetime.now(UTC), max_entries
        )
    except ijson.JSONError:
        raise InvalidInput("bundle", "is not JSON (or is cut short)") from None
    except UnicodeDecodeError:
        raise InvalidInput("bundle", "is not UTF-8 text") from None


def _entries(stream: LimitedReader, shell: Json, unknown: list[str]) -> Iterable[object]:
    """The entries of the Bundle one by one; its top-level values land in ``shell``."""
    builder: Any = None
    for prefix, event, value in ijson.parse(stream):
        if builder is not None:
            builder.event(event, value)
            if prefix == "entry.item" and event == "end_map":
                yield builder.value
                builder = None
        elif prefix == "entry.item":
            if event != "start_map":
                yield value
                continue
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
        elif prefix == "" and event == "map_key" and value not in _SHELL_KEYS and value != "entry":
            unknown.append(str(value))
        elif prefix in _SHELL_KEYS and event in ("string", "number", "boolean", "null"):
            shell[prefix] = value
        elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
            raise InvalidInput("bundle", "is not a FHIR Bundle")
        elif prefix == "entry" and event not in ("start_array", "end_array"):
            raise InvalidInput("bundle.entry", "must be a list")


def _read(
    shell: Json, unknown: list[str], entries: Iterable[object], now: datetime, max_entries: int
) -> PatientRecords:
    reader = _Reader(now)
    for index, entry in enumerate(entries):
        if index >= max_entries:
            raise InvalidInput("bundle.entry", f"holds more than {max_entries} entries")
        if shell.get("resourceType") not in (None, "Bundle"):
            raise InvalidInput("bundle", "is not a FHIR Bundle")
        reader.add(index, entry)
    if shell.get("resourceType") != "Bundle":
        raise InvalidInput("bundle", "is not a FHIR Bundle")
    if unknown:
        raise InvalidInput(f"bundle.{unknown[0]}", "is not a field spinestep reads")
    if shell.get("type") not in _BUNDLE_TYPES:
        raise InvalidInput("bundle.type", "is not a Bundle type of FHIR R4")
    try:
        Bundle.model_validate(shell)
    except ValidationError as error:
        raise _invalid("bundle", error) from None
    return reader.records()


def _invalid(path: str, error: ValidationError) -> InvalidInput:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return InvalidInput(f"{path}.{where}" if where else path, "is not valid FHIR R4")


class _Session:
    """A session panel waiting for its three pain scores (entries of their own)."""

    __slots__ = ("at", "identifier", "members", "parts", "path")

    def __init__(self, path: str, panel: Json, reader: _Reader) -> None:
        self.path = path
        self.parts = _components(panel, path)
        self.identifier = _identifier(panel, c.ID_SESSION, path)
        self.at = _datetime(panel.get("effectiveDateTime"), f"{path}.effectiveDateTime")
        self.members = [
            (f"{path}.hasMember[{i}]", str((m or {}).get("reference")))
            for i, m in enumerate(panel.get("hasMember") or [])
        ]


class _Reader:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.urls: set[str] = set()
        self.patients: list[tuple[str, Json]] = []
        self.careplans: list[tuple[str, Json]] = []
        self.panels: list[_Session] = []
        self.pains: dict[str, tuple[str, str | None, object]] = {}
        self.questionnaires: list[QuestionnaireEntry] = []
        self.rom: list[RomEntry] = []
        self.rom_urls: dict[str, int] = {}
        self.flags: list[FlagEntry] = []
        self.screenings: list[ScreeningEntry] = []
        self.outcome_stated = True

    def add(self, index: int, entry: object) -> None:
        path = f"entry[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInput(path, "must be an object")
        url = entry.get("fullUrl")
        if url is not None:
            if not isinstance(url, str):
                raise InvalidInput(f"{path}.fullUrl", "must be a string")
            if url in self.urls:
                raise InvalidInput(f"{path}.fullUrl", "is the fullUrl of an earlier entry")
            self.urls.add(url)
        resource = entry.get("resource")
        path = f"{path}.resource"
        if not isinstance(resource, dict):
            raise InvalidInput(path, "is missing")
        kind = resource.get("resourceType")
        try:
            get_fhir_model_class(str(kind)).model_validate(resource)
        except KeyError:
            raise InvalidInput(f"{path}.resourceType", "is not a FHIR R4 resource") from None
        except (ValidationError, ValueError) as error:
            if isinstance(error, ValidationError):
                raise _invalid(path, error) from None
            raise InvalidInput(path, "is not valid FHIR R4") from None
        _check_periods(resource, path)
        self.read(str(kind), path, resource, url)

    def read(self, kind: str, path: str, resource: Json, url: str | None) -> None:
        if kind in _STATUSES:
            _check_status(kind, resource, path)
        if kind == "Patient":
            self.patients.append((path, resource))
        elif kind == "CarePlan":
            self.careplans.append((path, resource))
        elif kind == "Observation":
            code = _own_code(resource.get("code"), c.CS_OBSERVATION)
            if code == c.EXERCISE_SESSION:
                self.panels.append(_Session(path, resource, self))
            elif code in c.PAIN_CODES and url is not None:
                self.pains[url] = (path, code, resource.get("valueInteger"))
            elif code in _ROM_MEASURES:
                if url is not None:
                    self.rom_urls[url] = len(self.rom)
                self.rom.append(
                    check_rom(self.rom_entry(path, resource, _ROM_MEASURES[code]), path, self.now)
                )
            elif code == c.RED_FLAG_SCREENING:
                self.screenings.append(self.screening(path, resource))
        elif kind == "QuestionnaireResponse":
            self.questionnaires.append(
                check_questionnaire(self.questionnaire(path, resource), path, self.now)
            )
        elif kind == "Flag":
            self.flags.append(check_flag(self.flag(path, resource), path, self.now))

    def records(self) -> PatientRecords:
        if len(self.patients) != 1:
            raise InvalidInput("bundle.entry", "must hold exactly one Patient")
        if len(self.careplans) > 1:
            raise InvalidInput("bundle.entry", "holds more than one CarePlan")
        patient = check_patient(self.patient(*self.patients[0]), self.patients[0][0])
        programme = None
        changes: tuple[ProgrammeChange, ...] = ()
        final_stage = None
        if self.careplans:
            path, plan = self.careplans[0]
            programme = check_programme(self.programme(path, plan), path, self.now)
            changes = tuple(
                check_change(change, f"{path}.note[{i}]", self.now)
                for i, change in enumerate(_changes(path, plan))
            )
            final_stage = _final_stage(programme, path)
            if not self.outcome_stated and taken_first(self.questionnaires) is Instrument.RMDQ:
                # A Bundle from before the choice was exported: keep the measure followed.
                programme = replace(programme, outcome_measure=OutcomeMeasure.RMDQ)
        seen = InstantsSeen("session")
        sessions = []
        for panel in self.panels:
            entry = check_session(self.session(panel), panel.path, self.now, final_stage)
            seen.add(entry.record.at, f"{panel.path}.effectiveDateTime")
            sessions.append(entry)
        return PatientRecords(
            patient=patient,
            programme=programme,
            changes=changes,
            sessions=tuple(sessions),
            questionnaires=tuple(self.questionnaires),
            rom=tuple(self.rom),
            flags=tuple(self.flags),
            screenings=tuple(self.screenings),
        )

    def patient(self, path: str, patient: Json) -> PatientInfo:
        names = patient.get("name") or []
        birth = patient.get("birthDate")
        return PatientInfo(
            id=_patient_identifier(patient, path),
            name=str(names[0].get("text", "")) if names else "",
            birth_date=date.fromisoformat(birth) if birth else None,
            time_zone=str(_extension(patient, c.EXT_TIME_ZONE, "valueCode", path)),
            # Absent in Bundles made before it was exported: the app's default.
            emergency_number=_lookup(
                {n.value: n for n in EmergencyNumber},
                _optional_extension(
                    patient, c.EXT_EMERGENCY_NUMBER, "valueCode", EmergencyNumber.EU.value
                ),
                f"{path}.extension.emergency-number",
            ),
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
            **self.programme_settings(path, plan),
        )

    def programme_settings(self, path: str, plan: Json) -> dict[str, Any]:
        """The settings kept in spinestep's CarePlan extensions (defaults when absent)."""
        out: dict[str, Any] = {
            "directional_preference": _lookup(
                {d.value: d for d in DirectionalPreference},
                _optional_extension(
                    plan, c.EXT_DIRECTIONAL_PREFERENCE, "valueCode", DirectionalPreference.UNKNOWN
                ),
                f"{path}.extension.directional-preference",
            ),
            "psfs_enabled": _boolean(
                _optional_extension(plan, c.EXT_PSFS_ENABLED, "valueBoolean", False),
                f"{path}.extension.psfs-enabled",
            ),
        }
        measure = _optional_extension(plan, c.EXT_OUTCOME_MEASURE, "valueCode", None)
        self.outcome_stated = measure is not None
        out["outcome_measure"] = _lookup(
            {m.value: m for m in OutcomeMeasure},
            OutcomeMeasure.ODI.value if measure is None else measure,
            f"{path}.extension.outcome-measure",
        )
        since = _optional_extension(plan, c.EXT_RUN_SINCE, "valueDateTime", None)
        if since is not None:
            out["run_since"] = _datetime(since, f"{path}.extension.run-since")
        pause = _sub_extensions(plan, c.EXT_PAUSE)
        if "at" in pause:
            out["paused_at"] = _datetime(
                pause["at"].get("valueDateTime"), f"{path}.extension.pause.at"
            )
        if "reason" in pause:
            reason = pause["reason"].get("valueString")
            if not isinstance(reason, str):
                raise InvalidInput(f"{path}.extension.pause.reason", "needs valueString")
            out["paused_reason"] = reason
        settings = _sub_extensions(plan, c.EXT_RULE_SETTINGS)
        for name, low, high in _SETTINGS:
            if name in settings:
                out[name.replace("-", "_")] = _int_in(
                    settings[name].get("valueInteger"),
                    low,
                    high,
                    f"{path}.extension.rule-settings.{name}",
                )
        if "progress-max-location" in settings:
            out["progress_max_location"] = _lookup(
                {loc.code: loc for loc in Location},
                settings["progress-max-location"].get("valueCode"),
                f"{path}.extension.rule-settings.progress-max-location",
            )
        return out

    def session(self, panel: _Session) -> SessionEntry:
        path = panel.path
        pains: dict[str, int] = {}
        for mpath, url in panel.members:
            if url in self.rom_urls:
                self.link_rom(self.rom_urls.pop(url), panel.identifier)
                continue
            target = self.pains.get(url)
            if target is None:
                raise InvalidInput(mpath, "refers to no pain score in the Bundle")
            pain_path, code, value = target
            if code is None or code in pains:
                raise InvalidInput(mpath, "refers to a pain score of another session")
            pains[code] = _int_in(value, 0, 10, f"{pain_path}.valueInteger")
            self.pains[url] = (pain_path, None, value)
        missing = [code for code in c.PAIN_CODES if code not in pains]
        if missing:
            raise InvalidInput(f"{path}.hasMember", f"lacks {', '.join(missing)}")
        parts = panel.parts
        reps = parts.get(c.C_REPS)
        stopped = parts.get(c.C_STOPPED_EARLY)
        record = SessionRecord(
            at=panel.at,
            stage=_int_in(
                _part(parts, c.C_STAGE, "valueInteger", path), 1, 99, f"{path}.component[stage]"
            ),
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
            completed=_boolean(
                _part(parts, c.C_COMPLETED, "valueBoolean", path), f"{path}.component[completed]"
            ),
            reps=None
            if reps is None
            else _int_in(reps.get("valueInteger"), 0, 1000, f"{path}.component[reps]"),
        )
        stopped_early = stopped is not None and _boolean(
            stopped.get("valueBoolean"), f"{path}.component[stopped-early]"
        )
        if stopped_early and record.completed:
            raise InvalidInput(
                f"{path}.component[stopped-early]", "a session stopped early is not completed"
            )
        return SessionEntry(id=panel.identifier, record=record, stopped_early=stopped_early)

    def link_rom(self, index: int, session_id: str) -> None:
        """Tie a measured range of motion to the session whose ``hasMember`` names it."""
        self.rom[index] = replace(self.rom[index], id=session_id)

    def location(self, parts: dict[str, Json], key: str, path: str) -> Location:
        code = _own_code(_part(parts, key, "valueCodeableConcept", path), c.CS_LOCATION)
        return _lookup({loc.code: loc for loc in Location}, code, f"{path}.component[{key}]")

    def rom_entry(self, path: str, obs: Json, measure: RomMeasure) -> RomEntry:
        quantity = obs.get("valueQuantity") or {}
        if quantity.get("code") != "deg" or quantity.get("system") != c.UCUM:
            raise InvalidInput(f"{path}.valueQuantity", "must be in UCUM deg")
        return RomEntry(
            id=_identifier(obs, c.ID_ROM, path),
            at=_datetime(obs.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
            stage=_int_in(
                _part(_components(obs, path), c.C_STAGE, "valueInteger", path),
                1,
                99,
                f"{path}.component[stage]",
            ),
            measure=measure,
            rom_deg=Decimal(repr(float(quantity["value"]))),
            metrics=_motion_metrics(obs, path, measure, Decimal(repr(float(quantity["value"])))),
        )

    def screening(self, path: str, obs: Json) -> ScreeningEntry:
        answers = []
        for index, component in enumerate(obs.get("component") or []):
            cpath = f"{path}.component[{index}]"
            code = _own_code(component.get("code"), c.CS_RED_FLAG)
            if code is None:
                raise InvalidInput(f"{cpath}.code", "has no spinestep red flag code")
            answers.append((code, _boolean(component.get("valueBoolean"), f"{cpath}.valueBoolean")))
        entry = ScreeningEntry(
            at=_datetime(obs.get("effectiveDateTime"), f"{path}.effectiveDateTime"),
            source=_flag_source(obs, path),
            answers=tuple(answers),
        )
        return check_screening(entry, path, self.now)

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
        if (flag.get("status") == "inactive") != bool(end):
            raise InvalidInput(
                f"{path}.status", "must be inactive exactly when period.end is given"
            )
        resolution = _sub_extensions(flag, c.EXT_FLAG_RESOLUTION)
        outcome = (resolution.get("outcome") or {}).get("valueString")
        if outcome is not None and not isinstance(outcome, str):
            raise InvalidInput(f"{path}.extension.flag-resolution.outcome", "needs valueString")
        by_patient = resolution.get("by-patient")
        return FlagEntry(
            code=code,
            raised_at=_datetime(period.get("start"), f"{path}.period.start"),
            resolved_at=_datetime(end, f"{path}.period.end") if end else None,
            source=_flag_source(flag, path),
            outcome=outcome if end else None,
            resolved_by_self=bool(end)
            and by_patient is not None
            and _boolean(
                by_patient.get("valueBoolean"), f"{path}.extension.flag-resolution.by-patient"
            ),
        )


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


_SETTINGS = (
    ("progress-after-sessions", 1, 50),
    ("min-days-at-stage", 1, 50),
    ("worsening-points", 1, 10),
    ("progress-max-pain", 0, 10),
)
"""The integer rule settings of SPEC §3.3 and their ranges."""


def _sub_extensions(resource: Json, url: str) -> dict[str, Json]:
    """The sub-extensions of the complex extension ``url`` by their url (empty if absent)."""
    for extension in resource.get("extension") or []:
        if extension.get("url") == url:
            return {str(e.get("url")): e for e in extension.get("extension") or []}
    return {}


def _flag_source(resource: Json, path: str) -> FlagSource:
    return _lookup(
        {s.value: s for s in FlagSource},
        _optional_extension(resource, c.EXT_RED_FLAG_SOURCE, "valueCode", FlagSource.SESSION.value),
        f"{path}.extension.red-flag-source",
    )


def _motion_metrics(
    obs: Json, path: str, measure: RomMeasure, median_deg: Decimal
) -> MotionMetrics | None:
    """The motion metrics in a ROM Observation's components, checked as live entry checks
    them (None for a Bundle made before they were exported)."""
    parts: dict[str, list[Json]] = {}
    for component in obs.get("component") or []:
        code = _own_code(component.get("code"), c.CS_COMPONENT)
        if code is not None:
            parts.setdefault(code, []).append(component)
    if c.C_MOTION_REPS not in parts:
        return None

    def one(key: str, value_key: str) -> Any:
        found = parts.get(key) or [{}]
        return _required(found[0], value_key, f"{path}.component[{key}]")

    def fraction(key: str) -> Decimal | None:
        """A percentage (UCUM ``%``) as the fraction 0-1 the session stores."""
        if key not in parts:
            return None
        quantity = one(key, "valueQuantity")
        if quantity.get("code") != "%" or quantity.get("system") != c.UCUM:
            raise InvalidInput(f"{path}.component[{key}].valueQuantity", "must be in UCUM %")
        return Decimal(repr(float(quantity.get("value", -100)))) / 100

    exercise = _own_code(one(c.C_MOTION_EXERCISE, "valueCodeableConcept"), c.CS_STAGE)
    metrics = MotionMetrics(
        exercise=str(exercise),
        reps=one(c.C_MOTION_REPS, "valueInteger"),
        held_count=one(c.C_HELD_COUNT, "valueInteger"),
        rep_rom_deg=tuple(
            Decimal(repr(float((part.get("valueQuantity") or {}).get("value", "nan"))))
            for part in parts.get(c.C_REP_ROM, [])
        ),
        detected_fraction=_or_invalid(fraction(c.C_DETECTED_FRACTION)),
        visibility_mean=fraction(c.C_VISIBILITY_MEAN),
        side_view=one(c.C_SIDE_VIEW, "valueBoolean"),
    )
    try:
        check_motion_metrics(metrics.to_json(measure, median_deg))
    except InvalidInput as error:
        raise InvalidInput(f"{path}.component[{error.path}]", error.problem) from None
    return metrics


def _check_periods(value: object, path: str) -> None:
    """Refuse any ``start``/``end`` pair (a FHIR Period, wherever it sits) whose end
    comes before its start."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_periods(item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        return
    start, end = value.get("start"), value.get("end")
    if isinstance(start, str) and isinstance(end, str) and _ends_before(start, end):
        raise InvalidInput(f"{path}.end", "must not be before start")
    for key, item in value.items():
        if isinstance(item, dict | list):
            _check_periods(item, f"{path}.{key}")


def _ends_before(start: str, end: str) -> bool:
    """Whether FHIR dateTime ``end`` is before ``start``: as instants when both carry a
    time, else by their dates at the precision both have (``2026``, ``2026-11``...)."""
    if "T" in start and "T" in end:
        try:
            return datetime.fromisoformat(end) < datetime.fromisoformat(start)
        except (TypeError, ValueError):
            return False  # not valid FHIR: the model check refuses it
    common = min(len(start.split("T")[0]), len(end.split("T")[0]))
    return end[:common] < start[:common]


def _or_invalid(value: Decimal | None) -> Decimal:
    """A missing fraction as one the metrics' check refuses by name."""
    return Decimal(-1) if value is None else value


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


def _patient_identifier(patient: Json, path: str) -> str:
    """The value of the Patient's identifier under an installation's system
    (``urn:uuid:<installation>``), or under the one system of older exports."""
    for identifier in patient.get("identifier") or []:
        system = str(identifier.get("system") or "")
        if (system.startswith("urn:uuid:") or system == c.ID_PATIENT) and identifier.get("value"):
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


def _boolean(value: object, path: str) -> bool:
    if type(value) is not bool:
        raise InvalidInput(path, "must be true or false")
    return value


def _check_status(kind: str, resource: Json, path: str) -> None:
    """Refuse a status outside the R4 value set of ``kind``, and a valid one that names
    a record that does not stand (``entered-in-error``, ``cancelled``, ``draft``...)."""
    status = resource.get("status")
    known = _STATUSES[kind]
    if not isinstance(status, str) or status not in known:
        raise InvalidInput(
            f"{path}.status", f"must be a {kind}.status of FHIR R4: " + ", ".join(known)
        )
    if not known[status]:
        raise InvalidInput(f"{path}.status", f"'{status}' is not a record spinestep imports")


def _final_stage(programme: ProgrammeInfo, path: str) -> int:
    if programme.protocol_id not in builtin_ids():
        raise InvalidInput(f"{path}.instantiatesCanonical", "names an unknown protocol")
    return load_builtin(programme.protocol_id).final_stage
