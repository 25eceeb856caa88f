"""Helpers of the web page tests (a module of its own name, so test modules import it unambiguously); the
constants, clock and clinics are those of tests/app_helpers.py, shared with the API tests."""

from __future__ import annotations

import json
import re
from typing import Any

from app_helpers import EXAMPLE_CASE, PASSWORD, PLANNER_CASE, ROLES, SECRET, MovableClock, TestClient, World
from b12care.entrypoints.web.session import SESSION_COOKIE, csrf_token

__all__ = [
    "PASSWORD",
    "ROLES",
    "Clinics",
    "MovableClock",
    "example_case",
    "hidden_csrf",
    "log_in",
    "plan_form",
]

Clinics = World
"""Two clinics; in clinic A a user of every role (``<role>.a``), in clinic B a nurse (``nurse.b``)."""


def plan_form(clinics: Clinics, csrf: str, **changes: Any) -> dict[str, Any]:
    """The plan builder's form for the example case in clinic A, with ``changes``."""
    return {"csrf": csrf, "clinic_id": clinics.clinic_a, **PLANNER_CASE, **changes}


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
