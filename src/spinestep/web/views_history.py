"""Chart and table values for the history pages (patient and clinician): pain, stage, adherence."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from spinestep.domain.kinematics import MIN_DETECTED_FRACTION
from spinestep.domain.model import Decision, Urgency
from spinestep.domain.redflags import RED_FLAGS
from spinestep.services.caseload_port import TimelineFilter
from spinestep.services.records import EventKind
from spinestep.services.timeline import TimelinePage
from spinestep.services.views import HistoryView, RomWeek, SessionView, TodayView
from spinestep.web.charts import Series, bar_chart, line_chart, step_chart
from spinestep.web.present import decision_out

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


def uncounted_reason(motion: dict[str, Any]) -> str | None:
    """Why the camera counted no repetition and measured no range of motion (in the
    clinician's words), or None when it did."""
    reps = motion.get("reps") or 0
    rom = [value for value in motion.get("rom_deg") or [] if value is not None]
    if motion.get("side_view") is not False and reps > 0 and rom:
        return None
    detected = motion.get("detected_fraction")
    reasons = []
    if isinstance(detected, int | float) and detected < MIN_DETECTED_FRACTION:
        reasons.append(
            f"a person was in view in only {math.floor(detected * 100)} % of the frames "
            f"({round(MIN_DETECTED_FRACTION * 100)} % needed)"
        )
    if motion.get("side_view") is False:
        reasons.append("the patient was not filmed side-on")
    if not reasons and reps == 0:
        reasons.append("no repetition was seen")
    if not reasons:
        reasons.append("no range of motion could be measured")
    return "; ".join(reasons)


def motion_summary(motion: dict[str, Any] | None) -> dict[str, Any] | None:
    """ROM per repetition of a session saved with a motion analysis (for the timeline),
    or why the camera could not count (``uncounted``)."""
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
        "uncounted": uncounted_reason(motion),
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
        {"when": local_when(s.at, view.time_zone), **_session_values(s)} for s in view.sessions
    ]
    return {
        **rom_values(view.rom_trend),
        "sessions": sessions,
        "pain_chart": pain_chart,
        "stage_chart": stage_chart,
        "adherence_chart": adherence_chart,
        "adherence_text": adherence_text(today),
    }


#: The timeline's filters, in the order of their links (messages do not exist yet).
TIMELINE_FILTERS = (
    (TimelineFilter.ALL, "Everything"),
    (TimelineFilter.DECISIONS, "Decisions"),
    (TimelineFilter.STOPS, "Stops"),
    (TimelineFilter.FLAGS, "Red flags"),
    (TimelineFilter.PLAN, "Plan changes"),
)


def _session_values(s: SessionView) -> dict[str, Any]:
    """What a session shows in a history table or the timeline, beside its time."""
    return {
        "stage": s.stage,
        "pain_before": s.pain_before,
        "pain_during": s.pain_during,
        "pain_after": s.pain_after,
        "location_before": s.location_before.code,
        "location_after": s.location_after.code,
        "effort": s.effort.value,
        "completed": s.completed,
    }


def _session_item(s: SessionView, zone: str) -> dict[str, Any]:
    return {
        "kind": "session",
        "at": s.at,
        "when": s.at.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
        "s": {**_session_values(s), "motion": motion_summary(s.motion)},
    }


def _routine(item: dict[str, Any]) -> bool:
    """A completed session, or a decision to stay with nothing urgent: the day summary's."""
    if item["kind"] == "session":
        return bool(item["s"]["completed"])
    if item["kind"] == "decision":
        return bool(item["routine"])
    return False


def _shown(item: dict[str, Any], shown: TimelineFilter) -> bool:
    kind: str = item["kind"]
    if shown is TimelineFilter.ALL:
        return True
    if shown is TimelineFilter.DECISIONS:
        return kind == "decision"
    if shown is TimelineFilter.STOPS:
        return bool(
            (kind == "decision" and item["d"].decision == Decision.STOP.value)
            or (kind == "session" and not item["s"]["completed"])
            or (kind == "event" and item["code"] == EventKind.PAUSE.value)
        )
    if shown is TimelineFilter.FLAGS:
        return kind == "flag"
    return kind == "event"


