"""CDS Hooks: replay-checked JWT ids and card feedback (owned: CDS Hooks work).

Revision ID: 0004_cds_hooks
Revises: 0003_accounts
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004_cds_hooks"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
