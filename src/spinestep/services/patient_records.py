"""Use cases behind exports and imports: a patient's stored records as ``PatientRecords``.

``load_patient_records`` gathers everything the FHIR, CSV and PDF exports need in one
read (audited). ``import_patient_records`` creates a new patient from records read from
a Bundle, ``import_sessions`` adds CSV rows to an existing one: each in a single unit
of work committed at the end, so a failure leaves nothing half-imported.

Every imported record passes the checks of live entry (``services.import_checks``),
whoever read the file; a session at an instant already stored is a conflict.

Decisions are never imported: they are the rules' conclusions, and one read from a file
could claim anything and stand as the latest decision on Today. The rules decide again
from the imported sessions at the next session; the decisions export is for reading.

Imported programmes arrive without clearance: a clinician clears the patient again
before the rules offer sessions (the Bundle does not carry a clearance).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from spinestep.domain.model import Phase, StageDefinition
from spinestep.domain.scoring import Instrument
from spinestep.domain.text import clean_name
from spinestep.errors import Conflict, InvalidInput, NotFound, ProtocolError
from spinestep.protocols import builtin_ids, load_builtin
from spinestep.services.access import audit, audit_read, load_patient, require_role
from spinestep.services.context import Actor, ServiceContext
from spinestep.services.deciding import effective_dose, protocol_of, session_record
from spinestep.services.import_checks import (
    InstantsSeen,
    check_daily_counts,
    check_records,
    check_session,
)
from spinestep.services.messages import message_entries
from spinestep.services.motion_metrics import check_motion_metrics
from spinestep.services.ports import UnitOfWork
from spinestep.services.questionnaire_scores import (
    answers_from_json,
    answers_to_json,
    score_answers,
)
from spinestep.services.record_types import (
    ChangeKind,
    DecisionEntry,
    FlagEntry,
    MotionMetrics,
    PatientInfo,
    PatientRecords,
    ProgrammeChange,
    ProgrammeInfo,
    ProgrammeStatus,
    QuestionnaireEntry,
    RomEntry,
    RomMeasure,
    ScreeningEntry,
    SessionEntry,
    StagePlan,
    StageStatus,
)
from spinestep.services.records import (
    AssignmentRecord,
    EventKind,
    PatientRecord,
    ProgrammeEvent,
    RedFlagReport,
    Role,
    ScreeningRecord,
    StoredDecision,
    StoredQuestionnaire,
    StoredSession,
)
from spinestep.services.records import ProgrammeStatus as StoredStatus

_STATUS_OUT = {
    StoredStatus.ACTIVE: ProgrammeStatus.ACTIVE,
    StoredStatus.PAUSED: ProgrammeStatus.PAUSED,
    StoredStatus.COMPLETED: ProgrammeStatus.COMPLETED,
}
_STATUS_IN = {value: key for key, value in _STATUS_OUT.items()}
IMPORTED_NAME = "Imported patient"


def load_patient_records(ctx: ServiceContext, actor: Actor, patient_id: int) -> PatientRecords:
    """Everything held about one patient, for export."""
    with ctx.uow() as uow:
        patient = load_patient(uow, actor, patient_id)
        records = _gather(uow, patient)
        audit_read(uow, ctx.clock, actor, "records.export", patient_id)
        uow.commit()
    return records


def _gather(uow: UnitOfWork, patient: PatientRecord) -> PatientRecords:
    assert patient.id is not None
    assignment = uow.assignments.current_for(patient.id)
    sessions = uow.sessions.for_patient(patient.id)
    local = ZoneInfo(patient.time_zone)
    questionnaires = tuple(
        replace(q, taken_at=q.taken_at.astimezone(local))
        for q in stored_questionnaires(uow, patient.id)
    )
    return PatientRecords(
        patient=PatientInfo(
            id=str(patient.id),
            name=patient.display_name,
            time_zone=patient.time_zone,
            uuid=patient.uuid,
            emergency_number=patient.emergency_number,
        ),
        installation=uow.installation.uuid(),
        programme=None if assignment is None else _programme(assignment),
        sessions=tuple(
            SessionEntry(str(s.id), session_record(s), s.uuid, stopped_early=s.stopped_early)
            for s in sessions
        ),
        decisions=tuple(_decision(d) for d in uow.decisions.for_patient(patient.id)),
        questionnaires=questionnaires,
        rom=tuple(rom for s in sessions if (rom := _rom(s)) is not None),
        flags=tuple(
            FlagEntry(
                code=f.code,
                raised_at=f.reported_at,
                resolved_at=f.resolved_at,
                uuid=f.uuid,
                source=f.source,
                outcome=f.outcome,
                resolved_by_self=f.resolved_by_self,
            )
            for f in uow.red_flags.for_patient(patient.id)
        ),
        screenings=tuple(
            ScreeningEntry(
                at=s.at.astimezone(local),
                source=s.source,
                answers=tuple(sorted((str(k), bool(v)) for k, v in s.answers.items())),
                uuid=s.uuid,
            )
            for s in uow.screenings.for_patient(patient.id)
        ),
        changes=tuple(
            ProgrammeChange(at=e.at, kind=ChangeKind(e.kind.value), reason=e.reason, note=e.note)
            for e in uow.events.for_patient(patient.id)
            if assignment is not None and e.assignment_id == assignment.id
        ),
        messages=message_entries(uow, patient.id),
    )


def stored_questionnaires(uow: UnitOfWork, patient_id: int) -> tuple[QuestionnaireEntry, ...]:
    """The patient's questionnaires (not NPRS, which comes from sessions), oldest first."""
    return questionnaire_entries(uow.questionnaires.for_patient(patient_id))


