"""Calendar feeds: each patient's event state (date, summary, status, SEQUENCE) for stable .ics exports.

Revision ID: 0006_calendar
Revises: 0005_recall_timeline
Create Date: 2026-11-24

A calendar app that subscribes to a patient's feed replaces an event when its UID comes back with a
higher SEQUENCE. The feed keeps what it last sent per event so re-exports change SEQUENCE only when an
event's date, summary or status changed (src/b12care/adapters/calendar/ics.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from b12care.adapters.db.types import UtcDateTime

revision: str = "0006_calendar"
down_revision: str | None = "0005_recall_timeline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_events",
        sa.Column("patient_id", sa.String(36), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("sequence >= 0", name="ck_calendar_events_sequence"),
        sa.CheckConstraint("status IN ('CONFIRMED', 'CANCELLED')", name="ck_calendar_events_status"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_calendar_events_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("patient_id", "event_key", name="pk_calendar_events"),
    )


def downgrade() -> None:
    op.drop_table("calendar_events")
