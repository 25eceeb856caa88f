"""Recall as of any date: each patient's recall timeline (spans of days on the recall list).

Revision ID: 0005_recall_timeline
Revises: 0004_cds_hooks
Create Date: 2026-11-24

Stored forecasts were as of their last write, so a recall list for another day was only as fresh as the
last ``b12care recompute``. Each write now also stores the spans of days in which the patient is on the
recall list if nothing new is recorded; the recall list of day D reads the spans covering D off an
index. The stored-forecast recall indexes are no longer read, so they go (fewer index writes per write).
Existing timelines are filled by ``b12care recompute`` (run it once after upgrading; the release notes
say so); until then the recall list is empty for patients not written since.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_recall_timeline"
down_revision: str | None = "0004_cds_hooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ORDER = ["urgency", "sort_due", "patient_id", "valid_from", "valid_to"]


def upgrade() -> None:
    op.create_table(
        "recall_timeline",
        sa.Column("patient_id", sa.String(36), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("clinic_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("urgency", sa.SmallInteger(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("overdue", sa.Date(), nullable=True),
        sa.Column("sort_due", sa.Date(), nullable=False),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("pack_id", sa.String(100), nullable=False),
        sa.Column("pack_version", sa.String(50), nullable=False),
        sa.CheckConstraint("valid_from < valid_to", name="ck_recall_timeline_span"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_recall_timeline_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name="fk_recall_timeline_clinic_id_clinics"),
        sa.PrimaryKeyConstraint("patient_id", "valid_from", name="pk_recall_timeline"),
    )
    op.create_index("ix_recall_timeline_order", "recall_timeline", _ORDER)
    op.create_index("ix_recall_timeline_clinic_order", "recall_timeline", ["clinic_id", *_ORDER])
    op.drop_index("ix_stored_forecasts_recall", table_name="stored_forecasts")
    op.drop_index("ix_stored_forecasts_urgency", table_name="stored_forecasts")
    op.drop_index("ix_stored_forecasts_clinic_urgency", table_name="stored_forecasts")


def downgrade() -> None:
    op.create_index(
        "ix_stored_forecasts_clinic_urgency",
        "stored_forecasts",
        ["clinic_id", "urgency", "sort_due", "patient_id"],
    )
    op.create_index("ix_stored_forecasts_urgency", "stored_forecasts", ["urgency", "sort_due", "patient_id"])
    op.create_index("ix_stored_forecasts_recall", "stored_forecasts", ["clinic_id", "status", "due"])
    op.drop_index("ix_recall_timeline_clinic_order", table_name="recall_timeline")
    op.drop_index("ix_recall_timeline_order", table_name="recall_timeline")
    op.drop_table("recall_timeline")
