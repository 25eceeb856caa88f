"""Recall as of any date: each patient's forecast timeline (owned: recall work).

Revision ID: 0005_recall_timeline
Revises: 0004_cds_hooks
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_recall_timeline"
down_revision: str | None = "0004_cds_hooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
