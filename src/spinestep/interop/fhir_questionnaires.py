"""The FHIR Questionnaires that spinestep's QuestionnaireResponses answer.

One Questionnaire per instrument, with a canonical ``url`` (``QUESTIONNAIRE_CANONICAL``
plus the instrument) and a ``version``. Every item has the ``linkId`` that
``fhir_answers`` writes and, where the answer is picked from a list, its answer
options. Item text is only given where the project ships the wording
(``domain.questionnaire_wording``): the STarT Back statements, the ODI section names
and the PSFS prompts. The ODI statements and the RMDQ statements stay on the
clinician's paper form, so RMDQ items carry a linkId and no text. LOINC codes are
added where LOINC has them (ODI and STarT Back panels, STarT Back items).
"""

from __future__ import annotations

from typing import Any, Final

from spinestep.domain.questionnaire_wording import (
    BOTHERSOMENESS_LABELS,
    ODI_SECTION_NAMES,
    PSFS_ACTIVITY_PROMPT,
    PSFS_RATING_PROMPT,
    STARTBACK_BOTHER_QUESTION,
    STARTBACK_STATEMENTS,
)
from spinestep.domain.scoring import (
    ODI_ANSWER_MAX,
    PSFS_MAX_ACTIVITIES,
    PSFS_RATING_MAX,
    RMDQ_ITEMS,
    Bothersomeness,
    Instrument,
)
from spinestep.interop import fhir_codes as c

Json = dict[str, Any]

VERSION: Final = "1"
"""The version of every spinestep Questionnaire; raise it when an item changes."""

_TITLES: Final = {
    Instrument.ODI: ("SpinestepOdi", "Oswestry Disability Index (ODI), section scores"),
    Instrument.RMDQ: ("SpinestepRmdq", "Roland-Morris Disability Questionnaire (RMDQ), ticks"),
    Instrument.PSFS: ("SpinestepPsfs", "Patient-Specific Functional Scale (PSFS)"),
    Instrument.STARTBACK: ("SpinestepStartBack", "Keele STarT Back Screening Tool"),
}


def canonical(instrument: Instrument) -> str:
    """The canonical URL that ``QuestionnaireResponse.questionnaire`` names."""
    return c.QUESTIONNAIRE_CANONICAL + instrument.value


def questionnaire(instrument: Instrument, resource_id: str) -> Json:
    """The Questionnaire of ``instrument`` (not NPRS, which is an Observation)."""
    name, title = _TITLES[instrument]
    out: Json = {
        "resourceType": "Questionnaire",
        "id": resource_id,
        "url": canonical(instrument),
        "version": VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    panel = {Instrument.ODI: c.LOINC_ODI_PANEL, Instrument.STARTBACK: c.LOINC_STARTBACK_PANEL}
    if instrument in panel:
        code, display = panel[instrument]
        out["code"] = [_coding(c.LOINC, code, display)]
    out["item"] = _ITEMS[instrument]()
    return out


def _odi_items() -> list[Json]:
    options = [{"valueInteger": value} for value in range(ODI_ANSWER_MAX + 1)]
    return [
        {
            "linkId": str(number),
            "prefix": str(number),
            "text": name,
            "type": "integer",
            "required": False,
            "answerOption": options,
        }
        for number, name in enumerate(ODI_SECTION_NAMES, start=1)
    ]


def _rmdq_items() -> list[Json]:
    return [
        {"linkId": str(number), "prefix": str(number), "type": "boolean", "required": True}
        for number in range(1, RMDQ_ITEMS + 1)
    ]


def _psfs_items() -> list[Json]:
    ratings = [{"valueInteger": value} for value in range(PSFS_RATING_MAX + 1)]
    return [
        {
            "linkId": f"activity-{number}",
            "prefix": str(number),
            "type": "group",
            "required": number == 1,
            "item": [
                {
                    "linkId": f"activity-{number}.name",
                    "text": PSFS_ACTIVITY_PROMPT,
                    "type": "string",
                    "required": True,
                },
                {
                    "linkId": f"activity-{number}.rating",
                    "text": PSFS_RATING_PROMPT,
                    "type": "integer",
                    "required": True,
                    "answerOption": ratings,
                },
            ],
        }
        for number in range(1, PSFS_MAX_ACTIVITIES + 1)
    ]


def _startback_items() -> list[Json]:
    items: list[Json] = [
        {
            "linkId": str(number),
            "code": [_coding(c.LOINC, *c.LOINC_STARTBACK_ITEMS[number - 1])],
            "prefix": str(number),
            "text": statement,
            "type": "boolean",
            "required": True,
        }
        for number, statement in enumerate(STARTBACK_STATEMENTS, start=1)
    ]
    items.append(
        {
            "linkId": "9",
            "code": [_coding(c.LOINC, *c.LOINC_STARTBACK_ITEMS[8])],
            "prefix": "9",
            "text": STARTBACK_BOTHER_QUESTION,
            "type": "choice",
            "required": True,
            "answerOption": [
                {"valueCoding": bothersomeness_coding(value)} for value in Bothersomeness
            ],
        }
    )
    return items


def bothersomeness_coding(value: Bothersomeness) -> Json:
    """STarT Back item 9's answer as a Coding with its display."""
    return _coding(c.CS_BOTHERSOMENESS, value.value, BOTHERSOMENESS_LABELS[value])


def _coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


_ITEMS: Final = {
    Instrument.ODI: _odi_items,
    Instrument.RMDQ: _rmdq_items,
    Instrument.PSFS: _psfs_items,
    Instrument.STARTBACK: _startback_items,
}
