"""The questionnaire wording spinestep may show and ship (pages, FHIR Questionnaires).

Only the wording the project decided to ship lives here: the STarT Back statements and
bothersomeness answers, the names of the ten ODI sections and the PSFS rating anchors.
The ODI statements and the RMDQ statements are not shipped: patients read them on the
paper form their clinician hands out.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from spinestep.domain.scoring import Bothersomeness

ODI_SECTION_NAMES: Final = (
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
STARTBACK_STATEMENTS: Final = (
    "My back pain has spread down my leg(s) at some time in the last 2 weeks",
    "I have had pain in the shoulder or neck at some time in the last 2 weeks",
    "I have only walked short distances because of my back pain",
    "In the last 2 weeks, I have dressed more slowly than usual because of back pain",
    "It is not really safe for a person with a condition like mine to be physically active",
    "Worrying thoughts have been going through my mind a lot of the time",
    "I feel that my back pain is terrible and it is never going to get any better",
    "In general I have not enjoyed all the things I used to enjoy",
)
STARTBACK_BOTHER_QUESTION: Final = (
    "Overall, how bothersome has your back pain been in the last 2 weeks?"
)
BOTHERSOMENESS_LABELS: Final = MappingProxyType(
    {
        Bothersomeness.NOT_AT_ALL: "Not at all",
        Bothersomeness.SLIGHTLY: "Slightly",
        Bothersomeness.MODERATELY: "Moderately",
        Bothersomeness.VERY_MUCH: "Very much",
        Bothersomeness.EXTREMELY: "Extremely",
    }
)
PSFS_ACTIVITY_PROMPT: Final = "Activity"
PSFS_RATING_PROMPT: Final = "Rating: 0 = unable to do it, 10 = as well as before the problem"