def questionnaire_entries(
    stored: Iterable[StoredQuestionnaire],
) -> tuple[QuestionnaireEntry, ...]:
    """``stored_questionnaires`` from questionnaires already read."""
    return tuple(
        QuestionnaireEntry(
            id=str(q.id),
            uuid=q.uuid,
            taken_at=q.taken_at,
            answers=answers_from_json(
                Instrument(q.instrument), {k: v for k, v in q.answers.items() if k != "instrument"}
            ),
        )
        for q in sorted(stored, key=lambda q: q.taken_at)
        if q.instrument != Instrument.NPRS.value
    )


def _programme(assignment: AssignmentRecord) -> ProgrammeInfo:
    protocol = protocol_of(assignment)
    status = _STATUS_OUT[assignment.status]
    maintenance = assignment.phase is Phase.MAINTENANCE or status is ProgrammeStatus.COMPLETED
    stages = []
    for stage in protocol.stages:
        if stage.number < assignment.current_stage or maintenance:
            stage_status = StageStatus.COMPLETED
        elif stage.number == assignment.current_stage:
            stage_status = StageStatus.IN_PROGRESS
        else:
            stage_status = StageStatus.NOT_STARTED
        dose = effective_dose(protocol, assignment, stage.number)
        stages.append(StagePlan(stage.number, stage.id, stage.title, dose, stage_status))
    return ProgrammeInfo(
        protocol_id=protocol.id,
        title=protocol.title,
        direction=protocol.direction,
        current_stage=assignment.current_stage,
        status=status,
        started_at=assignment.created_at,
        stages=tuple(stages),
        phase=Phase.MAINTENANCE if maintenance else Phase.PROGRESSION,
        maintenance_sessions_per_day=assignment.maintenance_sessions_per_day,
        uuid=assignment.uuid,
        directional_preference=assignment.directional_preference,
        outcome_measure=assignment.outcome_measure,
        psfs_enabled=assignment.psfs_enabled,
        paused_reason=assignment.paused_reason,
        paused_at=assignment.paused_at,
        progress_after_sessions=assignment.progress_after_sessions,
        min_days_at_stage=assignment.min_days_at_stage,
        worsening_points=assignment.worsening_points,
        progress_max_pain=assignment.progress_max_pain,
        progress_max_location=assignment.progress_max_location,
        run_since=assignment.run_since,
    )


def _decision(entry: StoredDecision) -> DecisionEntry:
    rules = tuple(
        f"{r['rule']}:{r['flag']}" if r.get("flag") else str(r["rule"]) for r in entry.reasons
    )
    return DecisionEntry(
        id=str(entry.id),
        at=entry.made_at,
        decision=entry.decision,
        urgency=entry.urgency,
        current_stage=entry.current_stage,
        next_stage=entry.next_stage,
        rules=rules,
        message=entry.message,
        rules_version=entry.rules_version,
    )


def _rom(entry: StoredSession) -> RomEntry | None:
    motion = entry.motion or {}
    rom = motion.get("rom_deg_median")
    if not isinstance(rom, int | float) or isinstance(rom, bool):
        return None
    default = (
        RomMeasure.HIP_FLEXION if motion.get("stage") == "supine" else RomMeasure.TRUNK_FLEXION
    )
    try:
        measure = RomMeasure(motion.get("measure", default.value))
    except ValueError:
        return None
    return RomEntry(
        id=str(entry.id),
        at=entry.at,
        stage=entry.stage,
        measure=measure,
        rom_deg=Decimal(repr(float(rom))),
        uuid=entry.uuid,
        metrics=_metrics(motion),
    )


