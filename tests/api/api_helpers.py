"""Helpers of the API tests (a module of its own name, so test modules import it unambiguously); the
constants, clock and clinics are those of tests/app_helpers.py, shared with the web page tests."""

from __future__ import annotations

import uuid
from typing import Any

from app_helpers import (
    EXAMPLE_CASE,
    FAST_HASHER,
    NOW,
    PASSWORD,
    PUBLIC_URL,
    ROLES,
    SECRET,
    MovableClock,
    TestClient,
    World,
)

__all__ = [
    "EXAMPLE_CASE",
    "FAST_HASHER",
    "NOW",
    "PASSWORD",
    "PUBLIC_URL",
    "ROLES",
    "SECRET",
    "MovableClock",
    "World",
    "new_patient",
]


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
