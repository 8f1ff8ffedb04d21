"""Every exported resource carries a generated XHTML narrative built from its own data,
with every recorded text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from spinestep.interop.fhir import build_bundle
from spinestep.services.record_types import PsfsActivity, PsfsAnswers
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
XHTML = "{http://www.w3.org/1999/xhtml}"
HOSTILE = "<script>alert('x')</script> & <b>Bold</b>"


def narrative(resource: dict[str, Any]) -> ET.Element:
    text = resource["text"]
    assert text["status"] == "generated"
    return ET.fromstring(text["div"])  # well-formed XML, or this raises


def test_every_resource_has_a_generated_xhtml_narrative() -> None:
    bundle = build_bundle(sample_records(), NOW)
    kinds = set()
    for entry in bundle["entry"]:
        div = narrative(entry["resource"])
        assert div.tag == f"{XHTML}div"
        assert "".join(div.itertext()).strip()
        kinds.add(entry["resource"]["resourceType"])
    assert kinds >= {"Patient", "CarePlan", "Observation", "QuestionnaireResponse"}
    assert kinds >= {"Questionnaire", "Flag"}


def test_narratives_tell_what_the_resource_holds() -> None:
    bundle = build_bundle(sample_records(), NOW)
    by_kind: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        text = "".join(narrative(entry["resource"]).itertext())
        by_kind.setdefault(entry["resource"]["resourceType"], []).append(text)
    assert any("Ana Example" in text and "1961-04-12" in text for text in by_kind["Patient"])
    assert any(
        "Pain severity - 0-10 verbal numeric rating" in text and "Thigh" in text
        for text in by_kind["Observation"]
    )
    assert any("walking to the shop" in text for text in by_kind["QuestionnaireResponse"])


def test_names_notes_and_activities_are_escaped_in_the_narrative() -> None:
    records = sample_records()
    change = replace(records.changes[0], note=HOSTILE)
    psfs = PsfsAnswers(activities=(PsfsActivity(name=HOSTILE, rating=3),))
    questionnaire = replace(
        next(q for q in records.questionnaires if isinstance(q.answers, PsfsAnswers)),
        answers=psfs,
    )
    records = replace(
        records,
        patient=replace(records.patient, name=HOSTILE),
        changes=(change, *records.changes[1:]),
        questionnaires=(questionnaire,),
    )
    bundle = build_bundle(records, NOW)
    seen = 0
    for entry in bundle["entry"]:
        div_text = entry["resource"]["text"]["div"]
        div = narrative(entry["resource"])
        assert "<script" not in div_text
        assert div.find(f".//{XHTML}script") is None
        assert all(e.tag.removeprefix(XHTML) in {"div", "p", "b", "ul", "li"} for e in div.iter())
        if HOSTILE in "".join(div.itertext()):
            assert "&lt;script&gt;" in div_text
            seen += 1
    assert seen >= 3  # the Patient, the CarePlan note and the PSFS response
