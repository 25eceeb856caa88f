"""Staff accounts: users, their clinic memberships and failed-login attempts (owned: accounts/API work).

Revision ID: 0003_accounts
Revises: 0002_recall_order
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003_accounts"
down_revision: str | None = "0002_recall_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