def _metrics(motion: dict[str, Any]) -> MotionMetrics | None:
    """The stored metrics beyond the median (None for a row stored before they were kept)."""
    try:
        checked = check_motion_metrics(motion)
    except InvalidInput:
        return None
    visibility = checked["visibility_mean"]
    return MotionMetrics(
        exercise=checked["stage"],
        reps=checked["reps"],
        held_count=checked["held_count"],
        rep_rom_deg=tuple(Decimal(repr(value)) for value in checked["rom_deg"]),
        detected_fraction=Decimal(repr(checked["detected_fraction"])),
        visibility_mean=None if visibility is None else Decimal(repr(visibility)),
    )


def import_patient_records(ctx: ServiceContext, actor: Actor, records: PatientRecords) -> int:
    """Store ``records`` (read from a Bundle) as a new patient; returns the new patient id."""
    if records.sessions and records.programme is None:
        raise InvalidInput("CarePlan", "sessions need the programme they belong to")
    require_role(actor, Role.CLINICIAN, Role.ADMIN)
    clinician_id = actor.user_id if actor.role is Role.CLINICIAN and not actor.local else None
    now = ctx.clock.now()
    programme = records.programme
    protocol = None if programme is None else load_builtin(programme.protocol_id)
    check_records(records, now, None if protocol is None else protocol.final_stage)
    if programme is not None and protocol is not None:
        _check_motion_stages(records.rom, {s.number: s.id for s in protocol.stages})
        most = max(
            [programme.maintenance_sessions_per_day]
            + [stage.dose.sessions_per_day for stage in programme.stages]
        )
        check_daily_counts(
            ((s.record.at, f"sessions[{i}].at") for i, s in enumerate(records.sessions)),
            records.patient.time_zone,
            most,
        )
    name = records.patient.name
    with ctx.uow() as uow:
        patient = uow.patients.add(
            PatientRecord(
                display_name=clean_name(name, "Patient.name") if name else IMPORTED_NAME,
                time_zone=records.patient.time_zone,
                emergency_number=records.patient.emergency_number,
                created_at=now,
                self_managed=clinician_id is None,
                clinician_id=clinician_id,
            )
        )
        assert patient.id is not None
        assignment = None
        if programme is not None:
            assignment = uow.assignments.add(_assignment(patient.id, programme))
        motion = {rom.id: rom for rom in records.rom}
        if assignment is not None:
            assert assignment.id is not None
            _add_sessions(uow, patient.id, assignment.id, records.sessions, now, motion)
            for change in records.changes:
                uow.events.add(
                    ProgrammeEvent(
                        patient_id=patient.id,
                        assignment_id=assignment.id,
                        kind=EventKind(change.kind.value),
                        at=change.at,
                        reason=change.reason,
                        note=change.note,
                    )
                )
        for entry in records.questionnaires:
            _add_questionnaire(uow, patient.id, entry)
        for flag in records.flags:
            uow.red_flags.add(
                RedFlagReport(
                    patient_id=patient.id,
                    code=flag.code,
                    reported_at=flag.raised_at,
                    source=flag.source,
                    resolved_at=flag.resolved_at,
                    resolved_by_self=flag.resolved_by_self,
                    outcome=flag.outcome,
                )
            )
        for screening in records.screenings:
            uow.screenings.add(
                ScreeningRecord(
                    patient_id=patient.id,
                    at=screening.at,
                    source=screening.source,
                    answers=dict(screening.answers),
                )
            )
        audit(uow, ctx.clock, actor, "records.import", patient.id)
        uow.commit()
    return patient.id


