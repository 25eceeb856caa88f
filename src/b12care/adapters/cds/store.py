"""The CDS Hooks rows in SQL: JWT ids already seen, card feedback, and EHR patient -> b12care patient.

Uses the engine directly (each call is its own transaction); feedback is written together with its
audit entry. Nothing is updated or deleted.

On SQLite every transaction begins ``IMMEDIATE`` (one at a time per file), and a thread that finds the
file locked waits in SQLite's busy handler, which sleeps 1 to 100 ms between retries whether or not the
lock has been freed meanwhile. Under concurrent hook calls that sleeping, not the work, set the latency
(p50 in the hundreds of ms at 50 clients), so the store's :meth:`SqlCdsStore.serialized` lock makes the
threads of one process queue in Python instead; on PostgreSQL it is a no-op.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db._statements import write_audit
from b12care.adapters.db.tables import patients
from b12care.adapters.db.tables_cds import cds_feedback, cds_jwt_ids
from b12care.service.records import new_id

__all__ = ["Feedback", "SqlCdsStore"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """One feedback entry as the EHR sent it (CDS Hooks 2.0 feedback endpoint)."""

    service_id: str
    card_uuid: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_display: str | None
    user_comment: str | None
    outcome_at: dt.datetime


class SqlCdsStore:
    """Replay store, feedback log and patient look-up over one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def serialized(self) -> AbstractContextManager[object]:
        """Hold while using the database: one transaction at a time on SQLite, nothing on PostgreSQL."""
        return self._lock if self._lock is not None else nullcontext()

    def remember_jti(self, issuer: str, jti: str, *, expires_at: dt.datetime, seen_at: dt.datetime) -> bool:
        """Record a token id; False when this issuer already used it (a replay)."""
        statement = cds_jwt_ids.insert().values(
            issuer=issuer, jti=jti, expires_at=expires_at, seen_at=seen_at
        )
        try:
            with self.serialized(), self._engine.begin() as connection:
                connection.execute(statement)
        except IntegrityError:
            return False
        return True

    def record_feedback(
        self, entries: Sequence[Feedback], *, issuer: str, actor: str, at: dt.datetime
    ) -> list[str]:
        """Store feedback entries and audit each one; return their ids."""
        ids: list[str] = []
        with self.serialized(), self._engine.begin() as connection:
            for entry in entries:
                entry_id = new_id()
                connection.execute(
                    cds_feedback.insert().values(
                        id=entry_id,
                        service_id=entry.service_id,
                        card_uuid=entry.card_uuid,
                        outcome=entry.outcome,
                        accepted_suggestions=list(entry.accepted_suggestions),
                        override_system=entry.override_system,
                        override_code=entry.override_code,
                        override_display=entry.override_display,
                        user_comment=entry.user_comment,
                        outcome_at=entry.outcome_at,
                        received_at=at,
                        issuer=issuer,
                        actor=actor,
                    )
                )
                write_audit(
                    connection,
                    at=at,
                    actor=actor,
                    action="cds_feedback",
                    entity="cds_feedback",
                    entity_id=entry_id,
                    detail={
                        "service": entry.service_id,
                        "card": entry.card_uuid,
                        "outcome": entry.outcome,
                        "override_code": entry.override_code,
                        "issuer": issuer,
                    },
                )
                ids.append(entry_id)
        return ids

    def feedback_for_card(self, card_uuid: str) -> list[Feedback]:
        """Every feedback entry about one card, in the order received."""
        c = cds_feedback.c
        statement = select(cds_feedback).where(c.card_uuid == card_uuid).order_by(c.received_at, c.id)
        with self.serialized(), self._engine.connect() as connection:
            rows = connection.execute(statement).mappings().all()
        return [
            Feedback(
                row["service_id"],
                row["card_uuid"],
                row["outcome"],
                tuple(row["accepted_suggestions"]),
                row["override_system"],
                row["override_code"],
                row["override_display"],
                row["user_comment"],
                row["outcome_at"],
            )
            for row in rows
        ]

    def find_patient(self, clinic_id: str, references: Sequence[str]) -> str | None:
        """The id of the clinic's patient whose ``reference`` is the first of ``references`` found."""
        if not references:
            return None
        c = patients.c
        statement = select(c.id, c.reference).where(
            c.clinic_id == clinic_id, c.reference.in_(list(references)), c.entered_in_error_at.is_(None)
        )
        with self.serialized(), self._engine.connect() as connection:
            found = {row.reference: row.id for row in connection.execute(statement)}
        return next((found[r] for r in references if r in found), None)
