"""CSRF: every POST route of the web app, found from its router (so a new form is covered without being
listed), refuses a missing and a wrong token with 403 and stores nothing; with the right token, each form
listed here is accepted, which shows the refusals were the token's doing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from security_helpers import fill_path, http_routes, row_counts

from app_helpers import PASSWORD, PLANNER_CASE, SECRET, TestClient, World
from b12care.application.treatment import DoseInput
from b12care.bootstrap import App
from b12care.entrypoints.web import router as web_router
from b12care.entrypoints.web.session import CSRF_COOKIE, SESSION_COOKIE, csrf_token

WEB_POSTS = [path for method, path in http_routes(web_router.routes) if method == "POST"]
VALID_FORMS: dict[str, dict[str, Any]] = {
    "/login": {"username": "admin.a", "password": PASSWORD, "next": "/"},
    "/logout": {},
    "/patients/new": PLANNER_CASE,
    "/patients/new/accept": PLANNER_CASE,
    "/patients/{patient_id}/doses": {
        "date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM",
    },
    "/patients/{patient_id}/labs": {
        "date": "2026-01-05", "test": "total_b12", "value": "300", "unit": "ng/L",
    },
    "/patients/{patient_id}/symptoms": {"date": "2026-01-05", "overall": "better", "score.fatigue": "1"},
    "/patients/{patient_id}/reviews": {"date": "2026-01-05", "decision": "continue_loading"},
    "/patients/{patient_id}/entries/{kind}/{entry_id}/entered-in-error": {"reason": "wrong patient"},
}  # fmt: skip


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the token is checked before any database work."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, follow_redirects=False) as test_client:
        yield test_client


class Session:
    """admin.a (who may post every form) signed in on ``client``, and the values of the path parameters."""

    def __init__(self, client: TestClient, world: World) -> None:
        patient = world.add_patient()
        dose = world.services.record_dose(
            patient,
            DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"),
            "setup",
        )
        self.client = client
        self.values = {"patient_id": patient, "kind": "dose", "entry_id": dose.id}
        self.clinic = world.clinic_a
        token = world.accounts.issue_token("admin.a")
        client.cookies.set(SESSION_COOKIE, token)
        self.csrf = csrf_token(SECRET, token)

    def form(self, template: str) -> dict[str, Any]:
        """The valid form of the route (an empty one for a route not listed)."""
        form = dict(VALID_FORMS.get(template, {}))
        return form | {"clinic_id": self.clinic} if template.startswith("/patients/new") else form

    def post(self, template: str, csrf: str | None) -> Any:
        form = self.form(template)
        if template == "/login":  # the login form's token is a double-submit cookie set by GET /login
            self.client.cookies.delete(SESSION_COOKIE)
            page = self.client.get("/login")
            assert page.status_code == 200 and CSRF_COOKIE in self.client.cookies
            csrf = self.client.cookies[CSRF_COOKIE] if csrf == self.csrf else csrf
        if csrf is not None:
            form["csrf"] = csrf
        return self.client.post(fill_path(template, self.values), data=form)


@pytest.fixture
def session(client: TestClient, world: World) -> Session:
    return Session(client, world)


def test_the_sweep_finds_every_form_of_the_web_app() -> None:
    assert set(VALID_FORMS) <= set(WEB_POSTS)  # a form listed here but gone from the app is noticed too
    assert len(WEB_POSTS) >= 9


@pytest.mark.parametrize("route", WEB_POSTS)
def test_a_post_without_the_right_csrf_token_is_refused_and_stores_nothing(
    booted: App, session: Session, route: str
) -> None:
    before = row_counts(booted.engine)

    missing = session.post(route, None)
    wrong = session.post(route, "0" * 64)

    assert (missing.status_code, wrong.status_code) == (403, 403), (route, missing.text[:300])
    assert row_counts(booted.engine) == before
    for response in (missing, wrong):
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("route", sorted(VALID_FORMS))
def test_the_same_post_with_the_right_token_is_accepted(session: Session, route: str) -> None:
    response = session.post(route, session.csrf)

    assert response.status_code in {200, 303}, (route, response.text[:300])
