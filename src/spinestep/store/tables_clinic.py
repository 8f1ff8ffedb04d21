"""Tables of the questionnaire wording packs (created by their migration)."""

from __future__ import annotations
