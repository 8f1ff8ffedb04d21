"""The decision rules R1-R9 of SPEC §3.3 (rules version 2026.12-1): what the patient does
next, and why.

``decide`` is pure and cheap: each rule walks back from the most recent session only as
far as it needs (``spinestep.domain.history``), so a history of 10,000 sessions costs about
the same as one of 30. ``DecisionInput.sessions`` must already be in time order, oldest
first (``spinestep.domain.decide_request`` sorts them).
"""

from __future__ import annotations

from dataclasses import replace

from spinestep.domain.history import (
    REVIEW_AFTER_DATES,
    is_aggravating,
    reference_session,
    rise,
    run_dates_reach,
    spread_since_previous,
    window_qualifies,
)
from spinestep.domain.model import (
    Decision,
    DecisionInput,
    DecisionResult,
    Direction,
    DirectionalPreference,
    Dose,
    Phase,
    Reason,
    Urgency,
)
from spinestep.domain.redflags import RedFlag, most_urgent_first
from spinestep.domain.responses import derive_responses, is_peripheralised
from spinestep.errors import InvalidInput

RULES_VERSION = "2026.12-1"

_OPPOSITE = {
    Direction.FLEXION: DirectionalPreference.EXTENSION,
    Direction.EXTENSION: DirectionalPreference.FLEXION,
}

_SEE_CLINICIAN = "Please contact your clinician before you exercise again."


class _Outcome:
    """Builds the result of one call of ``decide``; the SPEC §3.4 output rules live here."""

    def __init__(self, inp: DecisionInput) -> None:
        self.inp = inp
        last = inp.sessions[-1] if inp.sessions else None
        self.responses = derive_responses(last) if last is not None else None

    def __call__(
        self,
        decision: Decision,
        urgency: Urgency,
        reason: Reason | tuple[Reason, ...],
        message: str,
        next_stage: int | None = None,
    ) -> DecisionResult:
        inp = self.inp
        continues = decision.continues_programme
        maintain = decision is Decision.MAINTAIN
        if not continues:
            next_stage = None
        dose = None
        if next_stage is not None:
            dose = _dose(inp, next_stage)
            if maintain:
                dose = replace(dose, sessions_per_day=inp.settings.maintenance_sessions_per_day)
        return DecisionResult(
            decision=decision,
            urgency=urgency,
            current_stage=inp.current_stage,
            next_stage=next_stage,
            continue_programme=continues,
            responses=self.responses,
            reasons=reason if isinstance(reason, tuple) else (reason,),
            message=message,
            dose=dose,
            rules_version=RULES_VERSION,
            phase=Phase.MAINTENANCE if maintain else inp.phase,
        )


def decide(inp: DecisionInput) -> DecisionResult:
    """Apply R1..R9 in order; the first rule that applies decides.

    Raises InvalidInput only for input no parser would let through (a current stage
    outside the protocol, or other than the maintenance stage in maintenance).
    """
    _check_stage(inp)
    result = _Outcome(inp)

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
            Reason("R2", "A clinician has not yet cleared this person for the programme."),
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
            Reason(
                "R3",
                f"The directional preference is {preferred}, but this protocol "
                f"uses {direction.value}.",
            ),
            f"Your clinician found that {preferred} movements help your back, and this "
            f"programme uses {direction.value}. Do not start it; ask your clinician which "
            "programme is right for you.",
        )

    return _worsening(inp, result) or _progression(inp, result) or _carry_on(inp, result)


def _worsening(inp: DecisionInput, result: _Outcome) -> DecisionResult | None:
    """R4-R7: symptoms spreading or pain rising."""
    sessions = inp.sessions
    if not sessions:
        return None
    last = sessions[-1]
    stage = inp.current_stage
    points = inp.settings.worsening_points

    # R4: the last session peripheralised, or its symptoms spread since the previous one.
    if is_peripheralised(last) or spread_since_previous(sessions):
        when = "in your last session" if is_peripheralised(last) else "since your session before"
        return result(
            Decision.STOP,
            Urgency.SOON,
            Reason(
                "R4", f"The symptoms spread further from the back ({when.replace('your', 'the')})."
            ),
            f"Stop the exercises: your symptoms spread further from your back {when}. "
            f"{_SEE_CLINICIAN}",
        )

    # R5: the last two sessions were both aggravating.
    if len(sessions) >= 2 and is_aggravating(last, points) and is_aggravating(sessions[-2], points):
        return result(
            Decision.STOP,
            Urgency.SOON,
            Reason(
                "R5",
                f"Pain after rose by {points} points or more in each of the last two sessions.",
            ),
            "Stop the exercises: your pain was clearly worse after each of your last two "
            f"sessions. {_SEE_CLINICIAN}",
        )

    # R6: the last session was aggravating (a rise at a higher stage was already answered).
    if is_aggravating(last, points) and last.stage <= stage:
        reason = Reason(
            "R6", f"Pain after rose by {rise(last)} points in the last session ({points} or more)."
        )
        return _step_back(
            inp, result, reason, "your pain was clearly worse after your last session"
        )

    # R7: pain before exercising has risen against the same time of day two dates back.
    if len(sessions) >= 3 and all(session.stage <= stage for session in sessions[-3:]):
        reference = reference_session(sessions)
        if (
            reference is not None
            and reference.stage <= stage
            and last.pain_before - reference.pain_before >= points
        ):
            reason = Reason(
                "R7",
                f"Pain before exercising rose from {reference.pain_before} to "
                f"{last.pain_before} since the first session of "
                f"{reference.at.date().isoformat()} ({points} points or more).",
            )
            return _step_back(inp, result, reason, "your pain before exercising has been rising")
    return None


