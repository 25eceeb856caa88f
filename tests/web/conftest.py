"""Fixtures of the web page tests. The app on a temporary database (SQLite and PostgreSQL), the clock
and the two clinics are those of tests/app_fixtures.py, shared with the API tests, here under the names
``web`` and ``clinics``. Pages are driven with TestClient: no browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from web_helpers import Clinics

from app_helpers import TestClient


@pytest.fixture
def web(api: FastAPI) -> FastAPI:
    """The app with a cheap (still argon2id) password hasher so tests stay fast."""
    return api


@pytest.fixture
def client(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def clinics(world: Clinics) -> Clinics:
    """Two clinics; in clinic A a user of every role (``<role>.a``), in clinic B a nurse (``nurse.b``)."""
    return world
