"""Schema migrations run from code: the database is brought to the newest revision on first use.

No ``alembic.ini`` and no set-up step: :func:`upgrade_to_head` runs inside one transaction and holds a
lock while it does (PostgreSQL: an advisory lock; SQLite: the write lock of ``BEGIN IMMEDIATE``) so two
processes starting at once do not both migrate.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from b12care.adapters.db.engine import sqlite_file
from b12care.adapters.db.faults import translated

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "downgrade_to",
    "head_revision",
    "revisions",
    "upgrade_to",
    "upgrade_to_head",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x0B12CA4E  # any constant shared by every b12care process


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations, bound to ``connection`` when given (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    """The newest revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to(engine: Engine, revision: str) -> None:
    """Upgrade the database to ``revision`` in one transaction."""
    with engine.begin() as connection:
        _lock(connection)
        command.upgrade(alembic_config(connection), revision)


def downgrade_to(engine: Engine, revision: str) -> None:
    """Downgrade the database to ``revision`` (``"base"`` drops everything: tests and rebuilds only)."""
    with engine.begin() as connection:
        _lock(connection)
        command.downgrade(alembic_config(connection), revision)


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database to the newest revision; a database already there is left untouched."""
    head = head_revision()
    try:
        with engine.begin() as connection:
            _lock(connection)
            if MigrationContext.configure(connection).get_current_revision() == head:
                return
            command.upgrade(alembic_config(connection), head)
    except DBAPIError as error:  # opening the file failed before the engine's translation could run
        fault = translated(error, sqlite_file(engine.url))
        if fault is error:
            raise
        raise fault from None
