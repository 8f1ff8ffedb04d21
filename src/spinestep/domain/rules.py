"""The decision rules R1-R9 of SPEC §3.3: what the patient does next, and why.

``decide`` is pure and cheap: it only ever looks at the few most recent sessions
(at most ``max(progress_after_sessions, 3)``), so a history of 10,000 sessions costs
about the same as one of 30. ``DecisionInput.sessions`` must already be in time order,
oldest first (``spinestep.domain.decide_request`` sorts them).
"""

from __future__ import annotations

from typing import Protocol

from spinestep.domain.model import (
    Decision,
    DecisionInput,
    DecisionResult,
    Direction,
    DirectionalPreference,
    Dose,
    Reason,
    SessionRecord,
    Urgency,
)
from spinestep.domain.redflags import RedFlag, most_urgent_first
from spinestep.domain.responses import derive_responses, is_peripheralised, is_worse, qualifies
from spinestep.errors import InvalidInput

RULES_VERSION = "2026.11-1"

_OPPOSITE = {
    Direction.FLEXION: DirectionalPreference.EXTENSION,
    Direction.EXTENSION: DirectionalPreference.FLEXION,
}


class _ResultFactory(Protocol):
    def __call__(
        self,
        decision: Decision,
        urgency: Urgency,
        reasons: tuple[Reason, ...],
        message: str,
        next_stage: int | None = None,
    ) -> DecisionResult: ...


_SEE_CLINICIAN = "Please contact your clinician before you exercise again."


def decide(inp: DecisionInput) -> DecisionResult:
    """Apply R1..R9 in order; the first rule that applies decides.

    Raises InvalidInput only for input no parser would let through (a current stage
    outside the protocol, an unknown red flag code).
    """
    sessions = inp.sessions
    last = sessions[-1] if sessions else None
    responses = derive_responses(last) if last is not None else None
    stage = inp.current_stage
    if not 1 <= stage <= inp.protocol.final_stage:
        raise InvalidInput(
            "current_stage", f"must be a stage of {inp.protocol.id} (1-{inp.protocol.final_stage})"
        )

    def result(
        decision: Decision,
        urgency: Urgency,
        reasons: tuple[Reason, ...],
        message: str,
        next_stage: int | None = None,
    ) -> DecisionResult:
        continues = decision.continues_programme
        return DecisionResult(
            decision=decision,
            urgency=urgency,
            current_stage=stage,
            next_stage=next_stage if continues else None,
            continue_programme=continues,
            responses=responses,
            reasons=reasons,
            message=message,
            dose=_dose(inp, next_stage) if continues and next_stage is not None else None,
            rules_version=RULES_VERSION,
        )

    # R1: any red flag given; the most urgent one decides.
    if inp.red_flags:
        flags = most_urgent_first(inp.red_flags)
        top = flags[0]
        reasons = tuple(
            Reason("R1", _flag_reason(flag, inp.emergency_number), flag.code) for flag in flags
        )
        return result(top.decision, top.urgency, reasons, _flag_message(top, inp.emergency_number))

    # R2: no clearance.
    if not inp.clearance:
        return result(
            Decision.DO_NOT_START,
            Urgency.ROUTINE,
            (Reason("R2", "A clinician has not yet cleared this person for the programme."),),
            "Please do not start these exercises until your clinician has checked your back "
            "and cleared you for this programme.",
        )

    # R3: the clinician found the opposite direction helps.
    direction = inp.protocol.direction
    if inp.directional_preference is _OPPOSITE[direction]:
        preferred = inp.directional_preference.value
        return result(
            Decision.DO_NOT_START,
            Urgency.ROUTINE,
            (
                Reason(
                    "R3",
                    f"The directional preference is {preferred}, but this protocol "
                    f"uses {direction.value}.",
                ),
            ),
            f"Your clinician found that {preferred} movements help your back, and this "
            f"programme uses {direction.value}. Do not start it; ask your clinician which "
            "programme is right for you.",
        )

    if last is None:
        return _stay(inp, result, first=True)

    # R4: the last session peripheralised.
    if is_peripheralised(last):
        return result(
            Decision.STOP,
            Urgency.SOON,
            (Reason("R4", "The symptoms spread further from the back in the last session."),),
            "Stop the exercises: after your last session your symptoms spread further "
            f"from your back. {_SEE_CLINICIAN}",
        )

    # R5: the last two sessions were both worse.
    if len(sessions) >= 2 and is_worse(last) and is_worse(sessions[-2]):
        return result(
            Decision.STOP,
            Urgency.SOON,
            (Reason("R5", "Pain was worse after each of the last two sessions."),),
            f"Stop the exercises: your pain was worse after each of your last two sessions. "
            f"{_SEE_CLINICIAN}",
        )

    worsening = inp.settings.worsening_points
    final = inp.protocol.final_stage

    # R6: the last session was worse.
    if is_worse(last):
        clearly = last.pain_after - last.pain_before >= worsening
        amount = "clearly" if clearly else "a little"
        reason = Reason(
            "R6",
            f"Pain was {amount} worse after the last session "
            f"({'at least' if clearly else 'less than'} {worsening} points).",
        )
        if stage >= 2:
            title = _title(inp, stage - 1)
            return result(
                Decision.REGRESS,
                Urgency.SOON if clearly else Urgency.NONE,
                (reason,),
                f"Your pain was {amount} worse after your last session. Go back to stage "
                f"{stage - 1} ({title}) for now"
                + (", and let your clinician know." if clearly else "."),
                next_stage=stage - 1,
            )
        if clearly:
            return result(
                Decision.STOP,
                Urgency.SOON,
                (reason,),
                f"Stop the exercises: your pain was clearly worse after your last session. "
                f"{_SEE_CLINICIAN}",
            )
        return result(
            Decision.STAY,
            Urgency.NONE,
            (reason,),
            f"Careful: your pain was a little worse after your last session. Carry on gently "
            f"with stage 1 ({_title(inp, 1)}), and stop if the pain gets worse again or "
            "spreads down your leg.",
            next_stage=1,
        )

    # R7: pain before exercising has crept up over the last three sessions.
    if len(sessions) >= 3 and last.pain_before - sessions[-3].pain_before >= worsening:
        reason = Reason(
            "R7",
            f"Pain before exercising rose by at least {worsening} points over the last "
            "three sessions.",
        )
        if stage >= 2:
            return result(
                Decision.REGRESS,
                Urgency.SOON,
                (reason,),
                f"Your pain before exercising has been rising. Go back to stage {stage - 1} "
                f"({_title(inp, stage - 1)}) for now, and let your clinician know.",
                next_stage=stage - 1,
            )
        return result(
            Decision.STOP,
            Urgency.SOON,
            (reason,),
            f"Stop the exercises: your pain before exercising has been rising. {_SEE_CLINICIAN}",
        )

    # R8: enough recent easy, non-aggravating sessions at this stage on enough days.
    needed = inp.settings.progress_after_sessions
    if len(sessions) >= needed and _ready_to_move_on(
        sessions[-needed:], stage, inp.settings.min_days_at_stage
    ):
        days = inp.settings.min_days_at_stage
        reason = Reason(
            "R8",
            f"The last {needed} sessions were at stage {stage}, easy and not aggravating, "
            f"on at least {days} different days.",
        )
        if stage >= final:
            return result(
                Decision.MAINTAIN,
                Urgency.NONE,
                (reason,),
                "Well done: you have completed the programme. Keep your back moving with "
                f"stage 1 ({_title(inp, 1)}) a few times a day as maintenance.",
                next_stage=final,
            )
        return result(
            Decision.PROGRESS,
            Urgency.NONE,
            (reason,),
            f"Well done: your recent sessions were easy and did not make things worse. "
            f"Move on to stage {stage + 1} ({_title(inp, stage + 1)}).",
            next_stage=stage + 1,
        )

    return _stay(inp, result, first=False)


