"""Staff account tables: users, their clinic memberships (each with the user's role in that clinic)
and login attempts.

They live on the shared ``metadata`` of ``tables.py`` (migration ``0003_accounts`` builds them,
``0008_clinic_roles`` moves the role onto the membership and adds ``users.token_version``). A user is
disabled, a membership is marked inactive, never deleted; failed login attempts are deleted once too old
to count towards a lock-out (``Accounts.login``), successful ones are kept.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from b12care.adapters.db.tables import ID, WHO, metadata
from b12care.adapters.db.types import UtcDateTime
from b12care.application.permissions import ROLES

__all__ = ["clinic_memberships", "login_attempts", "users"]

CLIENT = 100
ROLE_CHECK = "role IN ({})".format(", ".join(f"'{r}'" for r in ROLES))

users = Table(
    "users",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("username", String(WHO), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(WHO), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(WHO), nullable=False),
    # Counted up when the password changes or the account is disabled: older tokens stop working.
    Column("token_version", Integer, nullable=False, server_default="0"),
)

clinic_memberships = Table(
    "clinic_memberships",
    metadata,
    Column("user_id", String(ID), ForeignKey("users.id"), primary_key=True),
    Column("clinic_id", String(ID), ForeignKey("clinics.id"), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("changed_by", String(WHO), nullable=False),
    Column("role", String(16), nullable=False),
    CheckConstraint(ROLE_CHECK, name="role"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(WHO), nullable=False),
    Column("client", String(CLIENT), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    # The rate limit: the pair's attempts after a time, newest first.
    Index(None, "username", "client", "at"),
)
