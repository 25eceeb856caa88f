"""Fixtures for the calendar feed tests: each database test runs on SQLite and on PostgreSQL.

The same pattern as tests/integration/conftest.py: PostgreSQL is
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (or ``B12CARE_TEST_POSTGRES_URL``), a fresh schema
per test; skipped when unreachable on a developer's machine, a failure when ``CI`` is set.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from b12care.bootstrap import App, bootstrap
from b12care.config import Settings

POSTGRES_URL = os.environ.get(
    "B12CARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a temporary SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'record' / 'b12care.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
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
def app(database_url: str) -> Iterator[App]:
    """The bootstrapped application (migrated to head) on a fixed clock."""
    with bootstrap(Settings(database_url=database_url), clock=lambda: NOW) as app:
        yield app
