"""A role per clinic membership, and a token version per account (docs/adr/0006-clinic-roles.md).

Revision ID: 0008_clinic_roles
Revises: 0007_stop_override
Create Date: 2026-12-15

Until now a user's role was account-wide (``users.role``): an admin of one clinic who could change a user
shared with another clinic changed what the user may do there too (security probe, finding H1). The role
moves onto ``clinic_memberships.role``; each existing membership (active or not) gets the account's role,
so nobody can do anything after the upgrade they could not do before. ``users.token_version`` (0 for
everyone; tokens issued before it count as version 0, so nobody is logged out by the upgrade) is counted
up by a password change or disabling, ending the earlier tokens and web sessions (finding L1).

SQLite cannot drop a column named in a CHECK constraint, so ``users`` is rebuilt there as 0007 rebuilt
``reviews``: it is the parent of ``clinic_memberships.user_id`` and b12care's SQLite connections enforce
foreign keys, so with foreign keys deferred the rows are set aside, the table dropped and created again
under its own name, and the rows put back (each settles the references to it); ``PRAGMA
foreign_key_check`` proves the result before the transaction commits.

Downgrading gives each account the **least** privileged role of its memberships (``viewer`` without one):
an account-wide role cannot say "nurse here, clinician there", and a downgrade must never grant more
than a user held in any clinic.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from b12care.adapters.db.types import UtcDateTime

revision: str = "0008_clinic_roles"
down_revision: str | None = "0007_stop_override"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = ("admin", "clinician", "nurse", "viewer")  # most privileged first, as in 0003
_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in _ROLES) + ")"
_USER_COLUMNS = (
    "id",
    "username",
    "password_hash",
    "disabled",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)
_LEAST_ROLE = (
    "COALESCE((SELECT m.role FROM clinic_memberships m WHERE m.user_id = {user}.id"
    " ORDER BY m.active DESC, CASE m.role WHEN 'viewer' THEN 0 WHEN 'nurse' THEN 1"
    " WHEN 'clinician' THEN 2 ELSE 3 END LIMIT 1), 'viewer')"
)


def _users_table(*, with_role: bool) -> None:
    """Create users as 0003 did, with the account-wide role (before 0008) or the token version."""
    varying = (
        [sa.Column("role", sa.String(16), nullable=False)]
        if with_role
        else [sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")]
    )
    checks = [sa.CheckConstraint(_ROLE_CHECK, name=op.f("ck_users_role"))] if with_role else []
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        *varying,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        *checks,
    )


def _rebuild_users_on_sqlite(*, with_role: bool) -> None:
    """Rebuild users (SQLite) with or without the account-wide role, keeping every row and reference."""
    bind = op.get_bind()
    columns = ", ".join(_USER_COLUMNS)
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    bind.exec_driver_sql(f"CREATE TABLE _users_0008 AS SELECT {columns} FROM users")
    op.drop_table("users")
    _users_table(with_role=with_role)
    if with_role:
        role = _LEAST_ROLE.format(user="_users_0008")
        bind.exec_driver_sql(f"INSERT INTO users ({columns}, role) SELECT {columns}, {role} FROM _users_0008")
    else:
        bind.exec_driver_sql(f"INSERT INTO users ({columns}) SELECT {columns} FROM _users_0008")
    op.drop_table("_users_0008")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding users left broken references: {broken}")


def upgrade() -> None:
    """Each membership gets its account's role; users lose the role and gain the token version."""
    op.add_column("clinic_memberships", sa.Column("role", sa.String(16), nullable=True))
    op.execute(
        "UPDATE clinic_memberships"
        " SET role = (SELECT users.role FROM users WHERE users.id = clinic_memberships.user_id)"
    )
    with op.batch_alter_table("clinic_memberships") as batch:
        batch.alter_column("role", existing_type=sa.String(16), nullable=False)
        batch.create_check_constraint("role", _ROLE_CHECK)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_users_on_sqlite(with_role=False)
        return
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.drop_column("users", "role")
    op.add_column("users", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Each account gets the least privileged role of its memberships; memberships lose the role."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_users_on_sqlite(with_role=True)
    else:
        op.add_column("users", sa.Column("role", sa.String(16), nullable=True))
        op.execute(f"UPDATE users SET role = {_LEAST_ROLE.format(user='users')}")
        op.alter_column("users", "role", existing_type=sa.String(16), nullable=False)
        op.create_check_constraint(op.f("ck_users_role"), "users", _ROLE_CHECK)
        op.drop_column("users", "token_version")
    with op.batch_alter_table("clinic_memberships") as batch:
        batch.drop_constraint(op.f("ck_clinic_memberships_role"), type_="check")
        batch.drop_column("role")
