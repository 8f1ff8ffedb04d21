"""flag_guidance(): what a page shows at once after a "yes", without asking the server."""

from __future__ import annotations

import pytest

from spinestep.domain.redflags import RED_FLAGS
from spinestep.domain.rules import decide, flag_guidance
from tests.domain.test_rules import ready


@pytest.mark.parametrize("code", sorted(RED_FLAGS))
def test_guidance_is_what_the_decision_of_that_flag_says(code: str) -> None:
    decided = decide(ready(1, red_flags=(code,), emergency_number="999"))
    assert flag_guidance(RED_FLAGS[code], "999") == decided.message


def test_emergency_guidance_names_the_emergency_number() -> None:
    assert "999" in flag_guidance(RED_FLAGS["saddle_anaesthesia"], "999")
