"""The camera coach's angle series: every field checked, bounded, and recounted by the server.

Also the builders of synthetic series the web tests of the guided session share.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinestep.domain.kinematics import ExerciseStage, Facing
from spinestep.errors import InvalidInput
from spinestep.motion.series import analyze_angle_series
from spinestep.services.motion_metrics import check_motion_metrics
from spinestep.web.body_limit import DEFAULT_LIMIT_BYTES
from spinestep.web.motion_series import (
    MAX_FRAMES,
    MAX_SPAN_MS,
    MotionSeries,
    parse_motion_series,
    parse_motion_series_text,
    recount,
)

FRAME_MS = 33
#: Angles chosen so that they cannot be mistaken for anything else in a log line.
PEAK_DEG = 97.3
REST_DEG = 4.7


def rep_frames(
    reps: int = 3,
    *,
    hold_s: float = 1.5,
    yaw_deg: float = 6.0,
    vote: float = 0.8,
    detected_every: int = 1,
    peak_deg: float = PEAK_DEG,
) -> list[list[Any]]:
    """A supine (or any) series at about 30 frames/s: 1.5 s at rest, then ``reps``
    repetitions (1 s up, ``hold_s`` held at the peak, 1 s down, 1 s rest).

    ``detected_every``: keep the person in every n-th frame only (others: no person).
    """
    segments: list[tuple[float, float, float]] = [(1.5, REST_DEG, REST_DEG)]
    for _ in range(reps):
        segments += [
            (1.0, REST_DEG, peak_deg),
            (hold_s, peak_deg, peak_deg),
            (1.0, peak_deg, REST_DEG),
            (1.0, REST_DEG, REST_DEG),
        ]
    frames: list[list[Any]] = []
    t_ms = 0
    for seconds, start, end in segments:
        steps = round(seconds * 1000 / FRAME_MS)
        for step in range(steps):
            angle = start + (end - start) * step / steps
            index = len(frames)
            if index % detected_every == 0:
                frames.append([t_ms, round(angle, 1), 0.91, yaw_deg, vote])
            else:
                frames.append([t_ms, None, 0.0, None, None])
            t_ms += FRAME_MS
    return frames


def series_json(
    frames: list[list[Any]] | None = None,
    *,
    stage: str = "supine",
    live: tuple[int, int] = (3, 3),
    facing: str | None = "right",
    **changes: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "v": 1,
        "stage": stage,
        "model": "lite",
        "facing": facing,
        "live": {"reps": live[0], "held": live[1]},
        "frames": rep_frames() if frames is None else frames,
    }
    data.update(changes)
    return data


def compact(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def expected_metrics(data: dict[str, Any]) -> dict[str, Any]:
    """What the server must store: ``analyze_angle_series`` called here on the same frames."""
    frames = data["frames"]
    analysis = analyze_angle_series(
        ExerciseStage(data["stage"]),
        [f[0] / 1000 for f in frames],
        [f[1] for f in frames],
        [f[2] for f in frames],
        [f[1] is not None for f in frames],
        [f[3] for f in frames],
        [f[4] for f in frames],
        facing=None if data["facing"] is None else Facing(data["facing"]),
    )
    metrics = dict(analysis.to_session_metrics())
    if analysis.refusal is not None:  # refused footage is kept as not side-on
        metrics["side_view"] = False
    return metrics


def test_a_well_formed_series_is_read_frame_by_frame() -> None:
    data = series_json()
    parsed = parse_motion_series_text(compact(data))
    assert isinstance(parsed, MotionSeries)
    assert parsed.stage is ExerciseStage.SUPINE
    assert parsed.facing is Facing.RIGHT
    assert (parsed.live_reps, parsed.live_held) == (3, 3)
    assert list(parsed.t_ms) == [f[0] for f in data["frames"]]
    assert list(parsed.angle_deg) == [f[1] for f in data["frames"]]
    assert parsed.times_s[1] == data["frames"][1][0] / 1000


def test_the_server_recount_is_analyze_angle_series_on_the_same_frames() -> None:
    data = series_json()
    counted = recount(parse_motion_series(data))
    expected = expected_metrics(data)
    assert counted.metrics == expected
    assert expected["reps"] == 3 and expected["side_view"] is True
    assert not counted.refused


def test_footage_from_the_front_counts_nothing_and_is_kept_as_not_side_on() -> None:
    data = series_json(rep_frames(yaw_deg=60.0))
    counted = recount(parse_motion_series(data))
    assert counted.refused
    assert counted.metrics == expected_metrics(data)
    assert counted.metrics["reps"] == 0 and counted.metrics["side_view"] is False


def test_a_person_in_too_few_frames_counts_nothing() -> None:
    data = series_json(rep_frames(detected_every=2))  # a person in half the frames
    counted = recount(parse_motion_series(data))
    assert counted.refused
    assert counted.metrics["reps"] == 0 and counted.metrics["held_count"] == 0
    assert counted.metrics["side_view"] is False


def _frame(index: int, position: int, value: Any) -> dict[str, Any]:
    frames = rep_frames(1)
    frames[index] = list(frames[index])
    frames[index][position] = value
    return series_json(frames)


MALFORMED: list[tuple[str, Any, str]] = [
    ("not an object", [1, 2], "motion_series"),
    ("unknown key", series_json(images=[]), "motion_series.images"),
    ("missing frames", {k: v for k, v in series_json().items() if k != "frames"}, "frames"),
    ("version", series_json(v=2), "motion_series.v"),
    ("version as text", series_json(v="1"), "motion_series.v"),
    ("stage", series_json(stage="prone_lying"), "motion_series.stage"),
    ("model", series_json(model="heavy"), "motion_series.model"),
    ("facing", series_json(facing="front"), "motion_series.facing"),
    ("live not an object", {**series_json(), "live": 3}, "motion_series.live"),
    ("live unknown key", {**series_json(), "live": {"reps": 1, "held": 0, "x": 1}}, "live.x"),
    ("live reps negative", series_json(live=(-1, 0)), "motion_series.live.reps"),
    ("live reps a float", series_json(live=(2.0, 0)), "motion_series.live.reps"),
    ("live reps a boolean", series_json(live=(True, 0)), "motion_series.live.reps"),
    ("live held above reps", series_json(live=(2, 3)), "motion_series.live.held"),
    ("live held too many", series_json(live=(1001, 0)), "motion_series.live.reps"),
    ("no frames", series_json([]), "motion_series.frames"),
    ("frames not a list", series_json(frames={"0": 1}), "motion_series.frames"),
    ("frame too short", series_json([[0, 1.0, 0.9, 5.0]]), "motion_series.frames[0]"),
    ("frame not a list", series_json([{"t_ms": 0}]), "motion_series.frames[0]"),
    ("t_ms a float", _frame(3, 0, 99.5), "motion_series.frames[3][0]"),
    ("t_ms negative", _frame(0, 0, -33), "motion_series.frames[0][0]"),
    ("t_ms going back", _frame(3, 0, 10), "motion_series.frames[3][0]"),
    ("t_ms repeated", _frame(3, 0, 2 * FRAME_MS), "motion_series.frames[3][0]"),
    ("t_ms past the span", _frame(3, 0, MAX_SPAN_MS + 1), "motion_series.frames[3][0]"),
    ("t_ms null", _frame(3, 0, None), "motion_series.frames[3][0]"),
    ("angle beyond a half turn", _frame(3, 1, 180.5), "motion_series.frames[3][1]"),
    ("angle as text", _frame(3, 1, "45"), "motion_series.frames[3][1]"),
    ("angle a boolean", _frame(3, 1, False), "motion_series.frames[3][1]"),
    ("visibility above 1", _frame(3, 2, 1.01), "motion_series.frames[3][2]"),
    ("visibility null", _frame(3, 2, None), "motion_series.frames[3][2]"),
    ("yaw negative", _frame(3, 3, -1.0), "motion_series.frames[3][3]"),
    ("yaw beyond 90", _frame(3, 3, 91.0), "motion_series.frames[3][3]"),
    ("vote beyond 2", _frame(3, 4, 2.5), "motion_series.frames[3][4]"),
    ("vote as text", _frame(3, 4, "right"), "motion_series.frames[3][4]"),
]


@pytest.mark.parametrize(
    ("data", "path"), [(d, p) for _, d, p in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_a_malformed_series_is_refused_naming_the_value(data: Any, path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_motion_series(data)
    assert caught.value.path.endswith(path)
    assert caught.value.problem


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"v": NaN}',
        '{"v": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        '{"v": ' + "9" * 5000 + "}",
    ],
    ids=["empty", "truncated", "nan", "infinity", "deeply nested", "huge integer"],
)
def test_text_that_is_not_a_series_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_motion_series_text(text)
    assert caught.value.path == "motion_series"


def test_a_non_finite_angle_written_as_a_big_number_is_refused() -> None:
    text = compact(series_json()).replace(f"{PEAK_DEG}", "1e999", 1)
    assert "1e999" in text
    with pytest.raises(InvalidInput, match=r"frames\[\d+\]\[1\]"):
        parse_motion_series_text(text)


def test_more_frames_than_the_cap_are_refused() -> None:
    frames = [[i * FRAME_MS, 10.0, 0.9, 5.0, 0.5] for i in range(MAX_FRAMES + 1)]
    with pytest.raises(InvalidInput, match=f"at most {MAX_FRAMES}") as caught:
        parse_motion_series(series_json(frames))
    assert caught.value.path == "motion_series.frames"
    parse_motion_series(series_json(frames[:MAX_FRAMES]))  # the cap itself is fine


def longest_series_at_the_cap() -> dict[str, Any]:
    """A series at the frame cap whose every value takes the most characters the page
    sends (angles and yaw to 0.1°, visibility and votes to 0.01)."""
    frames = [[i * FRAME_MS + 7, -123.4, 0.93, 12.3, -0.45] for i in range(MAX_FRAMES)]
    return series_json(frames, live=(1000, 1000), facing="right", model="full")


def test_a_series_at_the_cap_fits_the_request_limit_as_json_and_as_a_form() -> None:
    text = compact(longest_series_at_the_cap())
    parse_motion_series_text(text)
    api_body = json.dumps(
        {
            "pain_before": 10,
            "pain_during": 10,
            "pain_after": 10,
            "location_before": "below_knee",
            "location_after": "below_knee",
            "effort": "moderate",
            "reps": 1000,
            "completed": True,
            "motion_series": json.loads(text),
        },
        separators=(",", ":"),
    )
    form_body = urlencode(
        {
            "csrf_token": "x" * 200,
            "step": "after",
            "idempotency_key": "k" * 100,
            "pain_before": "10",
            "location_before": "below_knee",
            "reps": "1000",
            "pain_during": "10",
            "pain_after": "10",
            "location_after": "below_knee",
            "effort": "moderate",
            "action": "next",
            "motion_series": text,
        }
    )
    assert len(api_body.encode()) < DEFAULT_LIMIT_BYTES
    assert len(form_body.encode()) < DEFAULT_LIMIT_BYTES


def test_a_different_live_count_logs_only_the_size_of_the_difference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = series_json(live=(7, 1))  # the server counts 3 reps, 3 held
    with caplog.at_level(logging.DEBUG):
        counted = recount(parse_motion_series(data))
    assert counted.metrics["reps"] == 3
    lines = [r for r in caplog.records if r.name == "spinestep.web.motion_series"]
    assert len(lines) == 1
    difference = abs(7 - counted.metrics["reps"]) + abs(1 - counted.metrics["held_count"])
    assert lines[0].args == (difference,)
    text = caplog.text
    for leaked in (str(PEAK_DEG), str(REST_DEG), "0.91", str(FRAME_MS * 3), "supine", "lite"):
        assert leaked not in text


def test_an_equal_live_count_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        recount(parse_motion_series(series_json(live=(3, 3))))
    assert not [r for r in caplog.records if r.name == "spinestep.web.motion_series"]


_value = st.one_of(st.none(), st.floats(-180, 180, allow_nan=False))


@st.composite
def series_strategy(draw: st.DrawFn, stage: str | None = None) -> dict[str, Any]:
    """Any well-formed series (short): random angles, gaps, views and votes."""
    gaps = draw(st.lists(st.integers(1, 400), min_size=1, max_size=120))
    frames = []
    t_ms = draw(st.integers(0, 1000))
    for gap in gaps:
        frames.append(
            [
                t_ms,
                draw(_value),
                draw(st.floats(0, 1)),
                draw(st.one_of(st.none(), st.floats(0, 90))),
                draw(st.one_of(st.none(), st.floats(-2, 2))),
            ]
        )
        t_ms += gap
    return series_json(
        frames,
        stage=stage or draw(st.sampled_from(["standing", "seated", "supine"])),
        facing=draw(st.sampled_from(["left", "right", None])),
    )


@settings(max_examples=60, deadline=None)
@given(data=series_strategy())
def test_any_well_formed_series_is_recounted_into_metrics_the_session_keeps(
    data: dict[str, Any],
) -> None:
    counted = recount(parse_motion_series(data))
    assert counted.metrics == expected_metrics(data)
    kept = check_motion_metrics(counted.metrics, uncounted=True)
    assert kept["reps"] == counted.metrics["reps"]
    assert all(math.isfinite(v) for v in kept["rom_deg"])
