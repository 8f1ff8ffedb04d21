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
LOINC_PAIN_SEVERITY_DISPLAY: Final = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
SNOMED: Final = "http://snomed.info/sct"
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
ID_MESSAGE: Final = f"{BASE}/NamingSystem/message-id"
ID_MESSAGE_THREAD: Final = f"{BASE}/NamingSystem/message-thread-id"

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

EXT_EMERGENCY_NUMBER: Final = f"{BASE}/StructureDefinition/emergency-number"
"""On the Patient: the local emergency number the emergency message gives (valueCode
``112``, ``999`` or ``911``; SPEC §3.5). A country's number, not the patient's contact."""
EXT_DIRECTIONAL_PREFERENCE: Final = f"{BASE}/StructureDefinition/directional-preference"
"""On the CarePlan: the clinician's finding (valueCode ``flexion``, ``extension``, ``unknown``)."""
EXT_OUTCOME_MEASURE: Final = f"{BASE}/StructureDefinition/outcome-measure"
"""On the CarePlan: the disability questionnaire chosen (valueCode ``odi`` or ``rmdq``)."""
EXT_PSFS_ENABLED: Final = f"{BASE}/StructureDefinition/psfs-enabled"
"""On the CarePlan: whether PSFS is asked every 14 days (valueBoolean)."""
EXT_PAUSE: Final = f"{BASE}/StructureDefinition/pause"
"""On a paused CarePlan: sub-extensions ``at`` (valueDateTime) and ``reason`` (valueString)."""
EXT_RULE_SETTINGS: Final = f"{BASE}/StructureDefinition/rule-settings"
"""On the CarePlan: the rules' settings of SPEC §3.3, one sub-extension each
(``progress-after-sessions``, ``min-days-at-stage``, ``worsening-points``,
``progress-max-pain``: valueInteger; ``progress-max-location``: valueCode)."""
EXT_RUN_SINCE: Final = f"{BASE}/StructureDefinition/run-since"
"""On the CarePlan: since when sessions count towards progress (valueDateTime)."""
EXT_RED_FLAG_SOURCE: Final = f"{BASE}/StructureDefinition/red-flag-source"
"""On a Flag and a red-flag screening Observation: where the answers were given
(valueCode ``onboarding``, ``session``, ``monthly``)."""
EXT_FLAG_RESOLUTION: Final = f"{BASE}/StructureDefinition/flag-resolution"
"""On a resolved Flag: sub-extensions ``outcome`` (valueString: what the review found)
and ``by-patient`` (valueBoolean: a person without a clinician confirmed it)."""

PROTOCOL_CANONICAL: Final = f"{BASE}/PlanDefinition/"
QUESTIONNAIRE_CANONICAL: Final = f"{BASE}/Questionnaire/"

PAIN_BEFORE: Final = "pain-before"
PAIN_DURING: Final = "pain-during"
PAIN_AFTER: Final = "pain-after"
PAIN_CODES: Final = (PAIN_BEFORE, PAIN_DURING, PAIN_AFTER)
EXERCISE_SESSION: Final = "exercise-session"
RED_FLAG_SCREENING: Final = "red-flag-screening"

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
C_STOPPED_EARLY: Final = "stopped-early"
C_MOTION_EXERCISE: Final = "motion-exercise"
C_MOTION_REPS: Final = "motion-reps"
C_HELD_COUNT: Final = "held-count"
C_REP_ROM: Final = "rep-rom"
C_DETECTED_FRACTION: Final = "detected-fraction"
C_VISIBILITY_MEAN: Final = "visibility-mean"
C_SIDE_VIEW: Final = "side-view"
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


