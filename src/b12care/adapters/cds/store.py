"""The CDS Hooks rows behind one serialized unit of work factory: the verifier's replay store.

The SQL lives in the unit of work's repositories (:mod:`b12care.adapters.db.cds`: seen JWT ids with
relaxed durability, card feedback, EHR patient -> b12care patient); this store gives them a unit of work
factory of their own, made with ``serialized=True`` (on SQLite, the threads of one process take turns in
Python rather than in SQLite's busy handler: see :mod:`b12care.adapters.db.unit_of_work`; on
PostgreSQL, no lock). Each call below is one unit of work. Hook calls read and feedback is written by
the use cases of :mod:`b12care.application.cds` through :attr:`SqlCdsStore.uow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine

from b12care.adapters.db.cds import PRUNE_EVERY
from b12care.adapters.db.unit_of_work import sql_unit_of_work_factory
from b12care.application.feed_ports import Feedback
from b12care.application.ports import UnitOfWorkFactory

__all__ = ["PRUNE_EVERY", "Feedback", "SqlCdsStore"]


class SqlCdsStore:
    """Replay store (the verifier's ``ReplayStore``), feedback log and patient look-up over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.uow: UnitOfWorkFactory = sql_unit_of_work_factory(engine, serialized=True)

    def remember_jti(
        self,
        issuer: str,
        jti: str,
        *,
        expires_at: dt.datetime,
        seen_at: dt.datetime,
        forget_expired_before: dt.datetime | None = None,
    ) -> bool:
        """Record a token id; False when this issuer already used it (a replay).

        With ``forget_expired_before``, ids of tokens that expired before it are deleted in the same
        transaction, at most once per ``PRUNE_EVERY`` (on ``seen_at``'s clock) in this process.
        """
        with self.uow() as uow:
            new = uow.cds_replay.remember(
                issuer,
                jti,
                expires_at=expires_at,
                seen_at=seen_at,
                forget_expired_before=forget_expired_before,
            )
            if new:
                uow.commit()
        return new

    def record_feedback(
        self, entries: Sequence[Feedback], *, issuer: str, actor: str, at: dt.datetime
    ) -> list[str]:
        """Store feedback entries and audit each one, in one unit of work; return their ids."""
        with self.uow() as uow:
            ids = [uow.cds_feedback.add(entry, issuer=issuer, actor=actor, at=at) for entry in entries]
            uow.commit()
        return ids

    def feedback_for_card(self, card_uuid: str) -> list[Feedback]:
        """Every feedback entry about one card, in the order received."""
        with self.uow(read_only=True) as uow:
            return uow.cds_feedback.for_card(card_uuid)

    def find_patient(self, clinic_id: str, references: Sequence[str]) -> str | None:
        """The id of the clinic's patient whose ``reference`` is the first of ``references`` found."""
        if not references:
            return None
        with self.uow(read_only=True) as uow:
            return uow.ehr_links.find_patient(clinic_id, references)
