"""Initial schema: clinics, patients, plan versions, doses, labs, symptom checks, reviews, audit log and
each patient's stored forecast.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24

A frozen snapshot: later changes go in new revisions, never here. The vocabularies in the CHECK
constraints are spelled out so that changing a code list in the code needs a migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

from b12care.adapters.db.types import DecimalText, UtcDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)
WHO = sa.String(200)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SYMPTOMS = ("fatigue", "pins_and_needles", "balance", "memory", "mood", "sore_tongue", "vision")


def _id() -> sa.Column[str]:
    return sa.Column("id", ID, primary_key=True)


def _patient_id() -> sa.Column[str]:
    return sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), nullable=False)


def _entered_in_error() -> list[SchemaItem]:
    return [
        sa.Column("entered_in_error_at", UtcDateTime(), nullable=True),
        sa.Column("entered_in_error_by", WHO, nullable=True),
        sa.Column("entered_in_error_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(entered_in_error_at IS NULL AND entered_in_error_by IS NULL"
            " AND entered_in_error_reason IS NULL)"
            " OR (entered_in_error_at IS NOT NULL AND entered_in_error_by IS NOT NULL"
            " AND entered_in_error_reason IS NOT NULL)",
            name="entered_in_error_complete",
        ),
    ]


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "clinics",
        _id(),
        sa.Column("name", WHO, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", WHO, nullable=False),
    )
    op.create_table(
        "patients",
        _id(),
        sa.Column("clinic_id", ID, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("name", WHO, nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", WHO, nullable=False),
        *_entered_in_error(),
        sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
    )
    op.create_index(op.f("ix_patients_clinic_id_reference"), "patients", ["clinic_id", "reference"])
    op.create_table(
        "reviews",
        _id(),
        _patient_id(),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("new_interval", sa.String(16), nullable=True),
        sa.Column("reviewed_by", WHO, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        *_entered_in_error(),
        sa.CheckConstraint(
            "decision IN ('continue_loading', 'no_further_improvement', 'shorten_interval', "
            "'lengthen_interval', 'switch_to_oral', 'stop_cause_resolved', 'reassess_diagnosis', "
            "'refer_specialist')",
            name="decision",
        ),
    )
    op.create_index(op.f("ix_reviews_patient_id_date"), "reviews", ["patient_id", "date"])
    op.create_table(
        "plan_versions",
        _id(),
        _patient_id(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("case_json", sa.Text(), nullable=False),
        sa.Column("pack_id", sa.String(100), nullable=False),
        sa.Column("pack_version", sa.String(50), nullable=False),
        sa.Column("maintenance_interval", sa.String(16), nullable=True),
        sa.Column("review_id", ID, sa.ForeignKey("reviews.id"), nullable=True),
        sa.Column("created_by", WHO, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        *_entered_in_error(),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.UniqueConstraint("patient_id", "version"),
    )
    op.create_table(
        "doses",
        _id(),
        _patient_id(),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("drug", sa.String(32), nullable=True),
        sa.Column("product", WHO, nullable=True),
        sa.Column("dose_value", DecimalText(), nullable=True),
        sa.Column("dose_unit", sa.String(32), nullable=True),
        sa.Column("route", sa.String(16), nullable=True),
        sa.Column("site", sa.String(100), nullable=True),
        sa.Column("lot", sa.String(100), nullable=True),
        sa.Column("given_by", WHO, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("not_done_reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", WHO, nullable=True),
        sa.Column("recorded_by", WHO, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        *_entered_in_error(),
        sa.CheckConstraint("source IN ('clinic', 'self', 'caregiver')", name="source"),
        sa.CheckConstraint("status IN ('completed', 'not_done')", name="status"),
        sa.UniqueConstraint("patient_id", "idempotency_key"),
    )
    op.create_index(op.f("ix_doses_patient_id_date"), "doses", ["patient_id", "date"])
    op.create_table(
        "labs",
        _id(),
        _patient_id(),
        sa.Column("test", sa.String(32), nullable=False),
        sa.Column("value", DecimalText(), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("recorded_by", WHO, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        *_entered_in_error(),
    )
    op.create_index(op.f("ix_labs_patient_id_date"), "labs", ["patient_id", "date"])
    op.create_table(
        "symptom_checks",
        _id(),
        _patient_id(),
        sa.Column("date", sa.Date(), nullable=False),
        *(sa.Column(symptom, sa.SmallInteger(), nullable=True) for symptom in SYMPTOMS),
        sa.Column("overall", sa.String(8), nullable=False),
        sa.Column("recorded_by", WHO, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        *_entered_in_error(),
        *(sa.CheckConstraint(f"{symptom} BETWEEN 0 AND 3", name=f"{symptom}_score") for symptom in SYMPTOMS),
        sa.CheckConstraint("overall IN ('better', 'same', 'worse')", name="overall"),
    )
    op.create_index(op.f("ix_symptom_checks_patient_id_date"), "symptom_checks", ["patient_id", "date"])
    op.create_table(
        "audit_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", WHO, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("detail", JSON_DOCUMENT, nullable=False),
    )
    op.create_index(op.f("ix_audit_log_entity_entity_id"), "audit_log", ["entity", "entity_id"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "stored_forecasts",
        sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), primary_key=True),
        sa.Column("clinic_id", ID, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("urgency", sa.SmallInteger(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("overdue", sa.Date(), nullable=True),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("pack_id", sa.String(100), nullable=False),
        sa.Column("pack_version", sa.String(50), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", WHO, nullable=False),
    )
    op.create_index("ix_stored_forecasts_recall", "stored_forecasts", ["clinic_id", "status", "due"])


def downgrade() -> None:
    """Drop everything, dependants first (only for tests and a deliberate rebuild: data is lost)."""
    for table in (
        "stored_forecasts",
        "audit_log",
        "symptom_checks",
        "labs",
        "doses",
        "plan_versions",
        "reviews",
        "patients",
        "clinics",
    ):
        op.drop_table(table)
