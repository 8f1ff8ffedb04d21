"""Tables of the questionnaire wording packs and the care team's contact details (created
by their migration)."""

from __future__ import annotations
