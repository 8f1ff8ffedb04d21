"""Questionnaires in the web app: page forms read into answers, and the due list and the
history with verdicts in the shape the pages and the API share.

Without a wording pack, the wording of ODI and RMDQ items is on the paper form the
clinician hands out (as in the terminal coach): the pages name each ODI section and
number the RMDQ statements. With one (``spinestep.services.wording_packs``), the pages
show its items and options; the form's fields and their scoring stay the same.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData

from spinestep.domain.instants import MAX_ID
from spinestep.domain.questionnaire_wording import (
    BOTHERSOMENESS_LABELS,
    ODI_SECTION_NAMES,
    STARTBACK_STATEMENTS,
)
from spinestep.domain.scoring import Instrument
from spinestep.errors import InvalidInput
from spinestep.services.questionnaire_scores import (
    INSTRUMENT_NAMES,
    VERDICT_TEXT,
    DueItem,
    QuestionnaireHistory,
    answers_from_json,
)
from spinestep.services.record_types import Answers
from spinestep.web import forms
from spinestep.web.views_history import local_when

ASKED = (Instrument.STARTBACK, Instrument.ODI, Instrument.RMDQ, Instrument.PSFS)
TITLES = {
    Instrument.STARTBACK: "STarT Back screening",
    Instrument.ODI: "Oswestry Disability Index (ODI)",
    Instrument.RMDQ: "Roland-Morris Disability Questionnaire (RMDQ)",
    Instrument.PSFS: "Patient-Specific Functional Scale (PSFS)",
}
ODI_SECTIONS = ODI_SECTION_NAMES
RMDQ_STATEMENTS = 24
PSFS_ACTIVITIES = 5
STARTBACK_ITEMS = STARTBACK_STATEMENTS
BOTHER_LABELS = BOTHERSOMENESS_LABELS


def asked_instrument(code: str) -> Instrument:
    """The questionnaire named in a URL or request (NPRS comes with every session)."""
    try:
        instrument = Instrument(code)
    except ValueError:
        instrument = Instrument.NPRS
    if instrument not in ASKED:
        raise InvalidInput("instrument", "must be startback, odi, rmdq or psfs")
    return instrument


def answers_from_form(instrument: Instrument, form: FormData) -> Answers:
    """Read a questionnaire page's form; the service scores and checks it."""
    data: dict[str, Any]
    if instrument is Instrument.ODI:
        sections = [
            forms.optional_integer(form, f"odi_{n}", 0, 5) for n in range(1, len(ODI_SECTIONS) + 1)
        ]
        data = {"answers": sections}
    elif instrument is Instrument.RMDQ:
        data = {
            "ticked": [n for n in range(1, RMDQ_STATEMENTS + 1) if forms.checked(form, f"rmdq_{n}")]
        }
    elif instrument is Instrument.PSFS:
        names, ratings = [], []
        for n in range(1, PSFS_ACTIVITIES + 1):
            name = forms.text(form, f"psfs_activity_{n}", max_chars=200)
            if name:
                names.append(name)
                ratings.append(
                    forms.integer(form, f"psfs_rating_{n}", 0, 10, f"rating of activity {n}")
                )
        if not names:
            raise InvalidInput("psfs_activity_1", "name at least one activity and rate it")
        data = {"activities": names, "ratings": ratings}
    else:
        items = [1 if forms.yes_no(form, f"startback_{n}") else 0 for n in range(1, 9)]
        data = {"items": items, "bothersomeness": forms.text(form, "bothersomeness", max_chars=20)}
    return answers_from_json(instrument, data)


def shown_pack_id(form: FormData) -> int | None:
    """The wording pack the page showed (its hidden field), or None for the paper form."""
    if not forms.text(form, "wording_pack", max_chars=12):
        return None
    return forms.integer(form, "wording_pack", 1, MAX_ID, "wording pack")


def number(value: int | Decimal | None) -> int | float | None:
    """A score for JSON: integers stay integers, exact decimals become floats."""
    if value is None or isinstance(value, int):
        return value
    return float(value)


def due_json(items: tuple[DueItem, ...], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "instrument": item.instrument.value,
            "title": TITLES.get(item.instrument, item.instrument.value),
            "due_at": item.due_at,
            "due_now": item.due_at <= now,
            "optional": item.optional,
            "reason": item.reason,
        }
        for item in items
    ]


def history_json(found: QuestionnaireHistory) -> dict[str, Any]:
    """STarT Back risk group and each measure's baseline and follow-ups with their verdict."""
    startback = found.startback
    return {
        "startback": None
        if startback is None
        else {
            "at": startback.at,
            "total": startback.total,
            "psychosocial": startback.psychosocial,
            "risk": startback.risk.value,
        },
        "measures": [
            {
                "measure": m.measure.value,
                "name": INSTRUMENT_NAMES[Instrument(m.measure.value)],
                "baseline": {"at": m.baseline.at, "score": number(m.baseline.value)},
                "follow_ups": [
                    {
                        "at": f.point.at,
                        "score": number(f.point.value),
                        "improvement": number(f.change.improvement),
                        "improvement_percent": number(f.change.improvement_percent),
                        "important": f.change.important,
                        "worsened": f.change.worsened,
                        "verdict": f.verdict.value,
                        "verdict_text": VERDICT_TEXT[f.verdict],
                    }
                    for f in m.follow_ups
                ],
            }
            for m in found.measures
        ],
    }


def history_page_values(found: QuestionnaireHistory, time_zone: str) -> dict[str, Any]:
    """The history for a page: times in the patient's zone, scores as short text."""
    data = history_json(found)
    if data["startback"] is not None:
        data["startback"]["when"] = local_when(data["startback"]["at"], time_zone)
    for m in data["measures"]:
        m["baseline"]["when"] = local_when(m["baseline"]["at"], time_zone)
        m["baseline"]["text"] = _text(m["baseline"]["score"])
        for f in m["follow_ups"]:
            f["when"] = local_when(f["at"], time_zone)
            f["text"] = _text(f["score"])
            f["improvement_text"] = _text(f["improvement"])
            f["percent_text"] = (
                "" if f["improvement_percent"] is None else f"{_text(f['improvement_percent'])} %"
            )
    return data


def due_page_values(
    items: tuple[DueItem, ...], now: datetime, time_zone: str
) -> list[dict[str, Any]]:
    rows = due_json(items, now)
    for row in rows:
        row["when"] = "now" if row["due_now"] else local_when(row["due_at"], time_zone)[:11]
    return rows


def _text(value: int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}".rstrip("0").rstrip(".")
