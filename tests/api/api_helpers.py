"""Helpers of the API tests (a module of its own name, so test modules import it unambiguously)."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI

from b12care.service.accounts import Accounts
from b12care.service.treatment import Services

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CASE = ROOT / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
SECRET = "test-secret-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"
PUBLIC_URL = "https://b12.example.org"
ROLES = ("admin", "clinician", "nurse", "viewer")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # still argon2id


class MovableClock:
    """A clock the test sets and moves."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@dataclass
class World:
    """Two clinics; in clinic A a user of every role, in clinic B a nurse."""

    api: FastAPI
    clinic_a: str
    clinic_b: str

    @property
    def accounts(self) -> Accounts:
        found: Accounts = self.api.state.accounts
        return found

    @property
    def services(self) -> Services:
        found: Services = self.api.state.services
        return found

    def auth(self, username: str) -> dict[str, str]:
        """Headers with a fresh bearer token of ``username``."""
        return {"Authorization": f"Bearer {self.accounts.issue_token(username)}"}


def new_patient(
    client: TestClient,
    world: World,
    case: dict[str, Any],
    *,
    clinic: str | None = None,
    user: str = "clinician.a",
) -> dict[str, Any]:
    """Create a patient over the API and return the response body."""
    body = {
        "clinic_id": clinic or world.clinic_a,
        "reference": f"H-{uuid.uuid4().hex[:6]}",
        "name": "Ann Example",
        "case": case,
    }
    response = client.post("/api/v1/patients", json=body, headers=world.auth(user))
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found
