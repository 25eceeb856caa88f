"""The SQL user store (``uow.users``): users, clinic memberships and login attempts.

Every change of a user is audited in the caller's transaction (memberships with their roles, disabled,
whether the password changed: never the hash). A membership that ends is kept as inactive. The one
DELETE is of failed login attempts too old to count towards a lock-out: security ephemera, not the
record (``forget_failures_before``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection, Executable, RowMapping, and_, delete, func, select, update

from b12care.adapters.db._statements import execute, upsert_statement, write_audit
from b12care.adapters.db.tables_accounts import clinic_memberships, login_attempts, users
from b12care.application.accounts import LoginAttempt, Membership, UserRecord
from b12care.application.records import AuditDetail

__all__ = ["SqlUserRepository"]


def _detail(user: UserRecord, *, password_changed: bool) -> AuditDetail:
    return {
        "username": user.username,
        "memberships": ",".join(f"{m.clinic_id}:{m.role}" for m in user.memberships),
        "disabled": user.disabled,
        "password_changed": password_changed,
    }


def _changeable(user: UserRecord, *, actor: str, at: dt.datetime) -> dict[str, object]:
    """The user's columns an update may change, stamped with who changed them and when."""
    return {
        "password_hash": user.password_hash,
        "disabled": user.disabled,
        "token_version": user.token_version,
        "updated_at": at,
        "updated_by": actor,
    }


class SqlUserRepository:
    """Users and their clinics on one connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _memberships_of(self, user_ids: Iterable[str]) -> dict[str, tuple[Membership, ...]]:
        m = clinic_memberships.c
        statement = (
            select(m.user_id, m.clinic_id, m.role)
            .where(m.user_id.in_(list(user_ids)), m.active.is_(True))
            .order_by(m.user_id, m.clinic_id)
        )
        found: dict[str, list[Membership]] = {}
        for user_id, clinic_id, role in self._connection.execute(statement):
            found.setdefault(user_id, []).append(Membership(clinic_id, role))
        return {user_id: tuple(ms) for user_id, ms in found.items()}

    def _records(self, rows: list[RowMapping]) -> list[UserRecord]:
        memberships = self._memberships_of(row["id"] for row in rows)
        return [
            UserRecord(
                row["id"],
                row["username"],
                row["password_hash"],
                memberships.get(row["id"], ()),
                row["disabled"],
                row["created_at"],
                row["created_by"],
                row["token_version"],
            )
            for row in rows
        ]

    def _set_memberships(self, user: UserRecord, *, actor: str, at: dt.datetime) -> None:
        m = clinic_memberships.c
        execute(
            self._connection,
            update(clinic_memberships)
            .where(m.user_id == user.id, m.clinic_id.not_in(user.clinic_ids), m.active.is_(True))
            .values(active=False, changed_at=at, changed_by=actor),
        )
        for membership in user.memberships:
            insert = upsert_statement(self._connection, clinic_memberships).values(
                user_id=user.id,
                clinic_id=membership.clinic_id,
                role=membership.role,
                active=True,
                changed_at=at,
                changed_by=actor,
            )
            execute(
                self._connection,
                insert.on_conflict_do_update(
                    index_elements=[m.user_id, m.clinic_id],
                    set_={"active": True, "role": membership.role, "changed_at": at, "changed_by": actor},
                    where=m.active.is_(False) | (m.role != membership.role),
                ),
            )

    def add(self, user: UserRecord, *, actor: str, at: dt.datetime) -> UserRecord:
        """Store a new user with its memberships and audit it (ConstraintError for a taken username)."""
        row = users.insert().values(
            id=user.id,
            username=user.username,
            created_at=user.created_at,
            created_by=user.created_by,
            **_changeable(user, actor=actor, at=at),
        )
        return self._write(row, user, action="user.add", actor=actor, at=at, password_changed=False)

    def find(self, username: str) -> UserRecord | None:
        """The user of that username, or None."""
        rows = list(self._connection.execute(select(users).where(users.c.username == username)).mappings())
        found = self._records(rows)
        return found[0] if found else None

    def list_all(self) -> list[UserRecord]:
        """Every user by username."""
        rows = list(self._connection.execute(select(users).order_by(users.c.username)).mappings())
        return self._records(rows)

    def update(
        self, user: UserRecord, *, actor: str, at: dt.datetime, password_changed: bool = False
    ) -> UserRecord:
        """Store changed memberships, password hash, disabled flag or token version, and audit it
        (saying whether the password changed, never the hash)."""
        row = update(users).where(users.c.id == user.id).values(**_changeable(user, actor=actor, at=at))
        return self._write(
            row, user, action="user.update", actor=actor, at=at, password_changed=password_changed
        )

    def _write(
        self,
        row: Executable,
        user: UserRecord,
        *,
        action: str,
        actor: str,
        at: dt.datetime,
        password_changed: bool,
    ) -> UserRecord:
        """Write the user's ``row``, then its clinic memberships, and audit ``action``."""
        execute(self._connection, row)
        self._set_memberships(user, actor=actor, at=at)
        write_audit(
            self._connection,
            at=at,
            actor=actor,
            action=action,
            entity="user",
            entity_id=user.id,
            detail=_detail(user, password_changed=password_changed),
        )
        return user

    def record_login(self, attempt: LoginAttempt) -> None:
        """Keep one login attempt."""
        execute(
            self._connection,
            login_attempts.insert().values(
                username=attempt.username, client=attempt.client, at=attempt.at, succeeded=attempt.succeeded
            ),
        )

    def failures_since(self, username: str, client: str, since: dt.datetime) -> list[dt.datetime]:
        """Times of failed attempts after ``since`` and after the last success, newest first."""
        a = login_attempts.c
        pair = and_(a.username == username, a.client == client)
        # By write order, not time: attempts in one clock tick still count in the order they came.
        last_success = select(func.coalesce(func.max(a.seq), 0)).where(pair, a.succeeded.is_(True))
        statement = (
            select(a.at)
            .where(pair, a.succeeded.is_(False), a.at > since, a.seq > last_success.scalar_subquery())
            .order_by(a.at.desc(), a.seq.desc())
            .limit(1000)
        )
        return list(self._connection.execute(statement).scalars())

    def forget_failures_before(self, before: dt.datetime) -> int:
        """Delete failed attempts made before ``before`` (security ephemera, not the record); how many."""
        a = login_attempts.c
        statement = delete(login_attempts).where(a.succeeded.is_(False), a.at < before)
        return execute(self._connection, statement).rowcount
