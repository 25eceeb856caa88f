"""Fixtures for the calendar feed tests: each database test runs on SQLite and on PostgreSQL.

``database_url`` (an empty SQLite file, or a fresh PostgreSQL schema) comes from tests/database_fixtures.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from b12care.bootstrap import App, bootstrap
from b12care.config import Settings

NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The bootstrapped application (migrated to head) on a fixed clock."""
    with bootstrap(Settings(database_url=database_url), clock=lambda: NOW) as app:
        yield app
