"""Fixtures of the web page tests: the app on a temporary database (SQLite and PostgreSQL, through
``database_url`` of tests/database_fixtures.py), a clock the test moves, two clinics and a user of
every role. Pages are driven with TestClient: no browser."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.entrypoints.api import create_app

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import FAST_HASHER, NOW, PASSWORD, PUBLIC_URL, ROLES, SECRET, Clinics, MovableClock


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def booted(database_url: str, clock: MovableClock) -> Iterator[App]:
    settings = Settings(database_url=database_url, secret_key=SECRET, public_url=PUBLIC_URL)
    with bootstrap(settings, clock=clock) as app:
        yield app


@pytest.fixture
def web(booted: App) -> FastAPI:
    """The app with a cheap (still argon2id) password hasher so tests stay fast."""
    fastapi_app = create_app(booted)
    fastapi_app.state.accounts = dataclasses.replace(fastapi_app.state.accounts, hasher=FAST_HASHER)
    return fastapi_app


@pytest.fixture
def client(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def clinics(web: FastAPI) -> Clinics:
    services = web.state.services
    accounts = web.state.accounts
    clinic_a = services.add_clinic("Riverside Surgery", "setup").id
    clinic_b = services.add_clinic("Hillside Clinic", "setup").id
    for role in ROLES:
        accounts.add_user(f"{role}.a", PASSWORD, role, [clinic_a], "setup")
    accounts.add_user("nurse.b", PASSWORD, "nurse", [clinic_b], "setup")
    return Clinics(web, clinic_a, clinic_b)
