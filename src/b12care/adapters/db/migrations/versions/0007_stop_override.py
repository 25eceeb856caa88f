"""Overrides that need a reason: the ``confirm_stop`` review decision and a plan's ``interval_reason``.

Revision ID: 0007_stop_override
Revises: 0006_calendar
Create Date: 2026-12-14

Stopping lifelong replacement (an irreversible cause) is a clinician override: a ``stop_cause_resolved``
review with a reason, then a prescriber's ``confirm_stop`` review (issue 11). The reviews table's CHECK
constraint learns the new code. A plan version built with a maintenance interval outside the regimen's
licensed range keeps the clinician's reason in ``plan_versions.interval_reason`` (NULL for every earlier
version, which were all inside the range: the plan builder refused any other).

SQLite cannot alter a CHECK constraint, so the reviews table is rebuilt there - but not with Alembic's
batch mode: reviews is the parent of ``plan_versions.review_id`` and b12care's SQLite connections enforce
foreign keys, so batch mode's "copy to a new table, drop the old one, rename the copy" leaves SQLite
counting every plan version made by a review as a broken reference, and the commit fails (there is no
turning foreign keys off inside the migration's transaction). Instead, with foreign keys deferred, the
rows are set aside, the table is dropped and created again under its own name, and the rows go back in:
each row inserted into the parent settles the references to it. ``PRAGMA foreign_key_check`` proves the
result before the transaction commits. PostgreSQL simply swaps the constraint.

Downgrading fails while any review is ``confirm_stop`` (the old constraint cannot hold it): mark such
reviews entered-in-error and correct them first; that is a decision for a person, not for a migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from b12care.adapters.db.types import UtcDateTime

revision: str = "0007_stop_override"
down_revision: str | None = "0006_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "continue_loading",
    "no_further_improvement",
    "shorten_interval",
    "lengthen_interval",
    "switch_to_oral",
    "stop_cause_resolved",
    "reassess_diagnosis",
    "refer_specialist",
)
_AFTER = (*_BEFORE[:6], "confirm_stop", *_BEFORE[6:])


def _one_of(codes: tuple[str, ...]) -> str:
    return "decision IN (" + ", ".join(f"'{code}'" for code in codes) + ")"


_COLUMNS = (
    "id",
    "patient_id",
    "date",
    "decision",
    "note",
    "new_interval",
    "reviewed_by",
    "recorded_at",
    "entered_in_error_at",
    "entered_in_error_by",
    "entered_in_error_reason",
)


def _reviews_table(codes: tuple[str, ...]) -> None:
    """Create reviews as 0001_initial did, with ``codes`` in its decision constraint."""
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("patient_id", sa.String(36), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("new_interval", sa.String(16), nullable=True),
        sa.Column("reviewed_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("entered_in_error_at", UtcDateTime(), nullable=True),
        sa.Column("entered_in_error_by", sa.String(200), nullable=True),
        sa.Column("entered_in_error_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_reviews_patient_id_patients")),
        sa.CheckConstraint(
            "(entered_in_error_at IS NULL AND entered_in_error_by IS NULL"
            " AND entered_in_error_reason IS NULL)"
            " OR (entered_in_error_at IS NOT NULL AND entered_in_error_by IS NOT NULL"
            " AND entered_in_error_reason IS NOT NULL)",
            name=op.f("ck_reviews_entered_in_error_complete"),
        ),
        sa.CheckConstraint(_one_of(codes), name=op.f("ck_reviews_decision")),
    )
    op.create_index(op.f("ix_reviews_patient_id_date"), "reviews", ["patient_id", "date"])


def _replace_decision_check(codes: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_reviews_decision"), "reviews", type_="check")
        op.create_check_constraint(op.f("ck_reviews_decision"), "reviews", _one_of(codes))
        return
    columns = ", ".join(_COLUMNS)
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    bind.exec_driver_sql(f"CREATE TABLE _reviews_0007 AS SELECT {columns} FROM reviews")
    op.drop_table("reviews")
    _reviews_table(codes)
    # A row the old constraint cannot hold (confirm_stop, on downgrade) fails here, and nothing changes.
    bind.exec_driver_sql(f"INSERT INTO reviews ({columns}) SELECT {columns} FROM _reviews_0007")
    op.drop_table("_reviews_0007")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding reviews left broken references: {broken}")


def upgrade() -> None:
    _replace_decision_check(_AFTER)
    with op.batch_alter_table("plan_versions") as batch:
        batch.add_column(sa.Column("interval_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_versions") as batch:
        batch.drop_column("interval_reason")
    _replace_decision_check(_BEFORE)
