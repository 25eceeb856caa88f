"""The engine raises the service's storage faults in place of the driver errors that mean one - real
errors of real databases, each made the way it happens - and leaves every other error alone.

The end-to-end tests (server, pages, CLI) are the other files of this package; these pin the mapping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg.errors
import pytest
from fault_helpers import free_port
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db.engine import CONNECT_TIMEOUT_SECONDS, create_database_engine
from b12care.adapters.db.faults import storage_fault
from b12care.adapters.db.unit_of_work import SqlUnitOfWork
from b12care.domain.errors import (
    ConstraintError,
    StorageFullError,
    StorageReadOnlyError,
    StorageUnavailableError,
)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
    yield engine
    engine.dispose()


def test_a_sqlite_database_at_its_size_limit_is_full(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA max_page_count = 3")  # SQLite's own SQLITE_FULL path
        with pytest.raises(StorageFullError) as raised:
            connection.execute(text("INSERT INTO notes VALUES (:body)"), {"body": "x" * 100_000})

    assert raised.value.reason == "database or disk is full"
    assert "x" * 10 not in str(raised.value)  # no values in the message


def test_a_sqlite_file_opened_read_only_is_read_only(sqlite_engine: Engine, tmp_path: Path) -> None:
    read_only = create_database_engine(f"sqlite:///file:{tmp_path / 'faults.db'}?mode=ro&uri=true")
    try:
        with pytest.raises(StorageReadOnlyError), read_only.begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('a')"))
    finally:
        read_only.dispose()


def test_a_sqlite_database_locked_past_the_busy_timeout_is_unavailable(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    holder = sqlite3.connect(tmp_path / "faults.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer
    try:
        with sqlite_engine.connect() as connection:
            connection.connection.driver_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[union-attr]
            with pytest.raises(StorageUnavailableError) as raised:
                connection.execute(text("INSERT INTO notes VALUES ('a')"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert raised.value.reason == "database is locked"


def test_a_refused_constraint_is_not_a_storage_fault(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection, pytest.raises(IntegrityError):  # the driver's, untouched
        connection.execute(text("INSERT INTO notes VALUES (NULL)"))

    assert storage_fault(sqlite3.IntegrityError("NOT NULL constraint failed")) is None
    assert storage_fault(ConstraintError("duplicate")) is None


def test_a_postgresql_server_nobody_listens_on_is_unavailable_for_a_unit_of_work() -> None:
    engine = create_database_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    try:
        with pytest.raises(StorageUnavailableError) as raised, SqlUnitOfWork(engine):
            pass
    finally:
        engine.dispose()

    assert "Connection refused" in raised.value.reason


def test_a_write_in_a_read_only_postgresql_transaction_is_read_only(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            with pytest.raises(StorageReadOnlyError) as raised:
                connection.exec_driver_sql("CREATE TABLE refused (a int)")
    finally:
        engine.dispose()

    assert raised.value.reason == "cannot execute CREATE TABLE in a read-only transaction"


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (psycopg.errors.DiskFull("could not extend file"), StorageFullError),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), StorageReadOnlyError),
        (
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
            StorageUnavailableError,
        ),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), StorageUnavailableError),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), StorageUnavailableError),
        (
            psycopg.OperationalError("consuming input failed: server closed the connection"),
            StorageUnavailableError,
        ),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.errors.DivisionByZero("division by zero"), None),
    ],
)
def test_postgresql_errors_map_by_their_sqlstate(error: Exception, fault: type[Exception] | None) -> None:
    found = storage_fault(error)

    assert (type(found) if found else None) is fault


def test_postgresql_connections_give_up_after_the_connect_timeout_unless_the_url_says(
    postgres_url: str,
) -> None:
    for url, seconds in ((postgres_url, CONNECT_TIMEOUT_SECONDS), (f"{postgres_url}&connect_timeout=9", 9)):
        engine = create_database_engine(url)
        try:
            with engine.connect() as connection:
                dsn = connection.connection.driver_connection.info.dsn  # type: ignore[union-attr]
        finally:
            engine.dispose()
        assert f"connect_timeout={seconds}" in dsn.split()
