"""Questionnaire resources in the FHIR export: each response's canonical resolves to a
Questionnaire in the Bundle, whose items describe every answer; wording only where the
project ships it; the import accepts them and stores nothing of them."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from spinestep.domain.questionnaire_wording import ODI_SECTION_NAMES, STARTBACK_STATEMENTS
from spinestep.interop.fhir import build_bundle
from spinestep.interop.fhir_read import read_bundle
from tests.interop.sample_records import sample_records

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# R4 QuestionnaireItemType codes, and the item types R4 allows answerOption on (que-5).
R4_ITEM_TYPES = {
    "group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time",
    "string", "text", "url", "choice", "open-choice", "attachment", "reference", "quantity",
}  # fmt: skip
OPTION_TYPES = {"choice", "open-choice", "decimal", "integer", "date", "time", "string"}
ANSWER_KEYS = {
    "boolean": "valueBoolean",
    "integer": "valueInteger",
    "string": "valueString",
    "choice": "valueCoding",
}


def of_kind(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def flat(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        out[item["linkId"]] = item
        out.update(flat(item.get("item", [])))
    return out


def test_each_response_names_a_questionnaire_in_the_bundle_once() -> None:
    bundle = build_bundle(sample_records(), NOW)
    questionnaires = of_kind(bundle, "Questionnaire")
    urls = [q["url"] for q in questionnaires]
    assert len(urls) == len(set(urls)) == 4  # ODI, RMDQ, PSFS and STarT Back in the sample
    assert all(q["version"] and q["status"] == "active" for q in questionnaires)
    for response in of_kind(bundle, "QuestionnaireResponse"):
        assert response["questionnaire"] in urls


def test_a_bundle_holds_only_the_questionnaires_its_responses_answer() -> None:
    records = sample_records()
    odi_only = replace(
        records,
        questionnaires=tuple(q for q in records.questionnaires if q.instrument.value == "odi"),
    )
    (questionnaire,) = of_kind(build_bundle(odi_only, NOW), "Questionnaire")
    assert questionnaire["url"].endswith("/odi")
    no_answers = replace(records, questionnaires=())
    assert of_kind(build_bundle(no_answers, NOW), "Questionnaire") == []


def test_every_answer_has_an_item_of_its_type_in_its_questionnaire() -> None:
    bundle = build_bundle(sample_records(), NOW)
    by_url = {q["url"]: flat(q["item"]) for q in of_kind(bundle, "Questionnaire")}
    for response in of_kind(bundle, "QuestionnaireResponse"):
        items = by_url[response["questionnaire"]]
        for link_id, answered in flat(response["item"]).items():
            item = items[link_id]
            for answer in answered.get("answer", []):
                (key,) = answer
                assert key == ANSWER_KEYS[item["type"]]
                if "answerOption" in item:
                    assert {key: answer[key]} in item["answerOption"] or any(
                        option.get("valueCoding", {}).get("code") == answer[key].get("code")
                        for option in item["answerOption"]
                        if isinstance(answer[key], dict)
                    )


def test_questionnaires_are_valid_r4() -> None:
    for questionnaire in of_kind(build_bundle(sample_records(), NOW), "Questionnaire"):
        Questionnaire.model_validate(questionnaire)
        for item in flat(questionnaire["item"]).values():
            assert item["type"] in R4_ITEM_TYPES
            if "answerOption" in item:
                assert item["type"] in OPTION_TYPES
                assert item["answerOption"]
            if item["type"] == "choice":
                assert item["answerOption"]  # a choice always lists its answers


def test_odi_and_rmdq_items_carry_no_statement_wording() -> None:
    bundle = build_bundle(sample_records(), NOW)
    by_name = {q["url"].rsplit("/", 1)[1]: q for q in of_kind(bundle, "Questionnaire")}
    rmdq = flat(by_name["rmdq"]["item"])
    assert sorted(rmdq, key=int) == [str(n) for n in range(1, 25)]
    assert all("text" not in item and "answerOption" not in item for item in rmdq.values())
    odi = by_name["odi"]["item"]
    assert [item["text"] for item in odi] == list(ODI_SECTION_NAMES)  # section names only
    for item in odi:
        assert item["answerOption"] == [{"valueInteger": v} for v in range(6)]


def test_startback_items_have_shipped_wording_and_loinc_codes() -> None:
    bundle = build_bundle(sample_records(), NOW)
    (startback,) = [q for q in of_kind(bundle, "Questionnaire") if q["url"].endswith("startback")]
    assert startback["code"] == [
        {
            "system": "http://loinc.org",
            "code": "91349-1",
            "display": "STarT Back Screening Tool panel",
        }
    ]
    items = startback["item"]
    assert [item["text"] for item in items[:8]] == list(STARTBACK_STATEMENTS)
    loinc = [item["code"][0]["code"] for item in items]
    assert loinc == [
        "91340-0", "91341-8", "91342-6", "91343-4", "91344-2",
        "91345-9", "91346-7", "91347-5", "91348-3",
    ]  # fmt: skip
    assert [o["valueCoding"]["code"] for o in items[8]["answerOption"]] == [
        "not_at_all", "slightly", "moderately", "very_much", "extremely",
    ]  # fmt: skip


def test_the_import_accepts_questionnaires_and_stores_none_of_them() -> None:
    records = sample_records()
    bundle = build_bundle(records, NOW)
    back = read_bundle(copy.deepcopy(bundle), NOW)
    assert len(back.questionnaires) == len(records.questionnaires)
    foreign = copy.deepcopy(bundle)
    other = copy.deepcopy(of_kind(bundle, "Questionnaire")[0])
    other["url"] = "https://example.org/Questionnaire/something-else"
    other["id"] = "other-questionnaire"
    foreign["entry"].append(
        {"fullUrl": "https://example.org/Questionnaire/other-questionnaire", "resource": other}
    )
    again = read_bundle(foreign, NOW)
    assert [q.answers for q in again.questionnaires] == [q.answers for q in back.questionnaires]
