"""Generated narratives: a short human-readable XHTML summary on every exported resource.

``with_narrative`` builds ``text`` (status ``generated``) from the resource's own
elements only, so the narrative never says more than the coded data. Every value that
comes from a record (names, notes, activity names, codes) is XHTML-escaped, and only
the plain elements FHIR allows in narratives are used (``p``, ``ul``, ``li``, ``b``).
"""

from __future__ import annotations

from html import escape
from typing import Any

Json = dict[str, Any]

XHTML_NS = "http://www.w3.org/1999/xhtml"


def with_narrative(resource: Json) -> Json:
    """A copy of ``resource`` with ``text`` right after its ``id``."""
    lines = _SUMMARIES.get(str(resource.get("resourceType")), _generic)(resource)
    text = {"status": "generated", "div": _div(str(resource.get("resourceType")), lines)}
    out: Json = {}
    for key, value in resource.items():
        if key == "text":
            continue
        out[key] = value
        if key == "id":
            out["text"] = text
    if "text" not in out:
        out["text"] = text
    return out


def _div(title: str, lines: list[tuple[str, str | list[str]]]) -> str:
    parts = [f'<div xmlns="{XHTML_NS}">', f"<p><b>{escape(title)}</b></p>"]
    for label, value in lines:
        if isinstance(value, list):
            if not value:
                continue
            items = "".join(f"<li>{escape(item)}</li>" for item in value)
            parts.append(f"<p>{escape(label)}:</p><ul>{items}</ul>")
        elif value:
            parts.append(f"<p>{escape(label)}: {escape(value)}</p>")
    parts.append("</div>")
    return "".join(parts)


def concept_text(concept: Json | None) -> str:
    """The text of a CodeableConcept: its text, else its first display, else its code."""
    if not concept:
        return ""
    if concept.get("text"):
        return str(concept["text"])
    codings = concept.get("coding") or []
    for coding in codings:
        if coding.get("display"):
            return str(coding["display"])
    return str(codings[0].get("code", "")) if codings else ""


def value_text(holder: Json) -> str:
    """The ``value[x]`` (or ``answer`` value) of an element as plain text."""
    for key, value in holder.items():
        if not key.startswith("value"):
            continue
        if key == "valueBoolean":
            return "yes" if value else "no"
        if key == "valueQuantity":
            return f"{value.get('value')} {value.get('unit', '')}".strip()
        if key == "valueRange":
            low, high = value.get("low", {}), value.get("high", {})
            return f"{low.get('value')}-{high.get('value')} {high.get('unit', '')}".strip()
        if key == "valueCodeableConcept":
            return concept_text(value)
        if key == "valueCoding":
            return str(value.get("display") or value.get("code", ""))
        return str(value)
    return ""


def _patient(resource: Json) -> list[tuple[str, str | list[str]]]:
    names = [str(name.get("text", "")) for name in resource.get("name") or []]
    return [
        ("Name", ", ".join(names) or "not recorded"),
        ("Born", str(resource.get("birthDate", ""))),
        ("Identifier", ", ".join(str(i.get("value")) for i in resource.get("identifier") or [])),
    ]


def _careplan(resource: Json) -> list[tuple[str, str | list[str]]]:
    stages = [
        f"{detail.get('description', '')}: {detail.get('status', '')}"
        for detail in (activity.get("detail") or {} for activity in resource.get("activity") or [])
    ]
    notes = [
        f"{note.get('time', '')} {note.get('text', '')}" for note in resource.get("note") or []
    ]
    return [
        ("Programme", str(resource.get("title", ""))),
        ("Status", str(resource.get("status", ""))),
        ("Started", str((resource.get("period") or {}).get("start", ""))),
        ("Stages", stages),
        ("Changes", notes),
    ]


def _observation(resource: Json) -> list[tuple[str, str | list[str]]]:
    components = [
        f"{concept_text(component.get('code'))}: {value_text(component)}"
        for component in resource.get("component") or []
    ]
    return [
        ("What", concept_text(resource.get("code"))),
        ("When", str(resource.get("effectiveDateTime", ""))),
        ("Value", value_text(resource)),
        ("Where", concept_text(resource.get("bodySite"))),
        ("Details", components),
    ]


def _answers(items: list[Json]) -> list[str]:
    out: list[str] = []
    for item in items:
        answers = [value_text(answer) for answer in item.get("answer") or []]
        if answers:
            out.append(f"{item.get('linkId')}: {', '.join(answers)}")
        out.extend(_answers(item.get("item") or []))
    return out


def _response(resource: Json) -> list[tuple[str, str | list[str]]]:
    return [
        ("Questionnaire", str(resource.get("questionnaire", ""))),
        ("Status", str(resource.get("status", ""))),
        ("Answered", str(resource.get("authored", ""))),
        ("Answers", _answers(resource.get("item") or [])),
    ]


def _items(items: list[Json]) -> list[str]:
    out: list[str] = []
    for item in items:
        text = item.get("text")
        out.append(f"{item.get('linkId')} ({item.get('type')}){': ' + text if text else ''}")
        out.extend(_items(item.get("item") or []))
    return out


def _questionnaire(resource: Json) -> list[tuple[str, str | list[str]]]:
    return [
        ("Title", str(resource.get("title", ""))),
        ("Canonical", f"{resource.get('url', '')} version {resource.get('version', '')}"),
        ("Status", str(resource.get("status", ""))),
        ("Items", _items(resource.get("item") or [])),
    ]


def _flag(resource: Json) -> list[tuple[str, str | list[str]]]:
    period = resource.get("period") or {}
    return [
        ("Red flag", concept_text(resource.get("code"))),
        ("Status", str(resource.get("status", ""))),
        ("Raised", str(period.get("start", ""))),
        ("Resolved", str(period.get("end", ""))),
    ]


def _generic(resource: Json) -> list[tuple[str, str | list[str]]]:
    return [("Status", str(resource.get("status", "")))]


_SUMMARIES = {
    "Patient": _patient,
    "CarePlan": _careplan,
    "Observation": _observation,
    "QuestionnaireResponse": _response,
    "Questionnaire": _questionnaire,
    "Flag": _flag,
}
