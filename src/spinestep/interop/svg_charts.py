"""Small inline SVG charts for the report, drawn by hand (no fonts or files fetched).

Each chart opens with a ``<title>`` that says in words what it shows (the figures a
reader would take from it); the tagged PDF uses it as the figure's alternate text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from spinestep.services.report import PainPoint, counted

WIDTH = 520
HEIGHT = 128
LEFT = 28
RIGHT = 8
TOP = 8
BOTTOM = 22
MAX_BAR_W = 24
MAX_MARKERS = 60
"""Above this many sessions only the not-completed ones get a marker."""
SERIES = (  # drawn in this order: the worst pain (during) ends on top
    ("before", "#1f5fa8", ""),
    ("after", "#2e8b57", ""),
    ("during", "#d9822b", "4 3"),
)


def pain_chart(points: Sequence[PainPoint], time_zone: str) -> str:
    """Pain before, during and after each session (0-10) over time; open circles = stopped."""
    zone = ZoneInfo(time_zone)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f"<title>{escape(pain_summary(points, time_zone))}</title>",
    ]
    for value in range(0, 11, 2):
        y = TOP + plot_h - plot_h * value / 10
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#dddddd" stroke-width="0.6"/>'
            f'<text x="{LEFT - 5}" y="{y + 3:.1f}" font-size="8" text-anchor="end">{value}</text>'
        )
    if not points:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" font-size="10" '
            'text-anchor="middle">No sessions recorded yet</text></svg>'
        )
        return "".join(parts)
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (at - start).total_seconds() / span

    def y_of(value: int) -> float:
        return TOP + plot_h - plot_h * value / 10

    for name, colour, dash in SERIES:
        coords = " ".join(f"{x_of(p.at):.1f},{y_of(getattr(p, name)):.1f}" for p in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="1.4"{dash_attr}/>'
        )
        for p in points:
            if len(points) > MAX_MARKERS and p.completed:
                continue
            fill = colour if p.completed else "#ffffff"
            parts.append(
                f'<circle cx="{x_of(p.at):.1f}" cy="{y_of(getattr(p, name)):.1f}" r="2" '
                f'fill="{fill}" stroke="{colour}" stroke-width="0.8"/>'
            )
    first_day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    baseline_y = TOP + plot_h + 13
    parts.append(_label(LEFT, baseline_y, _day(first_day), "start"))
    if last_day != first_day:
        parts.append(_label(WIDTH - RIGHT, baseline_y, _day(last_day), "end"))
    parts.append("</svg>")
    return "".join(parts)


def adherence_bars(per_day: Sequence[tuple[date, int]], planned_per_day: int) -> str:
    """Completed sessions per local day as bars, with the planned number as a line."""
    width, height, bottom = 520, 50, 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
        f"<title>{escape(adherence_summary(per_day, planned_per_day))}</title>"
    ]
    top_value = max([planned_per_day, *(count for _, count in per_day), 1])
    plot_h = height - bottom - 4
    slot = (width - LEFT - RIGHT) / max(len(per_day), 1)
    for index, (day, count) in enumerate(per_day):
        bar_h = plot_h * count / top_value
        bar_w = min(slot * 0.7, MAX_BAR_W)
        x = LEFT + index * slot + (slot - bar_w) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{4 + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
            f'height="{bar_h:.1f}" fill="#1f5fa8"/>'
        )
        parts.append(_label(x + bar_w / 2, height - 3, str(day.day), "middle", size=7))
    if planned_per_day:
        y = 4 + plot_h - plot_h * planned_per_day / top_value
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" '
            'stroke="#d9822b" stroke-dasharray="3 2" stroke-width="1"/>'
        )
        parts.append(_label(LEFT - 4, y + 3, str(planned_per_day), "end", size=7))
    parts.append("</svg>")
    return "".join(parts)


def pain_summary(points: Sequence[PainPoint], time_zone: str) -> str:
    """The pain chart in words: its span, the first and latest session, the stops."""
    if not points:
        return "Pain chart: no sessions recorded yet."
    zone = ZoneInfo(time_zone)
    first, latest = points[0], points[-1]
    first_day = _day(first.at.astimezone(zone).date())
    last_day = _day(latest.at.astimezone(zone).date())
    span = f"on {first_day}" if first_day == last_day else f"from {first_day} to {last_day}"
    text = (
        "Pain chart, 0 to 10, before, during (worst) and about 5 minutes after each "
        f"session: {counted(len(points), 'session')} {span}. First session: {_pains(first)}."
    )
    if len(points) > 1:
        text += f" Latest session: {_pains(latest)}."
    stopped = sum(1 for p in points if not p.completed)
    if stopped:
        text += f" {counted(stopped, 'session')} not completed (open circles)."
    return text


def adherence_summary(per_day: Sequence[tuple[date, int]], planned_per_day: int) -> str:
    """The adherence bars in words: completed sessions on each day, against the plan."""
    if not per_day:
        return "Sessions per day: no days to show."
    days = ", ".join(f"{_day(day)}: {count}" for day, count in per_day)
    plan = f" (planned: {planned_per_day} a day)" if planned_per_day else ""
    return f"Completed sessions per day{plan}. {days}."


def _pains(point: PainPoint) -> str:
    stopped = "" if point.completed else ", stopped early"
    return f"before {point.before}, during {point.during}, after {point.after}{stopped}"


def _label(x: float, y: float, text: str, anchor: str, size: int = 8) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def _day(value: date) -> str:
    return value.strftime("%d %b %Y")
