"""Staff accounts: users, their clinic memberships and failed-login attempts (owned: accounts/API work).

Revision ID: 0003_accounts
Revises: 0002_recall_order
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from b12care.adapters.db.types import UtcDateTime

revision: str = "0003_accounts"
down_revision: str | None = "0002_recall_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)
WHO = sa.String(200)


def upgrade() -> None:
    """Create users, clinic_memberships and login_attempts."""
    op.create_table(
        "users",
        sa.Column("id", ID, primary_key=True),
        sa.Column("username", WHO, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", WHO, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", WHO, nullable=False),
        sa.CheckConstraint("role IN ('admin', 'clinician', 'nurse', 'viewer')", name="role"),
    )
    op.create_table(
        "clinic_memberships",
        sa.Column("user_id", ID, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("clinic_id", ID, sa.ForeignKey("clinics.id"), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("changed_by", WHO, nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("username", WHO, nullable=False),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index(
        op.f("ix_login_attempts_username_client_at"), "login_attempts", ["username", "client", "at"]
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index(op.f("ix_login_attempts_username_client_at"), table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("clinic_memberships")
    op.drop_table("users")
