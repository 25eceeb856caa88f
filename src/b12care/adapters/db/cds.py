"""The CDS Hooks rows in SQL, on the unit of work's connection: JWT ids already seen, card feedback,
and EHR patient -> b12care patient.

Nothing is updated; the only rows deleted are seen token ids that no check could need any more (their
token expired before the verifier's ``forget_expired_before``), at most once per ``PRUNE_EVERY`` of the
clock per unit of work factory (one per process), in the transaction of a new id.

Durability of the replay insert is relaxed on purpose: a ``jti`` only has to be remembered until its
token expires (minutes), so when it is the first write of its unit of work the transaction commits
without waiting for the disk - PostgreSQL ``SET LOCAL synchronous_commit = off``, SQLite
``PRAGMA synchronous = NORMAL`` on that connection for that transaction (set before it begins, restored
to ``FULL`` when the unit of work ends; in WAL mode still safe against a crash of the process). What a
POWER LOSS can cost is the last few remembered ids (PostgreSQL: at most about 3 x ``wal_writer_delay``,
600 ms by default); a token among them could be replayed until it expires. Accepted: the token is
short-lived, bound to this service and its issuer, and a replayed hook call only reads. Replay refusal
between workers and processes is unchanged (the primary key decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db._statements import write_audit
from b12care.adapters.db.tables import patients
from b12care.adapters.db.tables_cds import cds_feedback, cds_jwt_ids
from b12care.application.feed_ports import Feedback
from b12care.application.records import new_id

__all__ = [
    "PRUNE_EVERY",
    "ReplayPruning",
    "SqlCdsFeedbackRepository",
    "SqlCdsReplayRepository",
    "SqlEhrLinkRepository",
]

PRUNE_EVERY = dt.timedelta(minutes=1)  # expired ids are deleted at most this often (a scan of the table)


@dataclass(slots=True)
class ReplayPruning:
    """When expired token ids were last deleted; shared by the units of work of one factory."""

    last: dt.datetime | None = None

    def due(self, at: dt.datetime) -> bool:
        """Whether to delete expired ids now (then noted as done at ``at``)."""
        if self.last is not None and at - self.last < PRUNE_EVERY:
            return False
        self.last = at
        return True


class SqlCdsReplayRepository:
    """Seen token ids on the unit of work's connection; ``relax`` (SQLite) lowers the connection's
    durability until the unit of work ends, and is only called before its transaction begins."""

    def __init__(
        self, connection: Connection, pruning: ReplayPruning, relax: Callable[[], None] | None = None
    ) -> None:
        self._connection = connection
        self._pruning = pruning
        self._relax = relax

    def remember(
        self,
        issuer: str,
        jti: str,
        *,
        expires_at: dt.datetime,
        seen_at: dt.datetime,
        forget_expired_before: dt.datetime | None = None,
    ) -> bool:
        """Record a token id; False when this issuer already used it (roll the unit of work back)."""
        connection = self._connection
        if not connection.in_transaction() and self._relax is not None:
            self._relax()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if forget_expired_before is not None and self._pruning.due(seen_at):
            connection.execute(delete(cds_jwt_ids).where(cds_jwt_ids.c.expires_at < forget_expired_before))
        statement = cds_jwt_ids.insert().values(
            issuer=issuer, jti=jti, expires_at=expires_at, seen_at=seen_at
        )
        try:
            connection.execute(statement)
        except IntegrityError:
            return False
        return True


class SqlCdsFeedbackRepository:
    """Card feedback on the unit of work's connection, each entry audited in the same transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, entry: Feedback, *, issuer: str, actor: str, at: dt.datetime) -> str:
        """Store one entry with its audit entry; return its id."""
        entry_id = new_id()
        self._connection.execute(
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
            self._connection,
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
        return entry_id

    def for_card(self, card_uuid: str) -> list[Feedback]:
        """Every feedback entry about one card, in the order received."""
        c = cds_feedback.c
        statement = select(cds_feedback).where(c.card_uuid == card_uuid).order_by(c.received_at, c.id)
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
            for row in self._connection.execute(statement).mappings()
        ]


class SqlEhrLinkRepository:
    """EHR patient -> b12care patient, by the patient's ``reference``, on the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def find_patient(self, clinic_id: str, references: Sequence[str]) -> str | None:
        """The id of the clinic's patient whose ``reference`` is the first of ``references`` found."""
        if not references:
            return None
        c = patients.c
        statement = select(c.id, c.reference).where(
            c.clinic_id == clinic_id, c.reference.in_(list(references)), c.entered_in_error_at.is_(None)
        )
        found = {row.reference: row.id for row in self._connection.execute(statement)}
        return next((found[r] for r in references if r in found), None)