def import_sessions(
    ctx: ServiceContext, actor: Actor, patient_id: int, sessions: Sequence[SessionEntry]
) -> int:
    """Add CSV sessions to the patient's current programme; returns how many were added."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.lock_patient(patient_id)
        patient = load_patient(uow, actor, patient_id)
        assignment = uow.assignments.current_for(patient_id)
        if assignment is None or assignment.id is None:
            raise NotFound(f"patient {patient_id} has no programme yet")
        protocol = protocol_of(assignment)
        final = protocol.final_stage
        stored = {s.at for s in uow.sessions.for_patient(patient_id)}
        seen = InstantsSeen("session")
        for index, entry in enumerate(sessions):
            check_session(entry, f"sessions[{index}]", now, final)
            seen.add(entry.record.at, f"sessions[{index}].at")
            if entry.record.at in stored:
                raise Conflict(
                    f"a session at {entry.record.at.isoformat()} is already stored; "
                    "nothing was imported"
                )
        most = max(
            [assignment.maintenance_sessions_per_day]
            + [
                effective_dose(protocol, assignment, stage.number).sessions_per_day
                for stage in protocol.stages
            ]
        )
        check_daily_counts(
            ((s.record.at, f"sessions[{i}].at") for i, s in enumerate(sessions)),
            patient.time_zone,
            most,
            stored,
        )
        _add_sessions(uow, patient_id, assignment.id, sessions, now, {})
        audit(uow, ctx.clock, actor, "records.import_sessions", patient_id)
        uow.commit()
    return len(sessions)


def _assignment(patient_id: int, programme: ProgrammeInfo) -> AssignmentRecord:
    if programme.protocol_id not in builtin_ids():
        raise InvalidInput("CarePlan.instantiatesCanonical", "names an unknown protocol")
    try:
        protocol = load_builtin(programme.protocol_id)
    except ProtocolError as error:
        raise InvalidInput("CarePlan.instantiatesCanonical", str(error)) from None
    if not 1 <= programme.current_stage <= protocol.final_stage:
        raise InvalidInput("CarePlan.current-stage", f"must be 1-{protocol.final_stage}")
    if (
        programme.phase is Phase.MAINTENANCE
        and programme.current_stage != protocol.maintenance_stage
    ):
        raise InvalidInput(
            "CarePlan.current-stage",
            f"must be the maintenance stage {protocol.maintenance_stage} in maintenance",
        )
    if not 1 <= programme.maintenance_sessions_per_day <= 12:
        raise InvalidInput("CarePlan.maintenance-sessions-per-day", "must be 1-12")
    overrides: dict[str, Any] = {}
    by_number: dict[int, StageDefinition] = {s.number: s for s in protocol.stages}
    for plan in programme.stages:
        stage = by_number.get(plan.number)
        if stage is None or stage.id != plan.id:
            raise InvalidInput(f"CarePlan.activity[{plan.number}]", "does not match the protocol")
        if plan.dose != stage.dose:
            overrides[str(plan.number)] = plan.dose.to_json()
    return AssignmentRecord(
        patient_id=patient_id,
        protocol_id=protocol.id,
        current_stage=programme.current_stage,
        created_at=programme.started_at,
        updated_at=programme.started_at,
        dose_overrides=overrides,
        status=_STATUS_IN.get(programme.status, StoredStatus.PAUSED),
        phase=programme.phase,
        maintenance_sessions_per_day=programme.maintenance_sessions_per_day,
        directional_preference=programme.directional_preference,
        outcome_measure=programme.outcome_measure,
        psfs_enabled=programme.psfs_enabled,
        paused_reason=programme.paused_reason,
        paused_at=programme.paused_at,
        progress_after_sessions=programme.progress_after_sessions,
        min_days_at_stage=programme.min_days_at_stage,
        worsening_points=programme.worsening_points,
        progress_max_pain=programme.progress_max_pain,
        progress_max_location=programme.progress_max_location,
        run_since=programme.run_since,
    )


def _check_motion_stages(rom: Sequence[RomEntry], stage_ids: dict[int, str]) -> None:
    """Refuse motion metrics of another exercise than their session's, as live entry does."""
    for index, entry in enumerate(rom):
        if entry.metrics is None:
            continue
        expected = stage_ids.get(entry.stage, "")
        if entry.metrics.exercise != expected:
            raise InvalidInput(
                f"rom[{index}].motion.stage",
                f"the video shows the {entry.metrics.exercise} exercise but the session is "
                f"at stage {entry.stage} ({expected})",
            )


def _add_sessions(
    uow: UnitOfWork,
    patient_id: int,
    assignment_id: int,
    sessions: Sequence[SessionEntry],
    now: datetime,
    rom: dict[str, RomEntry],
) -> None:
    for entry in sessions:
        r = entry.record
        measured = rom.get(entry.id)
        motion = None
        if measured is not None and measured.metrics is not None:
            motion = check_motion_metrics(
                measured.metrics.to_json(measured.measure, measured.rom_deg)
            )
        elif measured is not None:
            motion = {"measure": measured.measure.value, "rom_deg_median": float(measured.rom_deg)}
        uow.sessions.add(
            StoredSession(
                patient_id=patient_id,
                assignment_id=assignment_id,
                at=r.at,
                stage=r.stage,
                completed=r.completed,
                effort=r.effort,
                pain_before=r.pain_before,
                pain_during=r.pain_during,
                pain_after=r.pain_after,
                location_before=r.location_before,
                location_after=r.location_after,
                created_at=now,
                reps=r.reps,
                stopped_early=entry.stopped_early,
                motion=motion,
            )
        )


def _add_questionnaire(uow: UnitOfWork, patient_id: int, entry: QuestionnaireEntry) -> None:
    instrument = entry.instrument
    uow.questionnaires.add(
        StoredQuestionnaire(
            patient_id=patient_id,
            instrument=instrument.value,
            taken_at=entry.taken_at,
            answers={"instrument": instrument.value, **answers_to_json(entry.answers)},
            score=score_answers(entry.answers).to_json(),
        )
    )
