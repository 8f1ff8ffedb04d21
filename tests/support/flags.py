"""The red-flag codes asked before every session, written out by hand from SPEC §4 (in
its table order), for tests that must not take them from the code under test."""

from __future__ import annotations

EVERY_SESSION_CODES = (
    "new_bladder_dysfunction",
    "new_bowel_dysfunction",
    "saddle_anaesthesia",
    "new_sexual_dysfunction",
    "progressive_or_severe_motor_deficit",
    "bilateral_leg_symptoms",
    "infection_features",
    "night_pain_unremitting",
)
