"""The safety check that opens a session in the pages (SPEC §4).

Before the first session of the patient's local day each question is asked on its own;
later that day one question lists the every-session flags, and its "yes" opens the
full list. Answers given are kept when one is missing, and the error names the missing
question in plain words. A "yes" is stored at once, even with questions unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from spinestep.domain.redflags import RedFlag
from spinestep.services import screening
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.records import FlagSource
from spinestep.services.screening import (
    COMBINED_QUESTION,
    DueScreening,
    ScreeningForm,
    ScreeningOutcome,
)

COMBINED_FIELD = "combined"
#: Shown on the check after a session was refused for want of a fresh check.
REQUIRED_NOTICE = (
    "Please answer the safety questions first. Each session needs a safety check taken "
    "since your last session and at most 2 hours before. Nothing was saved."
)
OPENED_NOTICE = "You said something has started. Please answer each question to say which."
NEW_DAY_NOTICE = "A new day has begun: please answer each question on its own."


def page_values(
    due: DueScreening,
    *,
    full: bool = False,
    selected: Mapping[str, str] | None = None,
    missing: Iterable[str] = (),
    notice: str | None = None,
) -> dict[str, Any]:
    """What ``patient/session_check.html`` needs; ``full`` shows every question one by one."""
    combined = due.form is ScreeningForm.COMBINED and not full
    return {
        "check_form": ScreeningForm.COMBINED.value if combined else ScreeningForm.FULL.value,
        "combined_question": COMBINED_QUESTION,
        "combined_flags": due.every_session if combined else (),
        "flags": due.also_due if combined else due.questions,
        "selected": dict(selected or {}),
        "combined_selected": None,
        "missing": frozenset(missing),
        "check_notice": notice,
    }


@dataclass(frozen=True, slots=True)
class CheckSubmission:
    """Either the stored check (``outcome``) or the check page again (``values``, ``error``)."""

    outcome: ScreeningOutcome | None = None
    values: dict[str, Any] | None = None
    error: str | None = None


def _plain_list(questions: list[str]) -> str:
    quoted = [f"“{question}”" for question in questions]
    if len(quoted) == 1:
        return f"Please answer this question: {quoted[0]}"
    return f"Please answer these {len(quoted)} questions: " + " ".join(quoted)


def _answer(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if value in ("yes", "no") else None


def submit_check(
    ctx: ServiceContext, actor: Actor, patient_id: int, form: FormData
) -> CheckSubmission:
    """Store the check, or say what is still to be answered (answers given are kept)."""
    due = screening.due_screening(ctx, actor, patient_id)
    selected: dict[str, str] = {}
    for flag in due.questions:
        value = _answer(form, f"flag_{flag.code}")
        if value is not None:
            selected[flag.code] = value
    answers = {code: value == "yes" for code, value in selected.items()}
    posted_combined = form.get("check_form") == ScreeningForm.COMBINED.value
    combined = _answer(form, COMBINED_FIELD) if posted_combined else None
    none_started = combined == "no" and due.form is ScreeningForm.COMBINED

    def store(none: bool) -> CheckSubmission:
        outcome = screening.record_screening(
            ctx, actor, patient_id, answers, FlagSource.SESSION, none_started=none
        )
        return CheckSubmission(outcome=outcome)

    if any(answers.values()):  # a "yes" is stored at once, whatever is still unanswered
        return store(none_started)
    if posted_combined and due.form is ScreeningForm.FULL:
        return CheckSubmission(values=page_values(due, selected=selected, notice=NEW_DAY_NOTICE))
    if combined == "yes":
        return CheckSubmission(
            values=page_values(due, full=True, selected=selected, notice=OPENED_NOTICE)
        )
    asked: tuple[RedFlag, ...] = due.also_due if posted_combined else due.questions
    missing = [flag for flag in asked if flag.code not in answers]
    missing_codes = [flag.code for flag in missing]
    questions = [flag.question for flag in missing]
    if posted_combined and combined is None:
        missing_codes.insert(0, COMBINED_FIELD)
        questions.insert(0, COMBINED_QUESTION)
    if questions:
        values = page_values(
            due, full=not posted_combined, selected=selected, missing=missing_codes
        )
        if posted_combined:
            values["combined_selected"] = combined
        return CheckSubmission(values=values, error=_plain_list(questions))
    return store(none_started)
