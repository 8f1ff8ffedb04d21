"""Chart and table values for the history pages (patient and clinician): pain, stage, adherence."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spinestep.services.views import HistoryView, TodayView
from spinestep.web.charts import Series, bar_chart, line_chart, step_chart

ADHERENCE_DAYS = 14


def local_when(at: datetime, time_zone: str) -> str:
    return at.astimezone(ZoneInfo(time_zone)).strftime("%d %b %Y %H:%M")


def daily_counts(view: HistoryView, today_local: date, days: int) -> list[tuple[date, int]]:
    zone = ZoneInfo(view.time_zone)
    counts = Counter(s.at.astimezone(zone).date() for s in view.sessions if s.completed)
    first = today_local - timedelta(days=days - 1)
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def adherence_percent(
    view: HistoryView, today_local: date, planned_per_day: int, days: int = 7
) -> int:
    done = sum(count for _, count in daily_counts(view, today_local, days))
    return min(100, round(100 * done / (planned_per_day * days))) if planned_per_day else 0


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
    done_7 = sum(count for _, count in days[-7:])
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
        "sessions": sessions,
        "pain_chart": pain_chart,
        "stage_chart": stage_chart,
        "adherence_chart": adherence_chart,
        "adherence_text": f"{done_7} of {planned * 7} planned sessions done in the last 7 days "
        f"({adherence_percent(view, today_local, planned)} %).",
    }
