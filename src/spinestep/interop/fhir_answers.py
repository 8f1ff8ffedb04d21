"""Questionnaire answers as FHIR QuestionnaireResponse items, and back.

Item ``linkId`` values follow the questionnaires' own numbering:
ODI ``1``-``10`` (valueInteger 0-5; a skipped section has no item); RMDQ ``1``-``24``
(valueBoolean, true when ticked); PSFS one group per activity ``activity-N`` with
``activity-N.name`` (valueString) and ``activity-N.rating`` (valueInteger 0-10);
STarT Back ``1``-``8`` (valueBoolean, true = agree) and ``9`` (valueCoding of the
bothersomeness).
"""

from __future__ import annotations

from typing import Any

from spinestep.domain.scoring import (
    Bothersomeness,
    Instrument,
    score_odi,
    score_psfs,
    score_rmdq,
    score_startback,
)
from spinestep.errors import InvalidInput
from spinestep.interop import fhir_codes as c
from spinestep.interop.fhir_questionnaires import bothersomeness_coding
from spinestep.services.record_types import (
    Answers,
    OdiAnswers,
    PsfsActivity,
    PsfsAnswers,
    RmdqAnswers,
    StartBackAnswers,
)

Json = dict[str, Any]

ODI_SECTIONS = 10
RMDQ_STATEMENTS = 24
STARTBACK_ITEMS = 8


def answers_to_items(answers: Answers) -> list[Json]:
    if isinstance(answers, OdiAnswers):
        return [
            _item(str(n), valueInteger=value)
            for n, value in enumerate(answers.sections, start=1)
            if value is not None
        ]
    if isinstance(answers, RmdqAnswers):
        ticked = set(answers.ticked)
        return [_item(str(n), valueBoolean=n in ticked) for n in range(1, RMDQ_STATEMENTS + 1)]
    if isinstance(answers, PsfsAnswers):
        return [
            {
                "linkId": f"activity-{n}",
                "item": [
                    _item(f"activity-{n}.name", valueString=activity.name),
                    _item(f"activity-{n}.rating", valueInteger=activity.rating),
                ],
            }
            for n, activity in enumerate(answers.activities, start=1)
        ]
    items = [_item(str(n), valueBoolean=v == 1) for n, v in enumerate(answers.items, start=1)]
    items.append(_item("9", valueCoding=bothersomeness_coding(answers.bothersomeness)))
    return items


def score_observation_value(answers: Answers) -> Json:
    """The ``value[x]`` (and components) of the Observation that carries the score."""
    if isinstance(answers, OdiAnswers):
        odi = score_odi(list(answers.sections))
        return {"valueQuantity": _quantity(float(odi.score), "%", "%")}
    if isinstance(answers, RmdqAnswers):
        return {"valueInteger": score_rmdq(list(answers.ticked)).score}
    if isinstance(answers, PsfsAnswers):
        psfs = score_psfs([activity.rating for activity in answers.activities])
        return {"valueQuantity": _quantity(float(psfs.score), "score", "{score}")}
    startback = score_startback(list(answers.items), answers.bothersomeness)
    risk = startback.risk.value
    return {
        "valueInteger": startback.total,
        "component": [
            {
                "code": _loinc_and_own(c.LOINC_STARTBACK_DISTRESS, c.C_PSYCHOSOCIAL),
                "valueInteger": startback.psychosocial,
            },
            {
                "code": _loinc_and_own(c.LOINC_STARTBACK_RISK, c.C_RISK),
                "valueCodeableConcept": {
                    "coding": [
                        _coding(c.LOINC, *c.LOINC_STARTBACK_RISK_ANSWERS[risk]),
                        _coding(c.CS_STARTBACK_RISK, risk, c.own_display(risk)),
                    ]
                },
            },
        ],
    }


def _loinc_and_own(loinc: tuple[str, str], own: str) -> Json:
    return {
        "coding": [
            _coding(c.LOINC, *loinc),
            _coding(c.CS_COMPONENT, own, c.COMPONENT_DISPLAYS[own]),
        ]
    }


def _coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


def items_to_answers(instrument: Instrument, items: list[Json], path: str) -> Answers:
    """Read the items of a QuestionnaireResponse back into answers of ``instrument``."""
    by_link = {str(item.get("linkId")): item for item in items}
    if instrument is Instrument.ODI:
        sections = tuple(
            _answer(by_link, str(n), "valueInteger", path, optional=True)
            for n in range(1, ODI_SECTIONS + 1)
        )
        return OdiAnswers(sections=sections)
    if instrument is Instrument.RMDQ:
        ticked = tuple(
            n
            for n in range(1, RMDQ_STATEMENTS + 1)
            if _answer(by_link, str(n), "valueBoolean", path) is True
        )
        return RmdqAnswers(ticked=ticked)
    if instrument is Instrument.PSFS:
        activities = []
        for n in range(1, len(items) + 1):
            group = by_link.get(f"activity-{n}")
            if group is None:
                raise InvalidInput(f"{path}.item", f"activity-{n} is missing")
            inner = {str(item.get("linkId")): item for item in group.get("item", [])}
            name = _answer(inner, f"activity-{n}.name", "valueString", path)
            rating = _answer(inner, f"activity-{n}.rating", "valueInteger", path)
            activities.append(PsfsActivity(name=str(name), rating=int(rating)))
        return PsfsAnswers(activities=tuple(activities))
    if instrument is Instrument.STARTBACK:
        agree = tuple(
            1 if _answer(by_link, str(n), "valueBoolean", path) is True else 0
            for n in range(1, STARTBACK_ITEMS + 1)
        )
        bother = _answer(by_link, "9", "valueCoding", path)
        try:
            bothersomeness = Bothersomeness(bother.get("code"))
        except ValueError:
            raise InvalidInput(f"{path}.item[9]", "unknown bothersomeness") from None
        return StartBackAnswers(items=agree, bothersomeness=bothersomeness)
    raise InvalidInput(f"{path}.questionnaire", f"{instrument.value} has no questionnaire")


def _item(link_id: str, **answer: Any) -> Json:
    return {"linkId": link_id, "answer": [answer]}


def _quantity(value: float, unit: str, code: str) -> Json:
    return {"value": value, "unit": unit, "system": c.UCUM, "code": code}


def _answer(
    by_link: dict[str, Json], link_id: str, key: str, path: str, *, optional: bool = False
) -> Any:
    item = by_link.get(link_id)
    answers = [] if item is None else item.get("answer", [])
    if not answers:
        if optional:
            return None
        raise InvalidInput(f"{path}.item[{link_id}]", "has no answer")
    if key not in answers[0]:
        raise InvalidInput(f"{path}.item[{link_id}]", f"needs {key}")
    return answers[0][key]
