"""The embedded SQLite file is opened in WAL mode with foreign keys enforced and a busy timeout."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from b12care.adapters.db.engine import BUSY_TIMEOUT_MS, create_database_engine, sqlite_file


def test_every_sqlite_connection_has_wal_full_sync_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'new' / 'folder' / 'b12care.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()

    full = 2
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": full,
        "foreign_keys": 1,
        "busy_timeout": BUSY_TIMEOUT_MS,
    }
    assert (tmp_path / "new" / "folder" / "b12care.db").is_file()


def test_sqlite_file_names_the_file_of_a_sqlite_url_only() -> None:
    assert sqlite_file("sqlite:////var/lib/b12care.db") == Path("/var/lib/b12care.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://u@h/db") is None