def _stay(inp: DecisionInput, result: _ResultFactory, *, first: bool) -> DecisionResult:
    stage = inp.current_stage
    title = _title(inp, stage)
    if first:
        text = "No sessions have been recorded yet."
        message = f"Start with stage {stage} ({title})."
    else:
        text = "No rule to stop, go back or move on applies; keep going at this stage."
        message = f"Carry on with stage {stage} ({title})."
    return result(Decision.STAY, Urgency.NONE, (Reason("R9", text),), message, stage)


def _ready_to_move_on(
    window: tuple[SessionRecord, ...], stage: int, min_days_at_stage: int
) -> bool:
    for session in window:
        if session.stage != stage or not qualifies(session):
            return False
    return len({session.at.date() for session in window}) >= min_days_at_stage


def _title(inp: DecisionInput, stage: int) -> str:
    return inp.protocol.stages[stage - 1].title


def _dose(inp: DecisionInput, stage: int) -> Dose:
    override = inp.doses.get(stage)
    return override if override is not None else inp.protocol.stages[stage - 1].dose


_ACTION_BY_URGENCY = {
    Urgency.EMERGENCY: "call {number} or go to an emergency department now",
    Urgency.URGENT_SAME_DAY: "see a doctor today",
    Urgency.URGENT: "see a doctor urgently, within days",
    Urgency.SOON: "see your clinician soon",
    Urgency.ROUTINE: "tell your clinician at a routine appointment",
}


def _flag_reason(flag: RedFlag, emergency_number: str) -> str:
    action = _ACTION_BY_URGENCY[flag.urgency].format(number=emergency_number)
    return f"Red flag '{flag.code}': possible {flag.suspected}; {action}."


def _flag_message(top: RedFlag, emergency_number: str) -> str:
    if top.urgency is Urgency.EMERGENCY:
        return (
            f"Stop exercising now and call {emergency_number} or go to the nearest emergency "
            "department straight away. What you reported can be a sign of a serious problem "
            "with the nerves at the bottom of the spine that needs treatment today."
        )
    if top.urgency is Urgency.URGENT_SAME_DAY:
        return (
            "Stop the exercises and contact your doctor or clinic today. If you cannot be "
            f"seen today, go to an emergency department, or call {emergency_number} if you "
            "get much worse."
        )
    if top.urgency is Urgency.URGENT:
        return (
            "Stop the exercises and see your doctor urgently, within the next few days, so "
            "they can check what is causing the pain."
        )
    when = "soon" if top.urgency is Urgency.SOON else "at your next routine appointment"
    return (
        f"Pause the exercises until your clinician has reviewed what you reported. Arrange "
        f"to see them {when}."
    )
