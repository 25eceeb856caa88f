"""The CDS Hooks rows in SQL: JWT ids already seen, card feedback, and EHR patient -> b12care patient.

Uses the engine directly (each call is its own transaction); feedback is written together with its
audit entry. Nothing is updated; the only rows deleted are seen token ids that no check could need any
more (their token expired before the verifier's ``forget_expired_before``), at most once per
``PRUNE_EVERY`` of the clock per process, in the transaction of a new id. A hook call's reads (the
EHR patient -> the b12care patient, its latest plan and its history) are one transaction:
:meth:`SqlCdsStore.patient_record`.

Durability of the replay store is relaxed on purpose: a ``jti`` only has to be remembered until its
token expires (minutes), so its insert commits without waiting for the disk - PostgreSQL
``SET LOCAL synchronous_commit = off``, SQLite ``PRAGMA synchronous = NORMAL`` on that connection for
that transaction (in WAL mode still safe against a crash of the process; the record's own writes keep
``FULL``). What a POWER LOSS can cost is the last few remembered ids (PostgreSQL: at most about
3 x ``wal_writer_delay``, 600 ms by default); a token among them could be replayed until it expires.
Accepted: the token is short-lived, bound to this service and its issuer, and a replayed hook call
only reads. Replay refusal between workers and processes is unchanged (the primary key decides).

On SQLite every transaction begins ``IMMEDIATE`` (one at a time per file), and a thread that finds the
file locked waits in SQLite's busy handler, which sleeps 1 to 100 ms between retries whether or not the
lock has been freed meanwhile. Under concurrent hook calls that sleeping, not the work, set the latency
(p50 in the hundreds of ms at 50 clients), so the store's :meth:`SqlCdsStore.serialized` lock makes the
threads of one process queue in Python instead; on PostgreSQL it is a no-op.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db._statements import write_audit
from b12care.adapters.db.entry_repositories import (
    SqlDoseRepository,
    SqlLabRepository,
    SqlReviewRepository,
    SqlSymptomCheckRepository,
)
from b12care.adapters.db.repositories import SqlPatientRepository, SqlPlanVersionRepository
from b12care.adapters.db.tables import patients
from b12care.adapters.db.tables_cds import cds_feedback, cds_jwt_ids
from b12care.application.records import PatientRecord, PlanVersionRecord, new_id
from b12care.application.treatment import history_from
from b12care.domain.history import History

__all__ = ["PRUNE_EVERY", "Feedback", "PatientRecordSet", "SqlCdsStore"]

PRUNE_EVERY = dt.timedelta(minutes=1)  # expired ids are deleted at most this often (a scan of the table)


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


@dataclass(frozen=True, slots=True)
class PatientRecordSet:
    """What a hook call reads about one b12care patient, read in one transaction."""

    patient: PatientRecord
    plan: PlanVersionRecord
    history: History


class SqlCdsStore:
    """Replay store, feedback log and patient look-up over one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._pruned_at: dt.datetime | None = None

    def serialized(self) -> AbstractContextManager[object]:
        """Hold while using the database: one transaction at a time on SQLite, nothing on PostgreSQL."""
        return self._lock if self._lock is not None else nullcontext()

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
        statement = cds_jwt_ids.insert().values(
            issuer=issuer, jti=jti, expires_at=expires_at, seen_at=seen_at
        )
        prune = forget_expired_before is not None and (
            self._pruned_at is None or seen_at - self._pruned_at >= PRUNE_EVERY
        )
        if prune:
            self._pruned_at = seen_at
        try:
            with (
                self.serialized(),
                self._engine.connect() as connection,
                self._relaxed_durability(connection),
                connection.begin(),
            ):
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                if prune:
                    connection.execute(
                        delete(cds_jwt_ids).where(cds_jwt_ids.c.expires_at < forget_expired_before)
                    )
                connection.execute(statement)
        except IntegrityError:
            return False
        return True

    @staticmethod
    @contextmanager
    def _relaxed_durability(connection: Connection) -> Iterator[None]:
        """SQLite: ``synchronous = NORMAL`` on this connection until the block ends, then ``FULL`` again.

        Set outside any transaction, on the driver connection (the engine begins every transaction with
        ``BEGIN IMMEDIATE``); a connection whose ``FULL`` could not be restored is discarded, never pooled.
        """
        if connection.dialect.name != "sqlite":
            yield
            return
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a live pooled connection always has one
            raise RuntimeError("no SQLite driver connection")
        driver.execute("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            try:
                driver.execute("PRAGMA synchronous = FULL")
            except Exception:
                connection.invalidate()
                raise

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
        with self.serialized(), self._engine.connect() as connection:
            return self._find_patient(connection, clinic_id, references)

    @staticmethod
    def _find_patient(connection: Connection, clinic_id: str, references: Sequence[str]) -> str | None:
        if not references:
            return None
        c = patients.c
        statement = select(c.id, c.reference).where(
            c.clinic_id == clinic_id, c.reference.in_(list(references)), c.entered_in_error_at.is_(None)
        )
        found = {row.reference: row.id for row in connection.execute(statement)}
        return next((found[r] for r in references if r in found), None)

    def patient_record(self, clinic_id: str, references: Sequence[str]) -> PatientRecordSet | None:
        """The clinic's patient found by ``references`` (as :meth:`find_patient`), with its latest plan
        and its history, in one transaction; None when there is no such patient or it has no plan."""
        with self.serialized(), self._engine.connect() as connection:
            patient_id = self._find_patient(connection, clinic_id, references)
            if patient_id is None:
                return None
            plan = SqlPlanVersionRepository(connection).latest(patient_id)
            if plan is None:
                return None
            return PatientRecordSet(
                SqlPatientRepository(connection).get(patient_id),
                plan,
                history_from(
                    SqlDoseRepository(connection).list_for(patient_id),
                    SqlLabRepository(connection).list_for(patient_id),
                    SqlSymptomCheckRepository(connection).list_for(patient_id),
                    SqlReviewRepository(connection).list_for(patient_id),
                ),
            )
