"""The treatment record's tables (SQLAlchemy 2 Core; see docs/adr/0002-persistence.md).

These definitions are what the code reads and writes; the migrations in ``migrations/versions`` build
the same schema step by step (a test compares the two). Clinical entries share the three
entered-in-error columns; nothing is ever deleted.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.schema import SchemaItem

from b12care.adapters.db.types import DecimalText, JsonDocument, UtcDateTime
from b12care.application.records import (
    DOSE_SOURCES,
    DOSE_STATUSES,
    OVERALL_CHANGES,
    REVIEW_DECISIONS,
    SEXES,
    SYMPTOMS,
)

__all__ = [
    "NAMING_CONVENTION",
    "audit_log",
    "clinics",
    "doses",
    "labs",
    "metadata",
    "patients",
    "plan_versions",
    "recall_timeline",
    "reviews",
    "stored_forecasts",
    "symptom_checks",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID = 36  # a UUID4 as text
WHO = 200


def _one_of(column: str, codes: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{code}'" for code in codes)
    return f"{column} IN ({quoted})"


def _error_columns() -> list[SchemaItem]:
    """The entered-in-error mark: all three set, or none."""
    return [
        Column("entered_in_error_at", UtcDateTime, nullable=True),
        Column("entered_in_error_by", String(WHO), nullable=True),
        Column("entered_in_error_reason", Text, nullable=True),
        CheckConstraint(
            "(entered_in_error_at IS NULL AND entered_in_error_by IS NULL"
            " AND entered_in_error_reason IS NULL)"
            " OR (entered_in_error_at IS NOT NULL AND entered_in_error_by IS NOT NULL"
            " AND entered_in_error_reason IS NOT NULL)",
            name="entered_in_error_complete",
        ),
    ]


def _patient_column() -> Column[str]:
    return Column("patient_id", String(ID), ForeignKey("patients.id"), nullable=False)


clinics = Table(
    "clinics",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(WHO), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(WHO), nullable=False),
)

patients = Table(
    "patients",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("clinic_id", String(ID), ForeignKey("clinics.id"), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("name", String(WHO), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(WHO), nullable=False),
    *_error_columns(),
    CheckConstraint(_one_of("sex", SEXES), name="sex"),
    Index(None, "clinic_id", "reference"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(ID), primary_key=True),
    _patient_column(),
    Column("date", Date, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("new_interval", String(16), nullable=True),
    Column("reviewed_by", String(WHO), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    *_error_columns(),
    CheckConstraint(_one_of("decision", REVIEW_DECISIONS), name="decision"),
    Index(None, "patient_id", "date"),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", String(ID), primary_key=True),
    _patient_column(),
    Column("version", Integer, nullable=False),
    Column("case_json", Text, nullable=False),
    Column("pack_id", String(100), nullable=False),
    Column("pack_version", String(50), nullable=False),
    Column("maintenance_interval", String(16), nullable=True),
    Column("review_id", String(ID), ForeignKey("reviews.id"), nullable=True),
    Column("created_by", String(WHO), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    *_error_columns(),
    # The clinician's reason for a maintenance interval outside the regimen's licensed range (0007).
    Column("interval_reason", Text, nullable=True),
    CheckConstraint("version >= 1", name="version_positive"),
    UniqueConstraint("patient_id", "version"),
)

doses = Table(
    "doses",
    metadata,
    Column("id", String(ID), primary_key=True),
    _patient_column(),
    Column("date", Date, nullable=False),
    Column("drug", String(32), nullable=True),
    Column("product", String(WHO), nullable=True),
    Column("dose_value", DecimalText, nullable=True),
    Column("dose_unit", String(32), nullable=True),
    Column("route", String(16), nullable=True),
    Column("site", String(100), nullable=True),
    Column("lot", String(100), nullable=True),
    Column("given_by", String(WHO), nullable=True),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("not_done_reason", Text, nullable=True),
    Column("idempotency_key", String(WHO), nullable=True),
    Column("recorded_by", String(WHO), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    *_error_columns(),
    CheckConstraint(_one_of("source", DOSE_SOURCES), name="source"),
    CheckConstraint(_one_of("status", DOSE_STATUSES), name="status"),
    # Several NULL keys are allowed (NULLs are distinct): only keyed doses are deduplicated.
    UniqueConstraint("patient_id", "idempotency_key"),
    Index(None, "patient_id", "date"),
)

labs = Table(
    "labs",
    metadata,
    Column("id", String(ID), primary_key=True),
    _patient_column(),
    Column("test", String(32), nullable=False),
    Column("value", DecimalText, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("date", Date, nullable=False),
    Column("recorded_by", String(WHO), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    *_error_columns(),
    # An imported result's source and id (0009): one result per key; NULL (typed in) for the others.
    Column("idempotency_key", String(WHO), nullable=True),
    Index(None, "patient_id", "date"),
    Index(None, "patient_id", "idempotency_key", unique=True),
)

symptom_checks = Table(
    "symptom_checks",
    metadata,
    Column("id", String(ID), primary_key=True),
    _patient_column(),
    Column("date", Date, nullable=False),
    *(Column(symptom, SmallInteger, nullable=True) for symptom in SYMPTOMS),
    Column("overall", String(8), nullable=False),
    Column("recorded_by", String(WHO), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    *_error_columns(),
    *(CheckConstraint(f"{symptom} BETWEEN 0 AND 3", name=f"{symptom}_score") for symptom in SYMPTOMS),
    CheckConstraint(_one_of("overall", OVERALL_CHANGES), name="overall"),
    Index(None, "patient_id", "date"),
)

audit_log = Table(
    "audit_log",
    metadata,
    # The write order (ties of ``at`` are common: one transaction writes several entries at one time).
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(ID), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(WHO), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(ID), nullable=False),
    Column("detail", JsonDocument, nullable=False),
    Index(None, "entity", "entity_id"),
    Index(None, "at"),
)

stored_forecasts = Table(
    "stored_forecasts",
    metadata,
    Column("patient_id", String(ID), ForeignKey("patients.id"), primary_key=True),
    Column("clinic_id", String(ID), ForeignKey("clinics.id"), nullable=False),
    Column("status", String(32), nullable=False),
    # b12care.domain.recall.urgency(status, flags), kept so the recall list sorts without reasoning.
    Column("urgency", SmallInteger, nullable=False),
    Column("earliest", Date, nullable=True),
    Column("due", Date, nullable=True),
    Column("overdue", Date, nullable=True),
    # due, or 9999-12-31 when there is no next dose: a non-null key an ascending index can sort by.
    Column("sort_due", Date, nullable=False),
    Column("flags", JsonDocument, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("pack_id", String(100), nullable=False),
    Column("pack_version", String(50), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(WHO), nullable=False),
)

# Each patient's spans of days on the recall list, from their stored forecast's timeline (replaced with
# it at every write). The recall list of day D is the spans with valid_from <= D < valid_to, read in
# index order: urgency, then due date (the most overdue first), then patient id. The indexes carry the
# span so the date test is answered from the index alone.
recall_timeline = Table(
    "recall_timeline",
    metadata,
    Column("patient_id", String(ID), ForeignKey("patients.id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=False),
    Column("clinic_id", String(ID), ForeignKey("clinics.id"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("urgency", SmallInteger, nullable=False),
    Column("earliest", Date, nullable=True),
    Column("due", Date, nullable=True),
    Column("overdue", Date, nullable=True),
    Column("sort_due", Date, nullable=False),
    Column("flags", JsonDocument, nullable=False),
    Column("pack_id", String(100), nullable=False),
    Column("pack_version", String(50), nullable=False),
    CheckConstraint("valid_from < valid_to", name="span"),
    Index("ix_recall_timeline_order", "urgency", "sort_due", "patient_id", "valid_from", "valid_to"),
    Index(
        "ix_recall_timeline_clinic_order",
        "clinic_id",
        "urgency",
        "sort_due",
        "patient_id",
        "valid_from",
        "valid_to",
    ),
)