def _range(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def day_summary(routine: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One line for a day's completed sessions and decisions to stay, with the sessions."""
    sessions = [i for i in routine if i["kind"] == "session"]
    stays = sum(1 for i in routine if i["kind"] == "decision")
    if not sessions and not stays:
        return None
    parts = []
    if sessions:
        stages = sorted({i["s"]["stage"] for i in sessions})
        efforts = Counter(i["s"]["effort"] for i in sessions)
        count = len(sessions)
        parts.append(
            f"{count} {'session' if count == 1 else 'sessions'} completed at stage "
            f"{', '.join(str(n) for n in stages)}: pain before "
            f"{_range([i['s']['pain_before'] for i in sessions])}, after "
            f"{_range([i['s']['pain_after'] for i in sessions])}; effort "
            + ", ".join(f"{n} {effort}" for effort, n in sorted(efforts.items()))
        )
    if stays:
        parts.append(f"{stays} {'decision' if stays == 1 else 'decisions'} to stay")
    return {"text": "; ".join(parts), "sessions": sorted(sessions, key=lambda i: i["at"])}


def timeline_values(page: TimelinePage) -> dict[str, Any]:
    """The page's items grouped by local day (newest first): the items that need a look one
    by one, and (showing everything) the day's routine sessions and decisions to stay as
    one summary line that opens to the sessions."""
    zone = ZoneInfo(page.time_zone)
    items: list[dict[str, Any]] = [_session_item(s, page.time_zone) for s in page.sessions]
    attached: dict[int, list[dict[str, Any]]] = {}
    for m in page.decision_messages:
        if m.decision_id is not None:
            when = m.created_at.astimezone(zone).strftime("%d %b %H:%M")
            attached.setdefault(m.decision_id, []).append(
                {"body": m.body, "thread_id": m.thread_id, "when": when}
            )
    for d in page.decisions:
        messages = attached.get(d.id, [])
        items.append(
            {
                "kind": "decision",
                "at": d.made_at,
                "id": d.id,
                "d": decision_out(d),
                "messages": messages,
                "routine": d.decision is Decision.STAY
                and d.urgency is Urgency.NONE
                and not messages,
            }
        )
    for e in page.events:
        items.append(
            {
                "kind": "event",
                "at": e.at,
                "code": e.kind.value,
                "e": {"kind": e.kind.value.replace("_", " "), "reason": e.reason, "note": e.note},
            }
        )
    for f in page.flags:
        flag = RED_FLAGS.get(f.code)
        items.append(
            {
                "kind": "flag",
                "at": f.reported_at,
                "f": {
                    "question": f.code if flag is None else flag.question,
                    "urgency": "routine" if flag is None else flag.urgency.value,
                    "resolved": f.resolved_at is not None,
                },
            }
        )
    by_day: dict[date, list[dict[str, Any]]] = {}
    for item in items:
        if _shown(item, page.shown):
            item["when"] = item["at"].astimezone(zone).strftime("%H:%M")
            by_day.setdefault(item["at"].astimezone(zone).date(), []).append(item)
    days = []
    for day in sorted(by_day, reverse=True):
        found = by_day[day]
        collapse = page.shown is TimelineFilter.ALL
        routine = [i for i in found if collapse and _routine(i)]
        single = [i for i in found if not (collapse and _routine(i))]
        single.sort(key=lambda i: (i["at"], 0 if i["kind"] == "session" else 1), reverse=True)
        days.append(
            {
                "label": day.strftime("%a %d %b %Y"),
                "iso": day.isoformat(),
                "summary": day_summary(routine),
                "entries": single,
            }
        )
    return {
        "timeline_days": days,
        "timeline_filter": page.shown.value,
        "timeline_filters": [(f.value, label) for f, label in TIMELINE_FILTERS],
        "timeline_older": None if page.older_before is None else page.older_before.isoformat(),
        "timeline_span": None
        if page.first_day is None or page.last_day is None
        else (page.first_day.strftime("%d %b %Y"), page.last_day.strftime("%d %b %Y")),
    }
