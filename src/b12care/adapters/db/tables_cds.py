"""CDS Hooks tables: JWT ids already seen (replay protection) and the feedback EHRs send about cards.

Both live on the shared ``metadata`` of ``tables.py`` (migration ``0004_cds_hooks`` builds them).
Feedback is kept as received; a seen ``jti`` is kept until its token could no longer pass the expiry
check anyway, then deleted (``SqlCdsStore.remember_jti``).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, String, Table, Text

from b12care.adapters.db.tables import ID, WHO, metadata
from b12care.adapters.db.types import JsonDocument, UtcDateTime

__all__ = ["CDS_OUTCOMES", "cds_feedback", "cds_jwt_ids"]

CDS_OUTCOMES = ("accepted", "overridden")
URL = 500

cds_jwt_ids = Table(
    "cds_jwt_ids",
    metadata,
    # One row per (issuer, jti): a second insert of the same pair is a replayed token.
    Column("issuer", String(URL), primary_key=True),
    Column("jti", String(WHO), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
)

cds_feedback = Table(
    "cds_feedback",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("service_id", String(100), nullable=False),
    Column("card_uuid", String(ID), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", JsonDocument, nullable=False),
    Column("override_system", String(URL), nullable=True),
    Column("override_code", String(100), nullable=True),
    Column("override_display", Text, nullable=True),
    Column("user_comment", Text, nullable=True),
    Column("outcome_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("issuer", String(URL), nullable=False),
    Column("actor", String(WHO), nullable=False),
    CheckConstraint("outcome IN ('accepted', 'overridden')", name="outcome"),
    Index(None, "card_uuid"),
)
