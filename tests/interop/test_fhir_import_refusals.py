"""A Bundle whose periods, extensions or motion metrics break the rules is refused whole,
with the path of the offending value."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from spinestep.domain.model import EmergencyNumber
from spinestep.errors import InvalidInput
from spinestep.interop import fhir_codes as c
from spinestep.interop.fhir import build_bundle
from spinestep.interop.fhir_read import read_bundle
from spinestep.services.record_types import MotionMetrics, ScreeningEntry
from spinestep.services.records import FlagSource
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Json = dict[str, Any]


def bundle() -> Json:
    records = sample_records()
    stopped = replace(records.sessions[4], stopped_early=True)
    measured = replace(
        records.rom[0],
        metrics=MotionMetrics(
            exercise="seated",
            reps=2,
            held_count=1,
            rep_rom_deg=(Decimal("60.2"), Decimal("62.8")),
            detected_fraction=Decimal("0.9"),
        ),
    )
    screening = ScreeningEntry(
        at=datetime(2026, 11, 2, 6, 0, tzinfo=UTC),
        source=FlagSource.ONBOARDING,
        answers=(("major_trauma", False),),
    )
    return build_bundle(
        replace(
            records,
            patient=replace(records.patient, emergency_number=EmergencyNumber.UK),
            sessions=(*records.sessions[:4], stopped),
            rom=(measured, *records.rom[1:]),
            screenings=(screening,),
        ),
        NOW,
    )


def entry_of(data: Json, kind: str, code: str | None = None) -> tuple[int, Json]:
    for index, entry in enumerate(data["entry"]):
        resource = entry["resource"]
        if resource["resourceType"] != kind:
            continue
        if code is None or code in {x["code"] for x in resource["code"]["coding"]}:
            return index, resource
    raise AssertionError(f"no {kind} {code}")


def refused(change: Callable[[Json], int]) -> str:
    data = copy.deepcopy(bundle())
    index = change(data)
    with pytest.raises(InvalidInput) as caught:
        read_bundle(data, NOW)
    message = str(caught.value)
    assert message.startswith(f"entry[{index}].resource."), message
    return message.split(".resource.", 1)[1]


def test_the_changed_bundle_reads_back_with_what_it_was_given() -> None:
    records = read_bundle(bundle(), NOW)
    assert records.patient.emergency_number is EmergencyNumber.UK
    assert [s.stopped_early for s in records.sessions] == [False] * 4 + [True]
    assert records.rom[0].metrics is not None
    assert records.rom[0].metrics.rep_rom_deg == (Decimal("60.2"), Decimal("62.8"))
    assert [(s.source, s.answers) for s in records.screenings] == [
        (FlagSource.ONBOARDING, (("major_trauma", False),))
    ]


def test_a_careplan_period_ending_before_it_starts_is_refused() -> None:
    def change(data: Json) -> int:
        index, plan = entry_of(data, "CarePlan")
        plan["period"]["end"] = "2026-11-01T08:00:00+01:00"
        return index

    assert refused(change) == "period.end: must not be before start"


def test_any_nested_period_ending_before_it_starts_is_refused() -> None:
    def change(data: Json) -> int:
        index, patient = entry_of(data, "Patient")
        patient["name"][0]["period"] = {"start": "2020-05-02", "end": "2020-05-01"}
        return index

    assert refused(change) == "name[0].period.end: must not be before start"


def test_a_flag_period_ending_before_it_starts_is_refused() -> None:
    def change(data: Json) -> int:
        index, flag = entry_of(data, "Flag")
        flag["status"] = "inactive"
        flag["period"]["end"] = "2026-01-01T00:00:00Z"
        return index

    assert refused(change) == "period.end: must not be before start"


def test_a_period_ending_when_it_starts_or_later_is_read() -> None:
    data = bundle()
    _, plan = entry_of(data, "CarePlan")
    plan["period"]["end"] = plan["period"]["start"]
    _, patient = entry_of(data, "Patient")
    patient["name"][0]["period"] = {"start": "2020-05", "end": "2020-05-01"}
    assert read_bundle(data, NOW).programme is not None


def test_an_unknown_emergency_number_is_refused() -> None:
    def change(data: Json) -> int:
        index, patient = entry_of(data, "Patient")
        for extension in patient["extension"]:
            if extension["url"] == c.EXT_EMERGENCY_NUMBER:
                extension["valueCode"] = "000"
        return index

    assert refused(change) == "extension.emergency-number: has an unknown code"


def test_a_bundle_without_an_emergency_number_gets_the_default() -> None:
    data = bundle()
    _, patient = entry_of(data, "Patient")
    patient["extension"] = [e for e in patient["extension"] if e["url"] != c.EXT_EMERGENCY_NUMBER]
    assert read_bundle(data, NOW).patient.emergency_number is EmergencyNumber.EU


def test_a_completed_session_cannot_have_stopped_early() -> None:
    def change(data: Json) -> int:
        index, panel = entry_of(data, "Observation", c.EXERCISE_SESSION)
        for component in panel["component"]:
            if component["code"]["coding"][0]["code"] == c.C_STOPPED_EARLY:
                component["valueBoolean"] = True
        return index

    message = refused(change)
    assert message == "component[stopped-early]: a session stopped early is not completed"


def test_motion_metrics_pass_the_checks_of_live_entry() -> None:
    def change(data: Json) -> int:
        index, rom = entry_of(data, "Observation", "trunk-flexion-rom")
        for component in rom["component"]:
            if component["code"]["coding"][0]["code"] == c.C_HELD_COUNT:
                component["valueInteger"] = 5
        return index

    assert refused(change) == "component[motion.held_count]: must be a whole number 0-2"


def test_a_screening_answer_must_name_a_red_flag() -> None:
    def change(data: Json) -> int:
        index, screening = entry_of(data, "Observation", c.RED_FLAG_SCREENING)
        screening["component"][0]["code"]["coding"][0]["code"] = "feeling_fine"
        return index

    assert refused(change) == "component[0].code: is not a red flag code asked once"


def test_a_stopped_session_is_exported_as_stopped_early() -> None:
    data = bundle()
    panels = [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == c.EXERCISE_SESSION
    ]
    stopped = [
        component["valueBoolean"]
        for panel in panels
        for component in panel["component"]
        if component["code"]["coding"][0]["code"] == c.C_STOPPED_EARLY
    ]
    assert stopped == [False, False, False, False, True]
