"""How the terminal coach shows today's plan, a decision, and the history (Rich).

Text a person or a file gave (names, notes, zone names, stored messages) goes through
``safe``: control characters are shown as escapes, never sent to the terminal, and Rich
reads it as plain text, never as ``[markup]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spinestep.domain.model import Decision, Dose, Urgency
from spinestep.domain.redflags import RED_FLAGS
from spinestep.domain.text import terminal_safe
from spinestep.services.views import DecisionView, HistoryView, PainPoint, TodayView

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_STYLE = {
    Decision.EMERGENCY: "bold white on red",
    Decision.URGENT_REFERRAL: "bold red",
    Decision.CLINICIAN_REVIEW: "bold yellow",
    Decision.DO_NOT_START: "bold yellow",
    Decision.STOP: "bold red",
    Decision.REGRESS: "yellow",
    Decision.STAY: "green",
    Decision.PROGRESS: "bold green",
    Decision.MAINTAIN: "bold green",
}
_HEADLINE = {
    Decision.EMERGENCY: "EMERGENCY: stop and get help now",
    Decision.URGENT_REFERRAL: "See a doctor today",
    Decision.CLINICIAN_REVIEW: "Ask your clinician to review you",
    Decision.DO_NOT_START: "Do not start yet",
    Decision.STOP: "Stop the exercises",
    Decision.REGRESS: "Go back one stage",
    Decision.STAY: "Stay at this stage",
    Decision.PROGRESS: "Move on to the next stage",
    Decision.MAINTAIN: "Programme complete",
}


def safe(text: str) -> str:
    """``text`` fit for a terminal: control and format characters as ``\\u`` escapes.

    Put it in a ``Text`` (or ``rich.markup.escape`` it) so brackets stay brackets."""
    return terminal_safe(text)


def dose_text(dose: Dose) -> str:
    hold = (
        f"{dose.hold_s_min} s"
        if dose.hold_s_min == dose.hold_s_max
        else f"{dose.hold_s_min}-{dose.hold_s_max} s"
    )
    return f"{dose.reps} repetitions, hold {hold}, {dose.sessions_per_day} sessions a day"


def headline(decision: Decision) -> str:
    return _HEADLINE[decision]


def decision_panel(view: DecisionView, emergency_number: str) -> Panel:
    style = _STYLE[view.decision]
    lines: list[Text | str] = [Text(safe(view.message))]
    if view.reasons:
        lines.append(Text("\nWhy:", style="bold"))
        for reason in view.reasons:
            lines.append(Text(f"  {safe(reason.rule)}  {safe(reason.text)}"))
    if view.dose is not None and view.next_stage is not None:
        lines.append(Text(f"\nNext: stage {view.next_stage}, {dose_text(view.dose)}."))
    if view.urgency in (Urgency.EMERGENCY, Urgency.URGENT_SAME_DAY):
        lines.append(Text(f"\nEmergency number: {emergency_number}", style="bold"))
    if view.decision.pauses_programme:
        lines.append(
            Text(
                "\nThe programme is paused. After you have seen a clinician, run "
                "'spinestep resume'.",
                style="bold",
            )
        )
    return Panel(Group(*lines), title=f"[{style}]{headline(view.decision)}[/]", expand=False)


def _paused_lines(view: TodayView) -> list[Text | str]:
    """A paused Today: what happened, who to contact, the number to call; no exercise."""
    cause = view.pause_decision
    lines: list[Text | str] = [Text("Your programme is paused.", style="bold red")]
    if cause is not None:
        lines.append(Text(f"{headline(cause.decision)}: {safe(cause.message)}"))
    if view.emergency:
        lines.append(Text(f"Call {view.emergency_number} now.", style="bold white on red"))
    if view.self_managed:
        lines.append(Text("See a doctor or physiotherapist about this before you exercise again."))
    else:
        who = f", {safe(view.clinician_name)}," if view.clinician_name else ""
        lines.append(Text(f"Contact your clinician{who} about this before you exercise again."))
    if view.update is not None:
        lines.append(Text(safe(view.update.text)))
    if view.open_red_flags:
        codes = ", ".join(view.open_red_flags)
        lines.append(Text(f"Red flags awaiting a clinician: {codes}", style="bold red"))
    lines.append(
        Text(
            "No sessions until a clinician has seen you; then run 'spinestep resume'.",
            style="bold",
        )
    )
    return lines


def today_panel(view: TodayView) -> Panel:
    """Today in the terminal, one story (SPEC §3.5): paused, only what to do; otherwise the
    exercise of now in the patient's dose and the latest decision while it applies."""
    stage = view.stage_definition
    body: list[Text | str]
    if view.paused:
        body = _paused_lines(view)
    else:
        if view.maintenance:
            body = [
                Text(f"{view.protocol_title}: programme complete — maintenance", style="bold"),
                Text("Keep up this exercise to keep your back moving and to prevent a relapse."),
                Text(stage.title, style="bold cyan"),
            ]
        else:
            body = [
                Text(
                    f"{view.protocol_title}: stage {view.stage} of {view.final_stage}",
                    style="bold",
                ),
                Text(stage.title, style="bold cyan"),
            ]
        body.extend(Text(f"  • {line}") for line in view.instructions or stage.instructions)
        body.append(Text(f"\nDose: {dose_text(view.dose)}"))
        body.append(
            Text(
                f"Today ({view.local_date.isoformat()}, {safe(view.time_zone)}): "
                f"{view.sessions_done_today} of {view.sessions_planned} sessions done"
            )
        )
        adherence = "—" if view.adherence is None else view.adherence.text
        body.append(Text(f"Adherence over the last 7 days: {adherence}"))
        if not view.clearance:
            body.append(
                Text("\nNot cleared by a clinician yet: do not start.", style="bold yellow")
            )
        if view.update is not None:
            body.append(Text(f"\n{safe(view.update.text)}"))
        elif view.current_decision is not None:
            last = view.current_decision
            body.append(Text(f"\nAfter your last session: {headline(last.decision)}."))
            body.append(Text(safe(last.message)))
    body.append(Text(f"\nIn an emergency call {view.emergency_number}.", style="dim"))
    title = Text(f"Today for {safe(view.display_name)}")
    return Panel(Group(*body), title=title, expand=False)


