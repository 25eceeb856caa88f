"""Fixtures shared by the API and web page tests (a pytest plugin of tests/conftest.py): the app on a
temporary database (SQLite and PostgreSQL, through ``database_url`` of tests/database_fixtures.py), a
clock the test moves, two clinics and a user of every role."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app_helpers import FAST_HASHER, NOW, PUBLIC_URL, SECRET, MovableClock, TestClient, World, add_clinics
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app


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
    """The app with a cheap (still argon2id) password hasher so tests stay fast."""
    fastapi_app = create_app(booted)
    fastapi_app.state.accounts = dataclasses.replace(fastapi_app.state.accounts, hasher=FAST_HASHER)
    return fastapi_app


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api) as test_client:
        yield test_client


@pytest.fixture
def world(api: FastAPI) -> World:
    """Two clinics; in clinic A a user of every role (``<role>.a``), in clinic B a nurse (``nurse.b``)."""
    return add_clinics(api)
