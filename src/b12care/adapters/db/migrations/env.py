"""Alembic environment: migrations run on the connection b12care hands over (see ``migrate.py``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from b12care.adapters.db.tables import metadata


def run_migrations(connection: Connection) -> None:
    """Run the requested upgrade or downgrade inside the caller's transaction."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later revisions rebuild tables in batch mode there.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError(
        "run b12care migrations through b12care.adapters.db.migrate, which passes a connection"
    )
run_migrations(_connection)
