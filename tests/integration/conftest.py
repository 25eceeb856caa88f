"""Fixtures for the database tests: every test runs once on SQLite and once on PostgreSQL.

``database_url`` (an empty SQLite file, or a fresh PostgreSQL schema) comes from tests/database_fixtures.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_builders import NOW, Seed, fixed_clock, seed_patient
from sqlalchemy import Engine

from b12care.adapters.db.engine import create_database_engine
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the empty database, disposed afterwards."""
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The bootstrapped application (migrated to head) on a fixed clock."""
    with bootstrap(Settings(database_url=database_url), clock=fixed_clock(NOW)) as app:
        yield app


@pytest.fixture
def seed(app: App) -> Seed:
    """A committed clinic with one patient."""
    return seed_patient(app)
