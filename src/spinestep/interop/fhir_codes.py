"""Stable URIs and codes of spinestep's FHIR exports.

Codes LOINC lacks come from spinestep code systems under ``https://spinestep.org/fhir``
(SPEC §7). These URIs are part of the contract with the systems that import our
Bundles: never rename one; add new codes instead.
"""

from __future__ import annotations

from typing import Final

BASE: Final = "https://spinestep.org/fhir"

LOINC: Final = "http://loinc.org"
LOINC_PAIN_SEVERITY: Final = "72514-3"
"""Pain severity - 0-10 verbal numeric rating [Score] - Reported."""
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"

CS_OBSERVATION: Final = f"{BASE}/CodeSystem/observation"
"""What an Observation measures: pain-before, exercise-session, odi-score, ..."""
CS_COMPONENT: Final = f"{BASE}/CodeSystem/observation-component"
CS_LOCATION: Final = f"{BASE}/CodeSystem/symptom-location"
CS_EFFORT: Final = f"{BASE}/CodeSystem/effort"
CS_STAGE: Final = f"{BASE}/CodeSystem/stage"
CS_DIRECTION: Final = f"{BASE}/CodeSystem/direction"
CS_STARTBACK_RISK: Final = f"{BASE}/CodeSystem/startback-risk"
CS_BOTHERSOMENESS: Final = f"{BASE}/CodeSystem/startback-bothersomeness"
CS_RED_FLAG: Final = f"{BASE}/CodeSystem/red-flag"

ID_PATIENT: Final = f"{BASE}/NamingSystem/patient-id"
ID_PROGRAMME: Final = f"{BASE}/NamingSystem/programme-id"
ID_SESSION: Final = f"{BASE}/NamingSystem/session-id"
ID_QUESTIONNAIRE: Final = f"{BASE}/NamingSystem/questionnaire-response-id"
ID_ROM: Final = f"{BASE}/NamingSystem/rom-id"
ID_FLAG: Final = f"{BASE}/NamingSystem/red-flag-id"

EXT_TIME_ZONE: Final = f"{BASE}/StructureDefinition/time-zone"
EXT_CURRENT_STAGE: Final = f"{BASE}/StructureDefinition/current-stage"
EXT_STAGE_NUMBER: Final = f"{BASE}/StructureDefinition/stage-number"
EXT_HOLD_S: Final = f"{BASE}/StructureDefinition/hold-s"
EXT_PHASE: Final = f"{BASE}/StructureDefinition/phase"
"""On the CarePlan: ``progression`` or ``maintenance`` (valueCode; SPEC §3.3). Absent in
Bundles made before the maintenance phase existed: read as ``progression``."""
EXT_MAINTENANCE_SESSIONS_PER_DAY: Final = f"{BASE}/StructureDefinition/maintenance-sessions-per-day"
"""On the CarePlan: sessions a day of the maintenance exercise (valueInteger, 1-12)."""
EXT_PROGRAMME_CHANGE: Final = f"{BASE}/StructureDefinition/programme-change"
"""On a CarePlan.note Annotation: a change to the programme. Sub-extensions ``kind``
(valueCode: pause, resume, prescribe, stage_change, clearance, settings_change, complete),
``reason`` (valueString: spinestep's words) and ``has-note`` (valueBoolean: true when
Annotation.text is the clinician's own words, false when it repeats ``reason``)."""

PROTOCOL_CANONICAL: Final = f"{BASE}/PlanDefinition/"
QUESTIONNAIRE_CANONICAL: Final = f"{BASE}/Questionnaire/"

PAIN_BEFORE: Final = "pain-before"
PAIN_DURING: Final = "pain-during"
PAIN_AFTER: Final = "pain-after"
PAIN_CODES: Final = (PAIN_BEFORE, PAIN_DURING, PAIN_AFTER)
EXERCISE_SESSION: Final = "exercise-session"

# Observation codes of questionnaire scores and ROM.
SCORE_CODES: Final = {
    "odi": "odi-score",
    "rmdq": "rmdq-score",
    "psfs": "psfs-score",
    "startback": "startback-total",
}
ROM_CODES: Final = {"trunk_flexion": "trunk-flexion-rom", "hip_flexion": "hip-flexion-rom"}

# Components of the exercise-session Observation and of score Observations.
C_STAGE: Final = "stage"
C_COMPLETED: Final = "completed"
C_REPS: Final = "reps"
C_EFFORT: Final = "effort"
C_LOCATION_BEFORE: Final = "location-before"
C_LOCATION_AFTER: Final = "location-after"
C_PSYCHOSOCIAL: Final = "startback-psychosocial"
C_RISK: Final = "startback-risk"

PROGRAMME_STATUS_TO_FHIR: Final = {
    "active": "active",
    "paused": "on-hold",
    "completed": "completed",
    "ended": "revoked",
}
STAGE_STATUS_TO_FHIR: Final = {
    "not_started": "not-started",
    "in_progress": "in-progress",
    "completed": "completed",
}
