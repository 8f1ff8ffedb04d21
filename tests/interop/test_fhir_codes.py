"""Standard codes in the FHIR export: LOINC where LOINC has a code, SNOMED CT body sites,
and a display on every coding.

The expected codes and displays are written out here from the published LOINC term
pages and SNOMED CT sources named in docs/records.md, not taken from the code under test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from spinestep.domain.model import Location
from spinestep.interop.fhir import build_bundle, bundle_json
from spinestep.interop.fhir_read import read_bundle_text
from tests.interop.sample_records import sample_records, session

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OWN = "https://spinestep.org/fhir/CodeSystem/observation"

BODY_SITES = {
    Location.BACK: ("37822005", "Lower back structure"),
    Location.BUTTOCK: ("46862004", "Buttock structure"),
    Location.THIGH: ("68367000", "Thigh structure"),
    Location.BELOW_KNEE: ("30021000", "Structure of lower extremity from knee to ankle"),
    Location.FOOT: ("56459004", "Foot structure"),
}


def observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]


def coding_in(concept: dict[str, Any], system: str) -> dict[str, Any]:
    (found,) = [coding for coding in concept["coding"] if coding["system"] == system]
    return found


def own(resource: dict[str, Any]) -> str:
    return str(coding_in(resource["code"], OWN)["code"])


def test_every_pain_score_is_loinc_72514_3_with_loincs_own_display() -> None:
    pains = [
        o for o in observations(build_bundle(sample_records(), NOW)) if own(o).startswith("pain-")
    ]
    assert len(pains) == 3 * len(sample_records().sessions)
    for pain in pains:
        assert coding_in(pain["code"], LOINC) == {
            "system": LOINC,
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }


@pytest.mark.parametrize("before", list(Location))
@pytest.mark.parametrize("after", [Location.NONE, Location.BACK, Location.FOOT])
def test_each_symptom_location_maps_to_its_snomed_body_site(
    before: Location, after: Location
) -> None:
    at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    records = replace(
        sample_records(), sessions=(session(1, at, 1, (5, 4, 3), where=(before, after)),)
    )
    pains = {
        own(o): o for o in observations(build_bundle(records, NOW)) if own(o) != "exercise-session"
    }
    for code, location in (("pain-before", before), ("pain-after", after)):
        if location is Location.NONE:
            assert "bodySite" not in pains[code]
        else:
            sct, display = BODY_SITES[location]
            site = coding_in(pains[code]["bodySite"], SNOMED)
            assert (site["code"], site["display"]) == (sct, display)
    assert "bodySite" not in pains["pain-during"]  # where symptoms reach is not asked during
    (panel,) = [o for o in observations(build_bundle(records, NOW)) if own(o) == "exercise-session"]
    values = [component["valueCodeableConcept"] for component in panel["component"][3:5]]
    for concept, location in zip(values, (before, after), strict=True):
        sites = [coding for coding in concept["coding"] if coding["system"] == SNOMED]
        expected = [] if location is Location.NONE else [BODY_SITES[location][0]]
        assert [coding["code"] for coding in sites] == expected


def test_odi_and_startback_scores_carry_their_loinc_codes() -> None:
    scores = {own(o): o for o in observations(build_bundle(sample_records(), NOW))}
    odi = coding_in(scores["odi-score"]["code"], LOINC)
    assert (odi["code"], odi["display"]) == ("97909-6", "Oswestry disability index score ODI")
    startback = scores["startback-total"]
    total = coding_in(startback["code"], LOINC)
    assert (total["code"], total["display"]) == ("91351-7", "Total score [STarT Back]")
    by_loinc = {coding_in(c["code"], LOINC)["code"]: c for c in startback["component"]}
    assert by_loinc["91350-9"]["valueInteger"] == 4  # items 5, 7, 8 and 9 of the sample
    risk = coding_in(by_loinc["91352-5"]["valueCodeableConcept"], LOINC)
    assert (risk["code"], risk["display"]) == ("LA9193-9", "High")


def test_rmdq_and_psfs_scores_keep_only_the_spinestep_code() -> None:
    scores = {own(o): o for o in observations(build_bundle(sample_records(), NOW))}
    for code in ("rmdq-score", "psfs-score"):
        assert [c["system"] for c in scores[code]["code"]["coding"]] == [OWN]


def codings(node: Any) -> list[dict[str, Any]]:
    """Every Coding in a JSON tree (a Quantity also has system and code: it has a unit)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "system" in node and "code" in node and "unit" not in node and "value" not in node:
            found.append(node)
        for value in node.values():
            found.extend(codings(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(codings(value))
    return found


def test_every_coding_in_the_bundle_has_a_display() -> None:
    bundle = build_bundle(sample_records(), NOW)
    found = codings(bundle)
    assert len(found) > 50
    missing = [(c["system"], c["code"]) for c in found if not c.get("display")]
    assert missing == []


def test_red_flags_carry_a_display() -> None:
    bundle = build_bundle(sample_records(), NOW)
    flags = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Flag"]
    assert flags
    for flag in flags:
        (coding,) = flag["code"]["coding"]
        assert coding["display"].lower() == coding["code"].replace("_", " ")


def test_the_import_reads_its_own_codes_beside_the_standard_ones() -> None:
    records = sample_records()
    back = read_bundle_text(bundle_json(records, NOW))
    assert [s.record for s in back.sessions] == [s.record for s in records.sessions]
    assert [(q.instrument, q.taken_at, q.answers) for q in back.questionnaires] == [
        (q.instrument, q.taken_at, q.answers) for q in records.questionnaires
    ]
