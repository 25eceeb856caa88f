"""One permission table decides who may do what, on every face: every route of the app (the REST API and
the web pages, enumerated from ``app.routes``) either acts for no staff login (listed here, with why) or
declares one action of the table; and each role gets exactly what the table says - 403 and nothing stored
for the others. A route added later without a declared action fails here."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from security_helpers import fill_path, row_counts

from app_helpers import ROLES, SECRET, TestClient, World
from b12care.application.permissions import ACTIONS, PERMISSIONS, READ_ACTIONS
from b12care.application.treatment import DoseInput
from b12care.bootstrap import App
from b12care.entrypoints.api.deps import Permission
from b12care.entrypoints.web.session import SESSION_COOKIE, PagePermission, csrf_token

NO_STAFF_LOGIN = {
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/health"): "liveness",
    ("GET", "/docs"): "the API's documentation page",
    ("POST", "/api/v1/auth/token"): "the login itself",
    ("GET", "/api/v1/auth/me"): "any logged-in user asks about themselves",
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "the login itself",
    ("POST", "/logout"): "ends the caller's own session",
    ("GET", "/cds-services"): "CDS Hooks discovery (public by the specification)",
    ("POST", "/cds-services/{service_id}"): "an EHR's signed JWT (tests/cds)",
    ("POST", "/cds-services/{service_id}/feedback"): "an EHR's signed JWT (tests/cds)",
    ("GET", "/share/{token}/calendar.ics"): "a patient's signed share link (tests/api/test_share_links.py)",
}
CHANGES_NOTHING = {("POST", "/api/v1/plans/preview")}
"""Routes posted to that store nothing: the only non-GET routes that may declare a read action."""
CHECKED_IN_THE_ROUTE = {"confirm_stop"}
"""Actions no route declares as its own: the review routes ask for them by decision (review_actions)."""


def _permissions(dependant: Any) -> Iterator[Permission | PagePermission]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, Permission | PagePermission):
            yield sub.call
        yield from _permissions(sub)


def _routes(api: FastAPI) -> dict[tuple[str, str], list[str]]:
    """Every (method, path) of the app with the actions its dependencies declare."""
    found: dict[tuple[str, str], list[str]] = {}
    for route in iter_route_contexts(api.routes):
        dependant = getattr(route, "dependant", None)
        declared = sorted({p.action for p in _permissions(dependant)}) if dependant else []
        for method in route.methods or ():
            if method != "HEAD":
                found[(method, str(route.path))] = declared
    return found


def test_every_route_acts_for_no_staff_login_or_declares_exactly_one_action_of_the_table(
    api: FastAPI,
) -> None:
    routes = _routes(api)

    undeclared = sorted(r for r, actions in routes.items() if not actions and r not in NO_STAFF_LOGIN)
    several = sorted(r for r, actions in routes.items() if len(actions) > 1)
    public_but_declaring = sorted(r for r in NO_STAFF_LOGIN if routes.get(r))
    assert undeclared == [], "routes without a permission of the table"
    assert several == []
    assert public_but_declaring == []
    assert set(NO_STAFF_LOGIN) <= set(routes), "a listed public route no longer exists: update the list"


def test_a_route_that_is_posted_to_declares_a_read_action_only_when_it_stores_nothing(api: FastAPI) -> None:
    posted_reads = {
        route for route, actions in _routes(api).items() if route[0] != "GET" and set(actions) & READ_ACTIONS
    }

    assert posted_reads == CHANGES_NOTHING


def test_every_action_of_the_table_is_asked_for_by_some_route(api: FastAPI) -> None:
    declared = {action for actions in _routes(api).values() for action in actions}

    assert set(ACTIONS) - declared == CHECKED_IN_THE_ROUTE
    assert set(PERMISSIONS) == set(ACTIONS)


SAME_WRITE_ON_BOTH_FACES = (
    (("POST", "/api/v1/patients/{patient_id}/doses"), ("POST", "/patients/{patient_id}/doses")),
    (("POST", "/api/v1/patients/{patient_id}/labs"), ("POST", "/patients/{patient_id}/labs")),
    (("POST", "/api/v1/patients/{patient_id}/symptom-checks"), ("POST", "/patients/{patient_id}/symptoms")),
    (("POST", "/api/v1/patients/{patient_id}/reviews"), ("POST", "/patients/{patient_id}/reviews")),
    (
        ("POST", "/api/v1/entries/{kind}/{entry_id}/entered-in-error"),
        ("POST", "/patients/{patient_id}/entries/{kind}/{entry_id}/entered-in-error"),
    ),
    (("POST", "/api/v1/patients"), ("POST", "/patients/new/accept")),
    (("GET", "/api/v1/patients/{patient_id}"), ("GET", "/patients/{patient_id}")),
    (("GET", "/api/v1/recall"), ("GET", "/")),
)


def test_the_api_and_the_web_page_of_the_same_write_declare_the_same_action(api: FastAPI) -> None:
    routes = _routes(api)

    differing = [(a, b) for a, b in SAME_WRITE_ON_BOTH_FACES if routes[a] != routes[b]]

    assert differing == []


def _walk_values(world: World) -> dict[str, str]:
    """Path values that name things of clinic A: a patient, one of its doses, the clinic, a user."""
    patient = world.add_patient()
    given = DoseInput(world.services.today(), "hydroxocobalamin", Decimal("1"), "mg", "IM")
    dose = world.services.record_dose(patient, given, "setup")
    return {
        "patient_id": patient,
        "clinic_id": world.clinic_a,
        "username": "viewer.a",
        "kind": "dose",
        "entry_id": dose.id,
        "pack_id": "uk-nice-2024",
        "rule_id": "labs.total_b12.bands",
    }


def _request(client: TestClient, world: World, username: str, method: str, path: str) -> tuple[int, str]:
    """``method path`` as ``username``: the API with a bearer token, a page with a login session and
    its CSRF token; an empty body (a role that may gets past the permission to the body's checks)."""
    token = world.accounts.issue_token(username)
    client.cookies.clear()
    if path.startswith(("/api/", "/share/")):
        headers = {"Authorization": f"Bearer {token}"}
        query = f"?clinic={world.clinic_a}" if path == "/api/v1/fhir/import" else ""
        if method == "GET":
            response = client.request(method, path + query, headers=headers)
        else:
            response = client.request(method, path + query, headers=headers, json={})
    else:
        client.cookies.set(SESSION_COOKIE, token)
        data = None if method == "GET" else {"csrf": csrf_token(SECRET, token)}
        response = client.request(method, path, data=data, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says_on_every_route(
    client: TestClient, world: World, booted: App, role: str
) -> None:
    values = _walk_values(world)
    username = f"{role}.a"
    wrong: list[tuple[str, str, str, int]] = []

    for (method, template), actions in sorted(_routes(world.api).items()):
        if not actions:
            continue
        action = actions[0]
        before = row_counts(booted.engine)
        status, location = _request(client, world, username, method, fill_path(template, values))
        allowed = role in PERMISSIONS[action]  # type: ignore[index]
        if allowed and (status in (401, 403, 404) or status >= 500 or location.startswith("/login")):
            wrong.append((method, template, f"{action}: allowed", status))
        if not allowed and (status != 403 or row_counts(booted.engine) != before):
            wrong.append((method, template, f"{action}: refused, nothing stored", status))

    assert wrong == []