def sparkline(values: Sequence[int], high: int = 10) -> str:
    """One block character per value, 0..high."""
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round(v / high * top)] for v in values)


def daily_means(points: Sequence[PainPoint]) -> list[tuple[date, float]]:
    """Mean pain after, per local date (the patient's own days)."""
    days: dict[date, list[int]] = defaultdict(list)
    for point in points:
        days[point.local_date].append(point.pain_after)
    return [(day, sum(values) / len(values)) for day, values in sorted(days.items())]


def history_table(view: HistoryView) -> Table:
    table = Table(title="Sessions", show_lines=False)
    for column in ("local time", "stage", "done", "pain b/d/a", "where b→a", "effort", "decision"):
        table.add_column(column)
    for session in view.sessions:
        decision = view.decision_for(session.id)
        table.add_row(
            session.at.strftime("%Y-%m-%d %H:%M"),
            str(session.stage),
            "yes" if session.completed else ("stopped" if session.stopped_early else "no"),
            f"{session.pain_before}/{session.pain_during}/{session.pain_after}",
            f"{session.location_before.code}→{session.location_after.code}",
            session.effort.value,
            "" if decision is None else decision.decision.value,
        )
    return table


def pain_trend(view: HistoryView, console: Console) -> None:
    points = view.pain_trend
    if not points:
        console.print("No sessions yet.")
        return
    console.print(Text("Pain trend (0-10), oldest first, one mark per session", style="bold"))
    for label, values in (
        ("before", [p.pain_before for p in points]),
        ("during", [p.pain_during for p in points]),
        ("after ", [p.pain_after for p in points]),
    ):
        console.print(f"  {label} {sparkline(values)}  last {values[-1]}")
    console.print(Text("Mean pain after, per day", style="bold"))
    for day, mean in daily_means(points):
        bar = "█" * round(mean * 2)
        console.print(f"  {day.isoformat()} {bar:<20} {mean:.1f}")


def rom_table(view: HistoryView) -> Table | None:
    """Range of motion per stage and ISO week, with a bar per week; None without any."""
    if not view.rom_trend:
        return None
    table = Table(title="Range of motion (median per week, whole-trunk or hip angle)")
    for column in ("stage", "week", "from", "measured by", "median ROM", "sessions", ""):
        table.add_column(column)
    for week in view.rom_trend:
        table.add_row(
            f"{week.stage} {week.stage_id}",
            week.week_label,
            week.week_start.isoformat(),
            week.measure.replace("_", " "),
            f"{week.rom_deg_median:.1f}°",
            str(week.sessions),
            "█" * max(0, round(week.rom_deg_median / 10)),
        )
    return table


def red_flag_question(code: str) -> str:
    return RED_FLAGS[code].question
