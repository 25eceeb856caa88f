"""Fixtures for the API tests: an app on a temporary database (SQLite, and PostgreSQL where the test
asks for ``database_url``), a clock the test can move, two clinics and a user of every role.

PostgreSQL is ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (``B12CARE_TEST_POSTGRES_URL``),
a fresh schema per test; skipped when unreachable, a failure when ``CI`` is set (as tests/integration).
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.entrypoints.api import create_app
from b12care.service.accounts import Accounts
from b12care.service.treatment import Services

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api_helpers import (
    EXAMPLE_CASE,
    FAST_HASHER,
    NOW,
    PASSWORD,
    POSTGRES_URL,
    PUBLIC_URL,
    ROLES,
    SECRET,
    MovableClock,
    World,
)


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


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema (dropped afterwards)."""
    schema = f"b12care_api_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a temporary SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'api' / 'b12care.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def booted(database_url: str, clock: MovableClock) -> Iterator[App]:
    settings = Settings(database_url=database_url, secret_key=SECRET, public_url=PUBLIC_URL)
    with bootstrap(settings, clock=clock) as app:
        yield app


@pytest.fixture
def api(booted: App) -> FastAPI:
    """The API with a cheap (still argon2id) password hasher so tests stay fast."""
    fastapi_app = create_app(booted)
    fastapi_app.state.accounts = dataclasses.replace(fastapi_app.state.accounts, hasher=FAST_HASHER)
    return fastapi_app


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api) as test_client:
        yield test_client


@pytest.fixture
def world(api: FastAPI) -> World:
    services: Services = api.state.services
    accounts: Accounts = api.state.accounts
    clinic_a = services.add_clinic("Riverside Surgery", "setup").id
    clinic_b = services.add_clinic("Hillside Clinic", "setup").id
    for role in ROLES:
        accounts.add_user(f"{role}.a", PASSWORD, role, [clinic_a], "setup")
    accounts.add_user("nurse.b", PASSWORD, "nurse", [clinic_b], "setup")
    return World(api, clinic_a, clinic_b)


@pytest.fixture
def case() -> dict[str, Any]:
    """A fresh copy of the example case (pernicious anaemia, UK pack)."""
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text())
    return data
