"""Helpers shared by the API and web page tests: constants, a clock the test moves, and the two clinics
(a module of its own name, so test modules import it unambiguously)."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI

from b12care.application.accounts import Accounts
from b12care.application.treatment import Services

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CASE = ROOT / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
SECRET = "test-secret-key-of-at-least-32-characters"
PASSWORD = "correct horse battery"
PUBLIC_URL = "https://b12.example.org"
ROLES = ("admin", "clinician", "nurse", "viewer")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # still argon2id
PLANNER_CASE: dict[str, str] = {
    "reference": "H-100",
    "name": "Pat Planned",
    "pack": "uk-nice-2024",
    "start_date": "2026-01-05",
    "patient.birth_date": "1958-03-14",
    "patient.sex": "female",
    "cause": "autoimmune_gastritis",
    "indication": "treatment",
    "labs[0].test": "total_b12",
    "labs[0].value": "120",
    "labs[0].unit": "ng/L",
    "labs[0].date": "2026-01-02",
}
"""The example case (pernicious anaemia, UK pack) as the web plan builder's form posts it."""

__all__ = [
    "EXAMPLE_CASE",
    "FAST_HASHER",
    "NOW",
    "PASSWORD",
    "PLANNER_CASE",
    "PUBLIC_URL",
    "ROLES",
    "ROOT",
    "SECRET",
    "MovableClock",
    "TestClient",
    "World",
    "add_clinics",
]


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
    """Two clinics; in clinic A a user of every role (``<role>.a``), in clinic B a nurse (``nurse.b``)."""

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

    def add_patient(
        self, *, clinic: str | None = None, name: str = "Ann Example", reference: str | None = None
    ) -> str:
        """A patient of the example case (pernicious anaemia, UK pack); returns its id."""
        patient = self.services.add_patient(
            clinic_id=clinic or self.clinic_a,
            reference=reference or f"H-{uuid.uuid4().hex[:6]}",
            name=name,
            case_json=EXAMPLE_CASE.read_text(),
            actor="setup",
        )
        return patient.id


def add_clinics(api: FastAPI) -> World:
    """Add the two clinics and their users of :class:`World` to ``api``."""
    services: Services = api.state.services
    accounts: Accounts = api.state.accounts
    clinic_a = services.add_clinic("Riverside Surgery", "setup").id
    clinic_b = services.add_clinic("Hillside Clinic", "setup").id
    for role in ROLES:
        accounts.add_user(f"{role}.a", PASSWORD, role, [clinic_a], "setup")
    accounts.add_user("nurse.b", PASSWORD, "nurse", [clinic_b], "setup")
    return World(api, clinic_a, clinic_b)
