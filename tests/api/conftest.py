"""Fixtures of the API tests. The app on a temporary database (SQLite and PostgreSQL), the clock, the
client and the two clinics (``clock``, ``booted``, ``api``, ``client``, ``world``) are those of
tests/app_fixtures.py, shared with the web page tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_helpers import EXAMPLE_CASE, World, new_patient

from app_helpers import TestClient


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