# LOINC codes of the questionnaires (LOINC long common names as displays). Each was
# checked against LOINC's published term pages; docs/records.md names the source. RMDQ
# and PSFS have no LOINC code we could confirm: they keep the spinestep codes only.
LOINC_ODI_PANEL: Final = ("97908-8", "Oswestry Disability Index")
LOINC_ODI_SCORE: Final = ("97909-6", "Oswestry disability index score ODI")
LOINC_STARTBACK_PANEL: Final = ("91349-1", "STarT Back Screening Tool panel")
LOINC_STARTBACK_ITEMS: Final = (
    ("91340-0", "My back pain has spread down my leg(s) at some time in the last 2 weeks"),
    ("91341-8", "I have had pain in the shoulder or neck at some time in the last 2 weeks"),
    ("91342-6", "I have only walked short distances because of my back pain"),
    ("91343-4", "In the last 2 weeks, I have dressed more slowly than usual because of back pain"),
    (
        "91344-2",
        "It's not really safe for a person with a condition like mine to be physically active",
    ),
    ("91345-9", "Worrying thoughts have been going through my mind a lot of the time"),
    ("91346-7", "I feel that my back pain is terrible and it's never going to get any better"),
    ("91347-5", "In general I have not enjoyed all the things I used to enjoy"),
    ("91348-3", "Overall, how bothersome has your back pain been in the last 2 weeks?"),
)
"""STarT Back items 1-9 in order."""
LOINC_STARTBACK_DISTRESS: Final = ("91350-9", "Distress subscore [STarT Back]")
LOINC_STARTBACK_TOTAL: Final = ("91351-7", "Total score [STarT Back]")
LOINC_STARTBACK_RISK: Final = ("91352-5", "STarT Back Screening risk level")
LOINC_STARTBACK_RISK_ANSWERS: Final = {
    "low": ("LA9194-7", "Low"),
    "medium": ("LA8982-6", "Medium"),
    "high": ("LA9193-9", "High"),
}
"""LOINC answer list LL3578-3 of 91352-5."""

LOCATION_BODY_SITES: Final = {
    "back": ("37822005", "Lower back structure"),
    "buttock": ("46862004", "Buttock structure"),
    "thigh": ("68367000", "Thigh structure"),
    "below_knee": ("30021000", "Structure of lower extremity from knee to ankle"),
    "foot": ("56459004", "Foot structure"),
}
"""SNOMED CT body structures of the symptom locations (``none`` has no body site)."""

# Displays of spinestep's own codes: every coding the export writes carries one.
OBSERVATION_DISPLAYS: Final = {
    PAIN_BEFORE: "Pain before the exercise (0-10)",
    PAIN_DURING: "Worst pain during the exercise (0-10)",
    PAIN_AFTER: "Pain about 5 minutes after the exercise (0-10)",
    EXERCISE_SESSION: "Exercise session",
    RED_FLAG_SCREENING: "Red flag screening answers",
    "odi-score": "Oswestry Disability Index score (%)",
    "rmdq-score": "Roland-Morris Disability Questionnaire score (0-24)",
    "psfs-score": "Patient-Specific Functional Scale mean rating (0-10)",
    "startback-total": "STarT Back total score (0-9)",
    "trunk-flexion-rom": "Trunk flexion range of motion",
    "hip-flexion-rom": "Hip flexion range of motion",
}
COMPONENT_DISPLAYS: Final = {
    C_STAGE: "Stage number",
    C_COMPLETED: "Session completed",
    C_REPS: "Repetitions done",
    C_EFFORT: "Effort",
    C_LOCATION_BEFORE: "Furthest symptoms before the exercise",
    C_LOCATION_AFTER: "Furthest symptoms after the exercise",
    C_STOPPED_EARLY: "Stopped early (stop now)",
    C_MOTION_EXERCISE: "Exercise the video shows",
    C_MOTION_REPS: "Repetitions counted by motion analysis",
    C_HELD_COUNT: "Repetitions held at least 0.8 s",
    C_REP_ROM: "Range of motion of one repetition",
    C_DETECTED_FRACTION: "Frames with the person detected (%)",
    C_VISIBILITY_MEAN: "Mean landmark visibility (%)",
    C_SIDE_VIEW: "Camera side-on",
    C_PSYCHOSOCIAL: "STarT Back psychosocial subscore (items 5-9)",
    C_RISK: "STarT Back risk group",
}
LOCATION_DISPLAYS: Final = {
    "none": "No symptoms",
    "back": "Back",
    "buttock": "Buttock",
    "thigh": "Thigh",
    "below_knee": "Below the knee",
    "foot": "Foot",
}
CATEGORY_DISPLAYS: Final = {
    "survey": "Survey",
    "activity": "Activity",
    "exam": "Exam",
}
"""Displays of the HL7 observation-category codes used."""


def own_display(code: str) -> str:
    """A display for a spinestep code that is a plain snake_case word (effort, flag...)."""
    words = code.replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]
