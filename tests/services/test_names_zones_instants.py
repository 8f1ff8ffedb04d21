"""Where a person's names, zones and instants enter the services, the same checks apply
for the API, the pages and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from spinestep.errors import InvalidInput
from spinestep.services import onboarding, questionnaires
from spinestep.services.assessment import parse_assessment
from spinestep.services.context import Actor, FixedClock, ServiceContext
from tests.services.support import onboard


@pytest.mark.parametrize("zone", ["Europe", "localtime", "Factory", "Asia/Calcutta", ""])
def test_onboarding_refuses_a_zone_that_is_not_canonical(
    ctx: ServiceContext, me: Actor, zone: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        onboard(ctx, me, time_zone=zone)
    assert refused.value.path == "time_zone"


@pytest.mark.parametrize("name", ["Ann\x1b[31m", "Ann\u202e", "Ann\nBob", "\u200b"])
def test_onboarding_refuses_a_name_with_control_characters(
    ctx: ServiceContext, me: Actor, name: str
) -> None:
    data = onboarding.OnboardingInput(display_name=name, time_zone="UTC", clearance=True)
    with pytest.raises(InvalidInput) as refused:
        onboarding.onboard(ctx, me, data)
    assert refused.value.path == "display_name"


def test_who_assessed_you_is_a_name_without_control_characters() -> None:
    today = datetime(2026, 11, 20, tzinfo=UTC).date()
    with pytest.raises(InvalidInput, match="assessed_by"):
        parse_assessment("Dr\x1b[2J Patel", today, "carry on")
    assert parse_assessment(" Dr Pate\u0301l ", today, "ok").assessed_by == "Dr Pat\u00e9l"


@pytest.mark.parametrize(
    "taken_at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1999, 12, 31, tzinfo=UTC),
        datetime(2999, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 20, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
    ],
)
def test_a_questionnaire_time_must_lie_between_2000_and_now(
    ctx: ServiceContext, me: Actor, clock: FixedClock, taken_at: datetime
) -> None:
    patient_id = onboard(ctx, me)
    answers = {"instrument": "rmdq", "ticked": [1, 2]}
    with pytest.raises(InvalidInput) as refused:
        questionnaires.record_response(ctx, me, patient_id, answers, taken_at)
    assert refused.value.path == "taken_at"
    stored = questionnaires.record_response(ctx, me, patient_id, answers, clock.now())
    assert stored.taken_at == clock.now()
