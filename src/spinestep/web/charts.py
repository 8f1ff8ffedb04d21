"""Small server-side SVG charts (no script, no external library), each with a text summary.

Values are placed by simple linear scales; the caller passes plain numbers, already in
the order to draw. Every chart has a <title> and <desc> for screen readers, and pages
show the same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 220
LEFT = 36
RIGHT = 12
TOP = 14
BOTTOM = 28


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float, top_value: float, bottom_value: float = 0.0) -> float:
    span = HEIGHT - TOP - BOTTOM
    return TOP + span * (top_value - value) / (top_value - bottom_value)


def _frame(title: str, desc: str, body: list[str], y_ticks: Sequence[tuple[float, str]]) -> str:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]
    for y, label in y_ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#dde5e5" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#52666d">{escape(label)}</text>'
        )
    parts.extend(body)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str, series: Sequence[Series], x_labels: Sequence[str], top_value: float = 10.0
) -> str:
    """Lines over equally spaced points (e.g. pain before/after per session, 0-10)."""
    count = len(x_labels)
    ticks = [(_y(v, top_value), f"{v:g}") for v in (0, top_value / 2, top_value)]
    body: list[str] = []
    for s_index, s in enumerate(series):
        points = [
            f"{_x(i, count):.1f},{_y(v, top_value):.1f}"
            for i, v in enumerate(s.values)
            if v is not None
        ]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        if len(points) > 1:
            body.append(
                f'<polyline fill="none" stroke="{s.colour}" stroke-width="2.5"{dash} '
                f'points="{" ".join(points)}"/>'
            )
        for point in points if len(points) <= 60 else []:
            px, py = point.split(",")
            body.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{s.colour}"/>')
        body.append(
            f'<text x="{LEFT + 8 + 120 * s_index}" y="{HEIGHT - 8}" font-size="12" '
            f'fill="{s.colour}">— {escape(s.label)}</text>'
        )
    if count:
        body.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" font-size="11" text-anchor="end" '
            f'fill="#52666d">{escape(x_labels[0])} – {escape(x_labels[-1])}</text>'
        )
    desc = f"{count} points" if count else "no data yet"
    return _frame(title, desc, body, ticks)


def step_chart(title: str, stages: Sequence[int], x_labels: Sequence[str], stage_count: int) -> str:
    """The stage over time as a staircase."""
    count = len(stages)
    top = float(max(stage_count, 1))
    ticks = [(_y(v, top, 1.0 if top > 1 else 0.0), f"{v}") for v in range(1, stage_count + 1)]
    body: list[str] = []
    if count:
        bottom = 1.0 if top > 1 else 0.0
        points: list[str] = []
        for i, stage in enumerate(stages):
            x = _x(i, count)
            y = _y(stage, top, bottom)
            if points:
                points.append(f"{x:.1f},{float(points[-1].split(',')[1]):.1f}")
            points.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<polyline fill="none" stroke="#1f6f7f" stroke-width="3" points="{" ".join(points)}"/>'
        )
        if count <= 60:
            for i, stage in enumerate(stages):
                body.append(
                    f'<circle cx="{_x(i, count):.1f}" cy="{_y(stage, top, bottom):.1f}" r="3.5" '
                    f'fill="#1f6f7f"/>'
                )
        body.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" font-size="11" text-anchor="end" '
            f'fill="#52666d">{escape(x_labels[0])} – {escape(x_labels[-1])}</text>'
        )
    return _frame(title, f"{count} sessions", body, ticks)


def bar_chart(
    title: str, done: Sequence[int], planned: Sequence[int], x_labels: Sequence[str]
) -> str:
    """Sessions done per day against the number planned (adherence)."""
    count = len(done)
    top = float(max([*done, *planned, 1]))
    ticks = [(_y(v, top), f"{v:g}") for v in (0, top)]
    body: list[str] = []
    span = (WIDTH - LEFT - RIGHT) / max(count, 1)
    for i, (d, p) in enumerate(zip(done, planned, strict=True)):
        x = LEFT + span * i + span * 0.15
        w = span * 0.7
        y = _y(d, top)
        colour = "#1d6b3a" if d >= p else "#c98a00"
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_y(0, top) - y:.1f}" '
            f'fill="{colour}"/>'
        )
        py = _y(p, top)
        body.append(
            f'<line x1="{x:.1f}" x2="{x + w:.1f}" y1="{py:.1f}" y2="{py:.1f}" stroke="#17313a" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
        )
        if count <= 14:
            body.append(
                f'<text x="{x + w / 2:.1f}" y="{HEIGHT - 10}" font-size="10" text-anchor="middle" '
                f'fill="#52666d">{escape(x_labels[i])}</text>'
            )
    return _frame(title, f"{count} days", body, ticks)
