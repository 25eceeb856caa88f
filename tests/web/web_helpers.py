"""Helpers of the web page tests (a module of its own name, so test modules import it unambiguously)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI

from b12care.entrypoints.web.session import SESSION_COOKIE, csrf_token
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
class Clinics:
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


def log_in(client: TestClient, clinics: Clinics, username: str) -> str:
    """Give ``client`` a session of ``username`` (as the login form would); returns its CSRF token."""
    token = clinics.accounts.issue_token(username)
    client.cookies.set(SESSION_COOKIE, token)
    return csrf_token(SECRET, token)


def hidden_csrf(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def example_case() -> dict[str, Any]:
    """A fresh copy of the example case."""
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text())
    return data
