"""Sessions saved with the camera coach's recount: kept even when the camera counted nothing.

A session of the guided session's camera is saved whatever the camera saw: footage that
was refused (not side-on, or the person mostly out of view) is kept as 0 repetitions,
0 held, no ROM and ``side_view`` false, beside the repetitions the patient gave. The
command line (``log --motion``) still refuses such an analysis.
"""

from __future__ import annotations

from typing import Any

import pytest

from spinestep.errors import InvalidInput
from spinestep.services.context import Actor, ServiceContext
from tests.services.support import easy, onboard, screened_session

REFUSED: dict[str, Any] = {
    "stage": "supine",
    "measure": "hip_flexion",
    "reps": 0,
    "held_count": 0,
    "rom_deg": [],
    "rom_deg_median": None,
    "detected_fraction": 0.41,
    "visibility_mean": 0.62,
    "side_view": False,
}


def _stored(ctx: ServiceContext, patient_id: int) -> list[Any]:
    with ctx.uow() as uow:
        return list(uow.sessions.for_patient(patient_id))


def test_refused_camera_footage_is_kept_with_the_patients_reps(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    outcome = screened_session(
        ctx, me, patient_id, easy(reps=9, motion=REFUSED, motion_uncounted_ok=True)
    )
    (stored,) = _stored(ctx, patient_id)
    assert stored.reps == 9 == outcome.session.reps
    assert stored.motion == REFUSED


def test_side_on_footage_without_a_repetition_is_kept_from_the_camera(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    nothing = {**REFUSED, "side_view": True, "detected_fraction": 0.98}
    screened_session(ctx, me, patient_id, easy(motion=nothing, motion_uncounted_ok=True))
    (stored,) = _stored(ctx, patient_id)
    assert stored.motion == nothing


def test_without_the_camera_flag_refused_footage_is_still_refused(
    ctx: ServiceContext, me: Actor
) -> None:
    patient_id = onboard(ctx, me)
    with pytest.raises(InvalidInput) as caught:
        screened_session(ctx, me, patient_id, easy(motion=REFUSED))
    assert caught.value.path == "motion"
    assert _stored(ctx, patient_id) == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"reps": 2, "held_count": 0, "rom_deg": [None, None]}, "motion.reps"),
        ({"rom_deg": [40.0]}, "motion.rom_deg"),
        ({"rom_deg_median": 40.0}, "motion.rom_deg_median"),
        ({"held_count": 1}, "motion.held_count"),
        ({"detected_fraction": 1.2}, "motion.detected_fraction"),
        ({"stage": "standing"}, "motion.measure"),
    ],
)
def test_uncounted_metrics_that_do_not_add_up_are_refused(
    ctx: ServiceContext, me: Actor, changes: dict[str, Any], path: str
) -> None:
    patient_id = onboard(ctx, me)
    metrics = {**REFUSED, **changes}
    with pytest.raises(InvalidInput) as caught:
        screened_session(ctx, me, patient_id, easy(motion=metrics, motion_uncounted_ok=True))
    assert caught.value.path == path
    assert _stored(ctx, patient_id) == []


def test_refused_footage_of_another_stage_is_refused(ctx: ServiceContext, me: Actor) -> None:
    patient_id = onboard(ctx, me)  # stage 1, supine
    standing = {**REFUSED, "stage": "standing", "measure": "trunk_flexion"}
    with pytest.raises(InvalidInput) as caught:
        screened_session(ctx, me, patient_id, easy(motion=standing, motion_uncounted_ok=True))
    assert caught.value.path == "motion.stage"
    assert _stored(ctx, patient_id) == []
