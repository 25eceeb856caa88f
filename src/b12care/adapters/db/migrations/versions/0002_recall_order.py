"""Recall order from an index: a non-null sort date and indexes on (urgency, sort_due, patient_id).

Revision ID: 0002_recall_order
Revises: 0001_initial
Create Date: 2026-11-24

The recall list sorts by urgency, then due date. With a nullable ``due`` and NULLS LAST no index could
give that order, so every all-clinics recall sorted ~40 % of the registry. ``sort_due`` is ``due``, or
9999-12-31 when there is no next dose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_recall_order"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stored_forecasts") as batch:
        batch.add_column(sa.Column("sort_due", sa.Date(), nullable=True))
    forecasts = sa.table("stored_forecasts", sa.column("due", sa.Date()), sa.column("sort_due", sa.Date()))
    no_due = sa.bindparam("no_due", dt.date(9999, 12, 31), type_=sa.Date())
    op.execute(forecasts.update().values(sort_due=sa.func.coalesce(forecasts.c.due, no_due)))
    with op.batch_alter_table("stored_forecasts") as batch:
        batch.alter_column("sort_due", existing_type=sa.Date(), nullable=False)
    op.create_index("ix_stored_forecasts_urgency", "stored_forecasts", ["urgency", "sort_due", "patient_id"])
    op.create_index(
        "ix_stored_forecasts_clinic_urgency",
        "stored_forecasts",
        ["clinic_id", "urgency", "sort_due", "patient_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_stored_forecasts_clinic_urgency", table_name="stored_forecasts")
    op.drop_index("ix_stored_forecasts_urgency", table_name="stored_forecasts")
    with op.batch_alter_table("stored_forecasts") as batch:
        batch.drop_column("sort_due")
