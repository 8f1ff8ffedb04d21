"""The exercise demonstration in the patient's dose: JSON for the API and the page's
script, and the figure drawn as inline SVG (one drawing per keyframe).

The SVG nests one group per segment (pelvis, trunk, upper arm, forearm, thigh, shin,
foot), each rotated relative to its parent, so the page's script animates a keyframe
into the next by rotating the groups (``static/demo/figure.js``). Without JavaScript,
or when the patient asks for reduced motion, the drawings stay still side by side, each
with its position in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from pydantic import BaseModel

from spinestep.domain.demonstration import (
    FOOT_LENGTH,
    FOREARM_LENGTH,
    GROUND_Y,
    HEAD_RADIUS,
    NECK_LENGTH,
    SHIN_LENGTH,
    THIGH_LENGTH,
    TRUNK_LENGTH,
    UPPER_ARM_LENGTH,
    Demonstration,
    Keyframe,
    Posture,
    figure_frame,
    repetition_phases,
)
from spinestep.domain.model import Dose, StageDefinition
from spinestep.services.instructions import countdown_hold_s


class PhaseOut(BaseModel):
    phase: str
    start_s: int
    end_s: int


class KeyframeOut(BaseModel):
    name: str
    label: str
    pelvis: list[int]
    #: Joint angles in degrees (``protocol.schema.json`` gives the conventions).
    angles: dict[str, int]
    #: Each drawn segment's rotation relative to its parent, in degrees clockwise.
    rotations: dict[str, int]


class DemonstrationOut(BaseModel):
    stage: int
    stage_id: str
    title: str
    posture: str
    reps: int
    #: The hold of the patient's dose that each repetition holds for (the countdown).
    hold_s: int
    move_s: int
    move_cue: str
    return_cue: str
    keyframes: list[KeyframeOut]
    #: One repetition, phase by phase, in seconds from its start.
    repetition: list[PhaseOut]
    repetition_s: int


class MyDemonstrationOut(BaseModel):
    """The demonstration of the patient's current stage; ``demonstration`` is null when
    the protocol gives none for the stage."""

    demonstration: DemonstrationOut | None


def demonstration_out(stage: StageDefinition, dose: Dose) -> DemonstrationOut | None:
    """The stage's demonstration at ``dose`` (None when the protocol gives none)."""
    demonstration = stage.demonstration
    if demonstration is None:
        return None
    hold_s = countdown_hold_s(dose)
    phases = repetition_phases(demonstration, hold_s)
    return DemonstrationOut(
        stage=stage.number,
        stage_id=stage.id,
        title=stage.title,
        posture=demonstration.posture.value,
        reps=dose.reps,
        hold_s=hold_s,
        move_s=demonstration.move_s,
        move_cue=demonstration.move_cue,
        return_cue=demonstration.return_cue,
        keyframes=[_keyframe_out(keyframe) for keyframe in demonstration.keyframes],
        repetition=[
            PhaseOut(phase=span.phase.value, start_s=span.start_s, end_s=span.end_s)
            for span in phases
        ],
        repetition_s=phases[-1].end_s,
    )


def demonstration_values(stage: StageDefinition, dose: Dose) -> dict[str, Any]:
    """What the guided session page shows of the demonstration: ``demonstration`` (the
    JSON the page's script animates, or None) and ``stills`` (each keyframe drawn)."""
    out = demonstration_out(stage, dose)
    if out is None or stage.demonstration is None:
        return {"demonstration": None, "demonstration_json": "", "stills": []}
    return {
        "demonstration": out,
        "demonstration_json": out.model_dump_json(),
        "stills": stills(stage.demonstration, stage.title),
    }


def _keyframe_out(keyframe: Keyframe) -> KeyframeOut:
    pose = keyframe.pose
    return KeyframeOut(
        name=keyframe.name,
        label=keyframe.label,
        pelvis=[pose.pelvis_x, pose.pelvis_y],
        angles={
            "trunk": pose.trunk_deg,
            "hip": pose.hip_deg,
            "knee": pose.knee_deg,
            "ankle": pose.ankle_deg,
            "shoulder": pose.shoulder_deg,
            "elbow": pose.elbow_deg,
        },
        rotations=pose.relative_rotations(),
    )


@dataclass(frozen=True, slots=True)
class Still:
    """One keyframe drawn: its SVG and its words."""

    name: str
    label: str
    svg: Markup


def stills(demonstration: Demonstration, title: str) -> list[Still]:
    """Every keyframe of ``demonstration`` drawn, in order."""
    return [
        Still(keyframe.name, keyframe.label, figure_svg(demonstration, keyframe, title))
        for keyframe in demonstration.keyframes
    ]


def _segment(name: str, rotation: int, length: int, inner: str = "") -> str:
    child = f'<g transform="translate(0 {-length})">{inner}</g>' if inner else ""
    return (
        f'<g data-segment="{name}" transform="rotate({rotation})">'
        f'<line x1="0" y1="0" x2="0" y2="{-length}"/>{child}</g>'
    )


def figure_svg(demonstration: Demonstration, keyframe: Keyframe, title: str) -> Markup:
    """``keyframe`` drawn as an inline SVG (role img, named by ``title`` and the label)."""
    pose = keyframe.pose
    turn = pose.relative_rotations()
    start = demonstration.keyframes[0].pose
    x, y, width, height = figure_frame(demonstration)
    props = (
        f'<line class="demo-ground" x1="{x + 2}" y1="{GROUND_Y}" '
        f'x2="{x + width - 2}" y2="{GROUND_Y}"/>'
    )
    if demonstration.posture is Posture.SITTING:
        top = start.pelvis_y + 4
        left, right = start.pelvis_x - 16, start.pelvis_x + 16
        props += (
            f'<path class="demo-stool" d="M{left} {top}H{right}M{left + 3} {top}V{GROUND_Y}'
            f'M{right - 3} {top}V{GROUND_Y}"/>'
        )
    head_y = -(TRUNK_LENGTH + NECK_LENGTH + HEAD_RADIUS)
    foot = _segment("foot", turn["foot"], FOOT_LENGTH)
    leg = _segment(
        "thigh", turn["thigh"], THIGH_LENGTH, _segment("shin", turn["shin"], SHIN_LENGTH, foot)
    )
    arm = _segment(
        "upper_arm",
        turn["upper_arm"],
        UPPER_ARM_LENGTH,
        _segment("forearm", turn["forearm"], FOREARM_LENGTH),
    )
    trunk = (
        f'<g data-segment="trunk" transform="rotate({turn["trunk"]})">'
        f"{leg}"
        f'<line x1="0" y1="0" x2="0" y2="{-TRUNK_LENGTH}"/>'
        f'<circle class="demo-head" cx="0" cy="{head_y}" r="{HEAD_RADIUS}"/>'
        f'<circle class="demo-eye" cx="4" cy="{head_y - 1}" r="1.6"/>'
        f'<g transform="translate(0 {-TRUNK_LENGTH})">{arm}</g>'
        "</g>"
    )
    body = (
        f'<g class="demo-body" data-segment="pelvis" '
        f'transform="translate({pose.pelvis_x} {pose.pelvis_y})">{trunk}</g>'
    )
    name = escape(f"{title}: {keyframe.label}")
    return Markup(
        f'<svg class="demo-figure" viewBox="{x} {y} {width} {height}" role="img" '
        f'aria-label="{name}" data-keyframe="{escape(keyframe.name)}" '
        f'xmlns="http://www.w3.org/2000/svg">{props}{body}</svg>'
    )
