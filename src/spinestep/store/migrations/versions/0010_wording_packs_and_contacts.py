"""Questionnaire wording packs (the item and option texts of an instrument, loaded from a
versioned, checksummed file) and the care team's contact details (clinic and clinicians).

- ``clinic_contacts``: one row (``id`` 1) with the clinic's phone, e-mail and hours;
- ``clinician_contacts``: each clinician's own phone, e-mail and hours;
- ``wording_packs``: every loaded pack (instrument, language, pack version, its texts,
  source and licence statements and checksum), unique per instrument, language and
  version;
- ``questionnaire_wording_shown``: the pack a questionnaire response was answered from.
  Existing responses have no row: they were answered from the paper form.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def _contact_columns() -> list[sa.Column[str | None]]:
    return [
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("hours", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "clinic_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        *_contact_columns(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_clinic_contacts_single_row")),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_clinic_contacts_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_contacts")),
    )
    op.create_table(
        "clinician_contacts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        *_contact_columns(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_clinician_contacts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_clinician_contacts")),
    )
    op.create_table(
        "wording_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("pack_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loaded_by"],
            ["users.id"],
            name=op.f("fk_wording_packs_loaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wording_packs")),
        sa.UniqueConstraint(
            "instrument", "language", "pack_version", name=op.f("uq_wording_packs_instrument")
        ),
    )
    op.create_table(
        "questionnaire_wording_shown",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["questionnaire_responses.id"],
            name=op.f("fk_questionnaire_wording_shown_response_id_questionnaire_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["wording_packs.id"],
            name=op.f("fk_questionnaire_wording_shown_pack_id_wording_packs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_questionnaire_wording_shown")),
    )
    op.create_index(
        op.f("ix_questionnaire_wording_shown_pack_id"),
        "questionnaire_wording_shown",
        ["pack_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_questionnaire_wording_shown_pack_id"), table_name="questionnaire_wording_shown"
    )
    op.drop_table("questionnaire_wording_shown")
    op.drop_table("wording_packs")
    op.drop_table("clinician_contacts")
    op.drop_table("clinic_contacts")
