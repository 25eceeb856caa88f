"""An imported lab result keeps its source and id: ``labs.idempotency_key``, one result per key.

Revision ID: 0009_lab_keys
Revises: 0008_clinic_roles
Create Date: 2026-12-16

FHIR ids are local to the system that made them, so the FHIR import keys every entry by source plus id
(issue 12, finding 3b): doses already had ``doses.idempotency_key``; labs get the same column, NULL for
every result stored so far (typed in, or imported before keys - the import still recognises those by
their content) and for results typed in later. A unique index on (patient, key) holds one result per
key; NULLs are distinct, so unkeyed results are not constrained. Adding a nullable column and an index
needs no table rebuild on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_lab_keys"
down_revision: str | None = "0008_clinic_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_labs_patient_id_idempotency_key"


def upgrade() -> None:
    op.add_column("labs", sa.Column("idempotency_key", sa.String(200), nullable=True))
    op.create_index(_INDEX, "labs", ["patient_id", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="labs")
    with op.batch_alter_table("labs") as batch:
        batch.drop_column("idempotency_key")