def _step_back(inp: DecisionInput, result: _Outcome, reason: Reason, what: str) -> DecisionResult:
    """R6/R7: go back a stage in the progression phase; at stage 1 or in maintenance, stop."""
    stage = inp.current_stage
    if inp.phase is Phase.PROGRESSION and stage >= 2:
        return result(
            Decision.REGRESS,
            Urgency.SOON,
            reason,
            f"Go back to stage {stage - 1} ({_title(inp, stage - 1)}) for now: {what}. "
            "Let your clinician know.",
            next_stage=stage - 1,
        )
    return result(
        Decision.STOP, Urgency.SOON, reason, f"Stop the exercises: {what}. {_SEE_CLINICIAN}"
    )


def _progression(inp: DecisionInput, result: _Outcome) -> DecisionResult | None:
    """R8: every session of the window at this stage was easy and painless."""
    if inp.phase is not Phase.PROGRESSION:
        return None
    stage = inp.current_stage
    settings = inp.settings
    if not window_qualifies(inp.sessions, stage, inp.run_since, settings):
        return None
    reason = Reason(
        "R8",
        f"At least {settings.progress_after_sessions} recent sessions at stage {stage}, on at "
        f"least {settings.min_days_at_stage} different days, were all easy and painless.",
    )
    if stage >= inp.protocol.final_stage:
        maintenance = inp.protocol.maintenance_stage
        return result(
            Decision.MAINTAIN,
            Urgency.NONE,
            reason,
            "Well done: you have completed the programme. To keep your back moving and "
            f"help prevent the pain coming back, keep up stage {maintenance} "
            f"({_title(inp, maintenance)}) "
            f"{_times_a_day(inp.settings.maintenance_sessions_per_day)} as maintenance.",
            next_stage=maintenance,
        )
    return result(
        Decision.PROGRESS,
        Urgency.NONE,
        reason,
        "Well done: your recent sessions were easy and painless. Move on to stage "
        f"{stage + 1} ({_title(inp, stage + 1)}).",
        next_stage=stage + 1,
    )


def _carry_on(inp: DecisionInput, result: _Outcome) -> DecisionResult:
    """R9: the first of its messages that applies."""
    stage = inp.current_stage
    title = _title(inp, stage)
    maintenance = inp.phase is Phase.MAINTENANCE
    decision = Decision.MAINTAIN if maintenance else Decision.STAY
    exercise = f"stage {stage} ({title})"
    urgency = Urgency.NONE
    last = inp.sessions[-1] if inp.sessions else None
    if last is None:
        text = "No sessions have been recorded yet."
        message = f"Start with {exercise}. Go gently with the first few repetitions."
    elif not last.completed:
        text = "The last session was stopped early."
        message = (
            "Rest now. Try your next session only if your symptoms are no worse than before "
            "you started; if they are worse or spreading down your leg, do not exercise and "
            "contact your clinician."
        )
    elif 1 <= rise(last) < inp.settings.worsening_points:
        text = (
            f"Pain after rose by {rise(last)} point(s) in the last session, less than "
            f"{inp.settings.worsening_points}: within the error of the pain scale."
        )
        message = (
            f"Careful: your pain was a little higher after your last session. Carry on gently "
            f"with {exercise}, and stop if the pain gets worse or spreads down your leg."
        )
    elif not maintenance and run_dates_reach(
        inp.sessions, stage, inp.run_since, REVIEW_AFTER_DATES
    ):
        urgency = Urgency.ROUTINE
        text = f"No progress at stage {stage} in sessions on {REVIEW_AFTER_DATES} or more days."
        message = (
            f"Carry on with {exercise}, and arrange a review with your clinician: you have "
            "been at this stage for two weeks without moving on."
        )
    elif maintenance:
        text = "The programme is complete; no rule to stop applies."
        message = (
            f"Keep up your maintenance exercise, {exercise}, to keep your back moving and "
            "help prevent the pain coming back."
        )
    else:
        text = "No rule to stop, go back or move on applies; keep going at this stage."
        message = f"Carry on with {exercise}."
    return result(decision, urgency, Reason("R9", text), message, next_stage=stage)


def _check_stage(inp: DecisionInput) -> None:
    protocol = inp.protocol
    stage = inp.current_stage
    if not 1 <= stage <= protocol.final_stage:
        raise InvalidInput(
            "current_stage", f"must be a stage of {protocol.id} (1-{protocol.final_stage})"
        )
    if inp.phase is Phase.MAINTENANCE and stage != protocol.maintenance_stage:
        raise InvalidInput(
            "current_stage",
            f"must be {protocol.maintenance_stage}, the maintenance stage of {protocol.id}, "
            "in the maintenance phase",
        )


def _times_a_day(count: int) -> str:
    return {1: "once a day", 2: "twice a day"}.get(count, f"{count} times a day")


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


def flag_guidance(flag: RedFlag, emergency_number: str) -> str:
    """What to do at once after a "yes" to ``flag``: the message its decision gives."""
    return _flag_message(flag, emergency_number)


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
