"""How the terminal coach shows today's plan, a decision, and the history (Rich)."""

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
    lines: list[Text | str] = [Text(view.message)]
    if view.reasons:
        lines.append(Text("\nWhy:", style="bold"))
        for reason in view.reasons:
            lines.append(Text(f"  {reason.rule}  {reason.text}"))
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


def today_panel(view: TodayView) -> Panel:
    stage = view.stage_definition
    body: list[Text | str] = [
        Text(f"{view.protocol_title}: stage {view.stage} of {view.final_stage}", style="bold"),
        Text(stage.title, style="bold cyan"),
    ]
    body.extend(Text(f"  • {line}") for line in stage.instructions)
    body.append(Text(f"\nDose: {dose_text(view.dose)}"))
    body.append(
        Text(
            f"Today ({view.local_date.isoformat()}, {view.time_zone}): "
            f"{view.sessions_done_today} of {view.sessions_planned} sessions done"
        )
    )
    if view.programme_complete:
        body.append(
            Text(
                "\nThe programme is complete. Keep doing stage 1 a few times a day "
                "to keep your back moving.",
                style="green",
            )
        )
    if view.last_decision is not None:
        last = view.last_decision
        body.append(Text(f"\nLast decision: {headline(last.decision)} ({last.decision.value})"))
    if view.open_red_flags:
        codes = ", ".join(view.open_red_flags)
        body.append(Text(f"\nRed flags awaiting a clinician: {codes}", style="bold red"))
    if view.paused:
        body.append(
            Text(
                f"\nPAUSED: {view.paused_reason or 'stopped'}. No sessions until a clinician "
                "has seen you; then run 'spinestep resume'.",
                style="bold red",
            )
        )
    elif not view.clearance:
        body.append(Text("\nNot cleared by a clinician yet: do not start.", style="bold yellow"))
    body.append(Text(f"\nIn an emergency call {view.emergency_number}.", style="dim"))
    return Panel(Group(*body), title=f"Today for {view.display_name}", expand=False)


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
