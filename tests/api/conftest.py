"""Fixtures for the API tests: an app on a temporary database (SQLite and PostgreSQL, through
``database_url`` of tests/database_fixtures.py), a clock the test can move, two clinics and a user of
every role.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

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
    PUBLIC_URL,
    ROLES,
    SECRET,
    MovableClock,
    World,
    new_patient,
)


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


@pytest.fixture
def patient_id(client: TestClient, world: World, case: dict[str, Any]) -> str:
    """A patient of clinic A, created over the API by clinician.a."""
    found: str = new_patient(client, world, case)["patient"]["id"]
    return found
