"""Range of motion over the weeks: per stage and ISO week, in the patient's time zone.

Only sessions saved with a motion analysis count (their ``motion.rom_deg_median``); a
week's figure is the median of those sessions' medians, so a session with many
repetitions weighs no more than one with few.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from spinestep.services.access import audit_read, load_patient
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import protocol_of
from spinestep.services.ports import UnitOfWork
from spinestep.services.records import StoredSession
from spinestep.services.views import RomWeek


def session_rom_deg(session: StoredSession) -> float | None:
    """The session's median ROM in degrees, when it was saved with a motion analysis."""
    value = (session.motion or {}).get("rom_deg_median")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def rom_weeks(
    sessions: Sequence[StoredSession],
    stage_ids: Mapping[tuple[int, int], str],
    time_zone: str,
) -> tuple[RomWeek, ...]:
    """Group the measured sessions by (stage, ISO week of their local date); oldest first.

    ``stage_ids`` maps (assignment id, stage number) to the stage's id in its protocol.
    """
    zone = ZoneInfo(time_zone)
    groups: dict[tuple[int, str, str, int, int], list[float]] = defaultdict(list)
    for session in sessions:
        rom = session_rom_deg(session)
        if rom is None:
            continue
        year, week, _ = session.at.astimezone(zone).isocalendar()
        stage_id = stage_ids.get((session.assignment_id, session.stage), str(session.stage))
        measure = str((session.motion or {}).get("measure", ""))
        groups[(session.stage, stage_id, measure, year, week)].append(rom)
    return tuple(
        RomWeek(
            stage=stage,
            stage_id=stage_id,
            measure=measure,
            iso_year=year,
            iso_week=week,
            week_start=date.fromisocalendar(year, week, 1),
            rom_deg_median=round(statistics.median(values), 1),
            sessions=len(values),
        )
        for (stage, stage_id, measure, year, week), values in sorted(groups.items())
    )


def stage_ids_of(uow: UnitOfWork, patient_id: int) -> dict[tuple[int, int], str]:
    """(assignment id, stage number) → stage id, over every programme of the patient."""
    out: dict[tuple[int, int], str] = {}
    for assignment in uow.assignments.for_patient(patient_id):
        assert assignment.id is not None
        for stage in protocol_of(assignment).stages:
            out[(assignment.id, stage.number)] = stage.id
    return out


def rom_by_stage_week(ctx: ServiceContext, actor: Actor, patient_id: int) -> tuple[RomWeek, ...]:
    """The patient's range of motion per stage and ISO week (their time zone); audited."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        sessions = uow.sessions.for_patient(patient_id)
        stage_ids = stage_ids_of(uow, patient_id)
        audit_read(uow, ctx.clock, actor, "patient.rom", patient_id)
        uow.commit()
    return rom_weeks(sessions, stage_ids, patient.time_zone)
