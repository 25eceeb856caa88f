"""Calendar feed state: what each patient's feed last said about each event (on the shared metadata).

One row per patient and event key (``dose-7``, ``milestone-<rule id>-1``): the date, summary, status,
a fingerprint of the three and the SEQUENCE the feed sent. Rows are updated, never deleted; an event no
longer planned keeps its row with status CANCELLED. Built by migration 0006_calendar.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Table

from b12care.adapters.db.tables import ID, metadata
from b12care.adapters.db.types import UtcDateTime

__all__ = ["calendar_events"]

calendar_events = Table(
    "calendar_events",
    metadata,
    Column("patient_id", String(ID), ForeignKey("patients.id"), primary_key=True),
    Column("event_key", String(200), primary_key=True),
    Column("date", Date, nullable=False),
    Column("summary", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    CheckConstraint("sequence >= 0", name="sequence"),
    CheckConstraint("status IN ('CONFIRMED', 'CANCELLED')", name="status"),
)
