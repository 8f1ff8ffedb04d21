"""The FHIR export says maintenance (SPEC §3.3, §7): phase and maintenance sessions a day
travel on the CarePlan and come back on import."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from spinestep.domain.model import Phase
from spinestep.errors import InvalidInput
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.interop.fhir_read import read_bundle_text
from spinestep.services.record_types import PatientRecords, ProgrammeStatus, StageStatus
from tests.interop.fhir_ids import without_ids
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BASE = "https://spinestep.org/fhir/StructureDefinition"


def in_maintenance() -> PatientRecords:
    records = sample_records()
    assert records.programme is not None
    stages = tuple(replace(s, status=StageStatus.COMPLETED) for s in records.programme.stages)
    programme = replace(
        records.programme,
        current_stage=1,
        status=ProgrammeStatus.ACTIVE,
        stages=stages,
        phase=Phase.MAINTENANCE,
        maintenance_sessions_per_day=3,
    )
    return replace(records, programme=programme, decisions=())


def careplan(bundle: dict[str, Any]) -> dict[str, Any]:
    (plan,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
    ]
    return plan


def test_the_careplan_says_maintenance_and_its_sessions_a_day() -> None:
    extensions = {e["url"]: e for e in careplan(build_bundle(in_maintenance(), NOW))["extension"]}
    assert extensions[f"{BASE}/phase"]["valueCode"] == "maintenance"
    assert extensions[f"{BASE}/maintenance-sessions-per-day"]["valueInteger"] == 3


def test_maintenance_comes_back_on_import() -> None:
    records = in_maintenance()
    text = bundle_json(records, NOW)
    back = read_bundle_text(text)
    assert without_ids(back) == without_ids(records)
    assert back.programme is not None and back.programme.phase is Phase.MAINTENANCE


def test_a_bundle_from_before_the_phase_reads_as_progression() -> None:
    bundle = build_bundle(sample_records(), NOW)
    plan = careplan(bundle)
    plan["extension"] = [e for e in plan["extension"] if not e["url"].startswith(f"{BASE}/ma")]
    plan["extension"] = [e for e in plan["extension"] if e["url"] != f"{BASE}/phase"]
    back = read_bundle_text(json.dumps(bundle))
    assert back.programme is not None
    assert (back.programme.phase, back.programme.maintenance_sessions_per_day) == (
        Phase.PROGRESSION,
        2,
    )


@pytest.mark.parametrize(
    ("url", "value", "problem"),
    [
        ("phase", {"valueCode": "finished"}, "has an unknown code"),
        ("maintenance-sessions-per-day", {"valueInteger": 13}, "must be 1-12"),
    ],
)
def test_a_wrong_phase_or_maintenance_dose_is_named(
    url: str, value: dict[str, Any], problem: str
) -> None:
    bundle = build_bundle(in_maintenance(), NOW)
    for extension in careplan(bundle)["extension"]:
        if extension["url"] == f"{BASE}/{url}":
            extension.pop("valueCode", None)
            extension.pop("valueInteger", None)
            extension.update(value)
    with pytest.raises(InvalidInput, match=problem):
        read_bundle_text(json.dumps(bundle))
