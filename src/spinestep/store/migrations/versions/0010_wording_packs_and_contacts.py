"""Questionnaire wording packs (the item and option texts of an instrument, loaded from a
versioned, checksummed file) and the care team's contact details (clinic and clinicians).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
