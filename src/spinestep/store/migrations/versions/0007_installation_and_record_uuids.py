"""Identity: a random UUID for the installation and for every record that leaves it.

- ``installation``: one row (``id`` 1) holding a random UUID made when this migration
  runs, on a new database and on an existing one alike. FHIR identifier systems name it
  (``urn:uuid:<installation uuid>``), so two installations never share one.
- ``uuid`` on every table whose rows become FHIR resources (patients, programmes,
  sessions, decisions, programme events, questionnaire responses, screenings and red
  flag reports): a random UUID per row, kept for the row's life, so an export gives a
  record the same id each time and two databases never give the same id. Existing rows
  are filled in batches with a fresh random UUID each; a unique index guards it.

SQLite cannot make an existing column NOT NULL without rebuilding the table, and a
rebuild with foreign keys on would cascade into the child rows; so the column is added
there as ``NOT NULL DEFAULT ''``. The repositories always write a UUID; the default is
never used, and the unique index refuses a second empty value.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

#: The tables whose rows become FHIR resources (or may: decisions, events, screenings).
TABLES = (
    "patients",
    "programme_assignments",
    "sessions",
    "decisions",
    "programme_events",
    "questionnaire_responses",
    "screenings",
    "red_flag_reports",
)

_BATCH = 1000


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.bulk_insert(
        installation,
        [{"id": 1, "uuid": str(uuid.uuid4()), "created_at": datetime.now(UTC)}],
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("uuid", sa.String(length=36), nullable=False, server_default=""),
        )
        _fill(table)
        if not sqlite:
            op.alter_column(table, "uuid", server_default=None)
        op.create_index(op.f(f"ix_{table}_uuid"), table, ["uuid"], unique=True)


def _fill(name: str) -> None:
    """A fresh random UUID for every row of ``name``, ``_BATCH`` rows at a time."""
    connection = op.get_bind()
    table = sa.table(name, sa.column("id", sa.Integer()), sa.column("uuid", sa.String()))
    fill = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(uuid=sa.bindparam("row_uuid"))
    )
    last = 0
    while True:
        ids = (
            connection.execute(
                sa.select(table.c.id).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
            )
            .scalars()
            .all()
        )
        if not ids:
            return
        connection.execute(fill, [{"row_id": i, "row_uuid": str(uuid.uuid4())} for i in ids])
        last = ids[-1]


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(op.f(f"ix_{table}_uuid"), table_name=table)
        # Not a batch: rebuilding a parent table on SQLite would cascade into its children.
        op.drop_column(table, "uuid")
    op.drop_table("installation")
