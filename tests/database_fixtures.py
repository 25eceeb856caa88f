"""Database fixtures shared by every test package (a pytest plugin, registered in tests/conftest.py).

A test that asks for ``database_url`` runs once on SQLite and once on PostgreSQL.
PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (override with
``B12CARE_TEST_POSTGRES_URL``). Each test gets a fresh, uniquely named schema, created over an
AUTOCOMMIT connection and dropped afterwards. When the server is unreachable the
PostgreSQL half is skipped on a developer's machine and FAILS when ``CI`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

POSTGRES_URL = os.environ.get(
    "B12CARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL test database (skip, or fail under CI, if it is down)."""
    engine = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL is unreachable at {make_url(POSTGRES_URL).render_as_string()}: {error.orig}"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set: the PostgreSQL tests must run, not skip)", pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


@contextmanager
def fresh_postgres_schema(admin: Engine) -> Iterator[str]:
    """A new empty schema, and the URL whose connections use it (search_path), dropped afterwards.

    A schema per test rather than a database: CREATE DATABASE syncs a whole new directory to disk
    (0.05-0.3 s here), CREATE SCHEMA is a catalog row.
    """
    schema = f"b12care_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema (dropped afterwards)."""
    with fresh_postgres_schema(postgres_admin) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a temporary SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
