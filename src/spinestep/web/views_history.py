"""Chart and table values for the history pages (patient and clinician): pain, stage, adherence."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spinestep.services.views import HistoryView, RomWeek, TodayView
from spinestep.web.charts import Series, bar_chart, line_chart, step_chart

ADHERENCE_DAYS = 14
STAGE_COLOURS = ("#1f6f7f", "#a4161a", "#6a4c93", "#c98a00")
ROM_STEP_DEG = 30


def local_when(at: datetime, time_zone: str) -> str:
    return at.astimezone(ZoneInfo(time_zone)).strftime("%d %b %Y %H:%M")


def daily_counts(view: HistoryView, today_local: date, days: int) -> list[tuple[date, int]]:
    zone = ZoneInfo(view.time_zone)
    counts = Counter(s.at.astimezone(zone).date() for s in view.sessions if s.completed)
    first = today_local - timedelta(days=days - 1)
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def adherence_text(today: TodayView | None) -> str:
    """The 7-day adherence of SPEC §3.5 in words (``services.adherence``, as on every screen)."""
    adherence = None if today is None else today.adherence
    if adherence is None or adherence.percent is None:
        return "Adherence over the last 7 days: — (no day of an active programme yet)."
    days = adherence.active_days
    return (
        f"Adherence over the last 7 days: {adherence.text} ({adherence.completed} of "
        f"{adherence.planned} planned sessions done on the {days} "
        f"{'day' if days == 1 else 'days'} the programme was active)."
    )


def rom_values(weeks: tuple[RomWeek, ...]) -> dict[str, Any]:
    """ROM per stage over ISO weeks: one line per stage, and the same numbers as rows."""
    if not weeks:
        return {"rom_chart": "", "rom_rows": []}
    labels = sorted({w.week_label for w in weeks})
    stages = sorted({(w.stage, w.stage_id) for w in weeks})
    by_key = {(w.stage, w.week_label): w.rom_deg_median for w in weeks}
    top = max(w.rom_deg_median for w in weeks)
    top_deg = max(ROM_STEP_DEG, -(-int(top) // ROM_STEP_DEG) * ROM_STEP_DEG)
    series = [
        Series(
            f"{stage} {stage_id.replace('_', ' ')}",
            [by_key.get((stage, label)) for label in labels],
            STAGE_COLOURS[i % len(STAGE_COLOURS)],
        )
        for i, (stage, stage_id) in enumerate(stages)
    ]
    chart = line_chart(
        "Range of motion per stage and week (degrees, median of the analysed sessions)",
        series,
        labels,
        top_value=float(top_deg),
    )
    rows = [
        {
            "week": w.week_label,
            "week_start": w.week_start.strftime("%d %b %Y"),
            "stage": w.stage,
            "stage_id": w.stage_id.replace("_", " "),
            "measure": w.measure.replace("_", " "),
            "rom_deg": f"{w.rom_deg_median:.1f}",
            "sessions": w.sessions,
        }
        for w in weeks
    ]
    return {"rom_chart": chart, "rom_rows": rows}


def motion_summary(motion: dict[str, Any] | None) -> dict[str, Any] | None:
    """ROM per repetition of a session saved with a motion analysis (for the timeline)."""
    if not motion:
        return None
    rom = [f"{value:.1f}" for value in motion.get("rom_deg") or [] if value is not None]
    median = motion.get("rom_deg_median")
    return {
        "measure": str(motion.get("measure", "")).replace("_", " "),
        "rom_deg": rom,
        "median": None if median is None else f"{median:.1f}",
        "held": motion.get("held_count"),
        "reps": motion.get("reps"),
    }


def history_values(view: HistoryView, today: TodayView | None, now: datetime) -> dict[str, Any]:
    zone = ZoneInfo(view.time_zone)
    today_local = now.astimezone(zone).date()
    planned = today.sessions_planned if today is not None else 5
    stage_count = (
        today.final_stage if today is not None else max((s.stage for s in view.sessions), default=1)
    )
    labels = [s.at.astimezone(zone).strftime("%d %b") for s in view.sessions]
    pain_chart = line_chart(
        "Pain before and after each session (0-10)",
        [
            Series("before", [s.pain_before for s in view.sessions], "#a4161a"),
            Series("after", [s.pain_after for s in view.sessions], "#1f6f7f", dashed=True),
        ],
        labels,
    )
    stage_chart = step_chart(
        "Stage at each session", [s.stage for s in view.sessions], labels, stage_count
    )
    days = daily_counts(view, today_local, ADHERENCE_DAYS)
    adherence_chart = bar_chart(
        "Sessions done per day against the number planned",
        [count for _, count in days],
        [planned] * len(days),
        [day.strftime("%d") for day, _ in days],
    )
    sessions = [
        {
            "when": local_when(s.at, view.time_zone),
            "stage": s.stage,
            "pain_before": s.pain_before,
            "pain_during": s.pain_during,
            "pain_after": s.pain_after,
            "location_before": s.location_before.code,
            "location_after": s.location_after.code,
            "effort": s.effort.value,
            "completed": s.completed,
        }
        for s in view.sessions
    ]
    return {
        **rom_values(view.rom_trend),
        "sessions": sessions,
        "pain_chart": pain_chart,
        "stage_chart": stage_chart,
        "adherence_chart": adherence_chart,
        "adherence_text": adherence_text(today),
    }
