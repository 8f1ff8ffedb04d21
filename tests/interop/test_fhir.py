"""The FHIR export: every resource valid R4 (R4B models), pain told apart, lossless round trip."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.model import Effort, Location, SessionRecord
from spinestep.domain.scoring import Bothersomeness
from spinestep.domain.text import tidy_name
from spinestep.errors import InvalidInput
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.interop.fhir_read import read_bundle, read_bundle_text
from spinestep.services.record_types import (
    Answers,
    ChangeKind,
    OdiAnswers,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    PsfsActivity,
    PsfsAnswers,
    QuestionnaireEntry,
    RmdqAnswers,
    SessionEntry,
    StartBackAnswers,
)
from spinestep.services.records import new_uuid
from tests.interop.fhir_ids import renamed_ids, without_ids
from tests.interop.fhir_schema import assert_valid_r4
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LOINC_PAIN = ("http://loinc.org", "72514-3")
OWN = "https://spinestep.org/fhir/CodeSystem/observation"


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def codes(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(coding["system"], coding["code"]) for coding in resource["code"]["coding"]}


def own_code(resource: dict[str, Any]) -> str:
    return next(code for system, code in codes(resource) if system == OWN)


@pytest.fixture
def bundle() -> dict[str, Any]:
    built = build_bundle(sample_records(), NOW)
    assert_valid_r4(built)  # the official R4 schema and invariants, not the writer's models
    return built


def test_every_resource_validates_against_its_r4b_model(bundle: dict[str, Any]) -> None:
    Bundle.model_validate_json(json.dumps(bundle))
    kinds = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate(resource)
        kinds.add(resource["resourceType"])
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    assert {"Patient", "CarePlan", "Observation", "QuestionnaireResponse"} <= kinds


def test_bundle_has_one_patient_and_a_careplan_with_stage_activities(
    bundle: dict[str, Any],
) -> None:
    assert bundle["type"] == "collection"
    (patient,) = resources(bundle, "Patient")
    assert patient["birthDate"] == "1961-04-12"
    (plan,) = resources(bundle, "CarePlan")
    assert plan["status"] == "on-hold"  # the programme is paused
    activities = [a["detail"] for a in plan["activity"]]
    assert [a["code"]["coding"][0]["code"] for a in activities] == ["supine", "seated", "standing"]
    assert [a["status"] for a in activities] == ["completed", "in-progress", "not-started"]
    seated = activities[1]
    assert seated["quantity"]["value"] == 8
    assert seated["scheduledTiming"]["repeat"] == {"frequency": 4, "period": 1, "periodUnit": "d"}
    assert plan["subject"]["reference"] == bundle["entry"][0]["fullUrl"]


def test_pain_scores_are_loinc_72514_3_told_apart_by_a_spinestep_code(
    bundle: dict[str, Any],
) -> None:
    pain = [o for o in resources(bundle, "Observation") if LOINC_PAIN in codes(o)]
    assert len(pain) == 5 * 3
    assert {own_code(o) for o in pain} == {"pain-before", "pain-during", "pain-after"}
    # Session 4 (2026-11-04 08:00 +01:00) had before 4, during 6, after 5.
    session_4 = {
        own_code(o): o["valueInteger"]
        for o in pain
        if o["effectiveDateTime"] == "2026-11-04T08:00:00+01:00"
    }
    assert session_4 == {"pain-before": 4, "pain-during": 6, "pain-after": 5}


def test_questionnaire_scores_and_responses(bundle: dict[str, Any]) -> None:
    responses = resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 5
    assert all(r["status"] == "completed" for r in responses)
    scores = {
        (own_code(o), o["effectiveDateTime"]): o
        for o in resources(bundle, "Observation")
        if own_code(o).endswith(("-score", "-total"))
    }
    assert len(scores) == 5
    # ODI 3+2+3+2+3+2+3+3+2 = 23 of 45 -> 51.11 %; later 10 of 45 -> 22.22 %.
    odi = sorted(
        o["valueQuantity"]["value"] for (code, _), o in scores.items() if code == "odi-score"
    )
    assert odi == [22.22, 51.11]
    assert all(
        o["valueQuantity"]["code"] == "%" for (code, _), o in scores.items() if code == "odi-score"
    )
    (rmdq,) = [o for (code, _), o in scores.items() if code == "rmdq-score"]
    assert rmdq["valueInteger"] == 3
    (psfs,) = [o for (code, _), o in scores.items() if code == "psfs-score"]
    assert psfs["valueQuantity"]["value"] == 3.5  # (3 + 4) / 2
    (startback,) = [o for (code, _), o in scores.items() if code == "startback-total"]
    # items 1,3,4,5,7,8 agree + item 9 very much = 7; psychosocial items 5,7,8,9 = 4 -> high
    assert startback["valueInteger"] == 7
    component_system = "https://spinestep.org/fhir/CodeSystem/observation-component"
    parts = {
        coding["code"]: c
        for c in startback["component"]
        for coding in c["code"]["coding"]
        if coding["system"] == component_system
    }
    assert parts["startback-psychosocial"]["valueInteger"] == 4
    risk = parts["startback-risk"]["valueCodeableConcept"]["coding"]
    assert any(
        coding["system"].endswith("/startback-risk") and coding["code"] == "high" for coding in risk
    )


def test_range_of_motion_is_in_ucum_degrees(bundle: dict[str, Any]) -> None:
    rom = [o for o in resources(bundle, "Observation") if own_code(o).endswith("-rom")]
    assert len(rom) == 2
    for observation in rom:
        quantity = observation["valueQuantity"]
        assert (quantity["system"], quantity["code"]) == ("http://unitsofmeasure.org", "deg")
    assert sorted(o["valueQuantity"]["value"] for o in rom) == [61.5, 102.0]


def test_round_trip_export_import_export_loses_nothing() -> None:
    records = sample_records()
    first = bundle_json(records, NOW)
    back = read_bundle_text(first)
    # decisions travel in the CSV export; the ids read back are the file's, never reused
    assert without_ids(back) == without_ids(replace(records, decisions=()))
    assert renamed_ids(bundle_json(back, NOW)) == renamed_ids(first)


def test_exporting_twice_gives_the_same_resource_ids() -> None:
    records = sample_records()
    one = build_bundle(records, NOW)
    two = build_bundle(records, NOW + timedelta(days=1))
    assert [e["fullUrl"] for e in one["entry"]] == [e["fullUrl"] for e in two["entry"]]
    assert one["id"] != two["id"]  # each export is a new document


def test_a_patient_without_programme_or_history_exports_alone() -> None:
    records = PatientRecords(patient=PatientInfo(id="3"))
    bundle = build_bundle(records, NOW)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert without_ids(read_bundle(bundle)) == without_ids(records)


def test_import_rejects_a_pain_score_out_of_range(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    index, pain = next(
        (i, e["resource"])
        for i, e in enumerate(broken["entry"])
        if e["resource"]["resourceType"] == "Observation" and LOINC_PAIN in codes(e["resource"])
    )
    pain["valueInteger"] = 11
    with pytest.raises(InvalidInput) as caught:
        read_bundle(broken)
    assert str(caught.value) == f"entry[{index}].resource.valueInteger: must be an integer 0-10"


def test_import_rejects_text_that_is_not_a_bundle() -> None:
    with pytest.raises(InvalidInput, match="not JSON"):
        read_bundle_text("{")
    with pytest.raises(InvalidInput, match="not a FHIR Bundle"):
        read_bundle_text('{"resourceType": "Patient"}')


def test_import_rejects_a_bundle_without_patient(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    broken["entry"] = broken["entry"][1:]
    with pytest.raises(InvalidInput, match="exactly one Patient"):
        read_bundle(broken)


def test_import_rejects_invalid_fhir(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["birthDate"] = "12 April 1961"
    with pytest.raises(InvalidInput, match="not valid FHIR R4"):
        read_bundle(broken)


_offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))])
_sessions = st.builds(
    SessionRecord,
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1), timezones=_offsets
    ),
    stage=st.integers(1, 3),
    effort=st.sampled_from(Effort),
    pain_before=st.integers(0, 10),
    pain_during=st.integers(0, 10),
    pain_after=st.integers(0, 10),
    location_before=st.sampled_from(Location),
    location_after=st.sampled_from(Location),
    completed=st.booleans(),
    reps=st.none() | st.integers(0, 50),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_sessions, max_size=6, unique_by=lambda s: s.at))
def test_any_sessions_survive_the_round_trip(sessions: list[SessionRecord]) -> None:
    records = PatientRecords(
        patient=PatientInfo(id="p1", time_zone="America/New_York"),
        sessions=tuple(SessionEntry(id=str(i), record=s) for i, s in enumerate(sessions)),
    )
    bundle = build_bundle(records, NOW)
    assert_valid_r4(bundle)
    assert without_ids(read_bundle(bundle)) == without_ids(records)


def test_rom_keeps_its_decimal_value() -> None:
    records = sample_records()
    back = read_bundle(build_bundle(records, NOW))
    assert [r.rom_deg for r in back.rom] == [Decimal("61.5"), Decimal("102.0")]


_odi = st.lists(st.integers(0, 5), min_size=10, max_size=10).flatmap(
    lambda sections: st.sets(st.integers(0, 9), max_size=2).map(
        lambda missing: OdiAnswers(
            tuple(None if i in missing else v for i, v in enumerate(sections))
        )
    )
)
_rmdq = st.sets(st.integers(1, 24)).map(lambda ticked: RmdqAnswers(tuple(sorted(ticked))))
_psfs = st.lists(
    st.builds(
        PsfsActivity,
        # Names as the service keeps them: one space for any run of whitespace, no
        # control or formatting characters.
        name=st.text(min_size=1, max_size=30).map(tidy_name).filter(bool),
        rating=st.integers(0, 10),
    ),
    min_size=1,
    max_size=5,
).map(lambda activities: PsfsAnswers(tuple(activities)))
_startback = st.builds(
    StartBackAnswers,
    items=st.lists(st.integers(0, 1), min_size=8, max_size=8).map(tuple),
    bothersomeness=st.sampled_from(Bothersomeness),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_odi, _rmdq, _psfs, _startback), max_size=5))
def test_any_questionnaire_answers_survive_the_round_trip(answers: list[Answers]) -> None:
    start = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    records = PatientRecords(
        patient=PatientInfo(id="q"),
        questionnaires=tuple(
            QuestionnaireEntry(str(i), start + timedelta(days=14 * i), a)
            for i, a in enumerate(answers)
        ),
    )
    bundle = build_bundle(records, NOW)
    Bundle.model_validate(bundle)
    assert without_ids(read_bundle(bundle)) == without_ids(records)


def test_every_full_url_is_unique_even_for_repeated_flags() -> None:
    records = sample_records()
    again = tuple(replace(flag, uuid=new_uuid()) for flag in records.flags)  # stored twice
    twice = replace(records, flags=records.flags + again)
    bundle = build_bundle(twice, NOW)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert without_ids(read_bundle(bundle).flags) == without_ids(twice.flags)


def test_programme_changes_are_careplan_notes_with_the_clinicians_words() -> None:
    (plan,) = resources(build_bundle(sample_records(), NOW), "CarePlan")
    notes = plan["note"]
    assert [n["text"] for n in notes] == [
        "Flexion eases her leg pain; start lying.",
        "progress: stage 1 to 2 (R8)",
        "stop (R4)",
        'Fewer reps: "8 is plenty" — *not* markdown, ü',
    ]
    assert notes[0]["time"] == "2026-11-02T06:00:00+01:00"
    (change,) = notes[0]["extension"]
    assert change["url"] == "https://spinestep.org/fhir/StructureDefinition/programme-change"
    assert change["extension"] == [
        {"url": "kind", "valueCode": "prescribe"},
        {"url": "reason", "valueString": "lumbar-flexion from stage 1"},
        {"url": "has-note", "valueBoolean": True},
    ]
    assert notes[2]["extension"][0]["extension"][2] == {"url": "has-note", "valueBoolean": False}


def test_notes_of_other_systems_on_the_careplan_are_ignored(bundle: dict[str, Any]) -> None:
    changed = copy.deepcopy(bundle)
    (plan,) = resources(changed, "CarePlan")
    plan["note"].append({"text": "written by another system"})
    assert read_bundle(changed).changes == sample_records().changes


def test_a_programme_change_with_an_unknown_kind_is_refused(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    (plan,) = resources(broken, "CarePlan")
    plan["note"][1]["extension"][0]["extension"][0]["valueCode"] = "teleport"
    with pytest.raises(InvalidInput) as caught:
        read_bundle(broken)
    assert caught.value.path.endswith(".note[1].extension[kind]")


_changes = st.builds(
    ProgrammeChange,
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1), timezones=_offsets
    ),
    kind=st.sampled_from(ChangeKind),
    # As the services keep them: trimmed, not empty.
    reason=st.text(min_size=1, max_size=40).map(str.strip).filter(bool),
    note=st.none() | st.text(min_size=1, max_size=80).map(str.strip).filter(bool),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_changes, max_size=6))
def test_any_programme_changes_survive_the_round_trip(changes: list[ProgrammeChange]) -> None:
    records = replace(sample_records(), decisions=(), changes=tuple(changes))
    first = build_bundle(records, NOW)
    back = read_bundle(first)
    assert without_ids(back) == without_ids(records)
    assert renamed_ids(build_bundle(back, NOW)) == renamed_ids(first)
