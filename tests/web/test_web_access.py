"""Who sees and posts what: every page for every role, clinics, viewers, CSRF and security headers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import ROLES, Clinics, log_in

import b12care.entrypoints.web as web_package

PAGES = (
    "/",
    "/?view=overdue",
    "/?view=lapsed",
    "/?view=due_today",
    "/?view=due_this_week",
    "/?view=needs_review",
    "/recall.csv",
    "/knowledge",
    "/patients/{id}",
    "/patients/{id}/handout",
    "/patients/{id}/handout.pdf",
)
POSTS = {
    "doses": {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"},
    "labs": {"date": "2026-01-05", "test": "total_b12", "value": "300", "unit": "ng/L"},
    "symptoms": {"date": "2026-01-05", "overall": "better", "score.fatigue": "1"},
    "reviews": {"date": "2026-01-05", "decision": "continue_loading"},
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_every_role(client: TestClient, clinics: Clinics, role: str) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, f"{role}.a")

    for page in PAGES:
        response = client.get(page.format(id=patient))
        assert response.status_code == 200, (page, response.text[:300])


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("clinician", 200), ("nurse", 403), ("viewer", 403)]
)
def test_only_prescribers_open_the_plan_builder(
    client: TestClient, clinics: Clinics, role: str, status: int
) -> None:
    log_in(client, clinics, f"{role}.a")

    assert client.get("/patients/new").status_code == status


@pytest.mark.parametrize("page", [p for p in PAGES if "{id}" in p])
def test_a_patient_of_another_clinic_is_not_found(client: TestClient, clinics: Clinics, page: str) -> None:
    theirs = clinics.add_patient(clinic=clinics.clinic_b, name="Bea Other")
    log_in(client, clinics, "admin.a")

    response = client.get(page.format(id=theirs))

    assert response.status_code == 404
    assert "Bea Other" not in response.text


def test_an_unknown_patient_is_not_found_as_a_page(client: TestClient, clinics: Clinics) -> None:
    log_in(client, clinics, "admin.a")

    response = client.get("/patients/no-such-patient")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("form", sorted(POSTS))
def test_a_nurse_cannot_record_for_a_patient_of_another_clinic(
    client: TestClient, clinics: Clinics, form: str
) -> None:
    theirs = clinics.add_patient(clinic=clinics.clinic_b)
    csrf = log_in(client, clinics, "nurse.a")

    response = client.post(f"/patients/{theirs}/{form}", data={**POSTS[form], "csrf": csrf})

    assert response.status_code == 404
    assert clinics.services.history(theirs) == []


@pytest.mark.parametrize("form", sorted(POSTS))
def test_a_viewer_cannot_post_a_form(client: TestClient, clinics: Clinics, form: str) -> None:
    patient = clinics.add_patient()
    csrf = log_in(client, clinics, "viewer.a")

    response = client.post(f"/patients/{patient}/{form}", data={**POSTS[form], "csrf": csrf})

    assert response.status_code == 403
    assert clinics.services.history(patient) == []


def test_a_viewer_sees_no_recording_forms(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "viewer.a")

    page = client.get(f"/patients/{patient}").text

    assert 'action="/patients/' not in page
    assert "Record dose" not in page


@pytest.mark.parametrize("form", sorted(POSTS))
def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: TestClient, clinics: Clinics, form: str
) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "nurse.a")

    missing = client.post(f"/patients/{patient}/{form}", data=POSTS[form])
    forged = client.post(f"/patients/{patient}/{form}", data={**POSTS[form], "csrf": "0" * 64})

    assert (missing.status_code, forged.status_code) == (403, 403)
    assert clinics.services.history(patient) == []


def test_a_csrf_token_of_another_session_is_refused(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    other = log_in(client, clinics, "clinician.a")
    log_in(client, clinics, "nurse.a")

    response = client.post(f"/patients/{patient}/doses", data={**POSTS["doses"], "csrf": other})

    assert response.status_code == 403


def test_the_plan_builder_refuses_a_post_without_csrf(client: TestClient, clinics: Clinics) -> None:
    log_in(client, clinics, "clinician.a")

    assert client.post("/patients/new", data={"name": "X"}).status_code == 403
    assert client.post("/patients/new/accept", data={"name": "X"}).status_code == 403


def test_pages_carry_the_security_headers(client: TestClient, clinics: Clinics) -> None:
    patient = clinics.add_patient()
    log_in(client, clinics, "nurse.a")

    for page in ("/login", "/", f"/patients/{patient}", "/knowledge", "/patients/no-such"):
        headers = client.get(page).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_htmx_is_served_from_this_site_and_no_page_links_a_cdn(client: TestClient, clinics: Clinics) -> None:
    log_in(client, clinics, "nurse.a")

    script = client.get("/static/vendor/htmx/htmx.min.js")
    page = client.get("/").text

    assert script.status_code == 200
    assert "htmx" in script.text[:2000]
    assert '<script src="/static/vendor/htmx/htmx.min.js"' in page
    templates = Path(web_package.__file__).parent / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert "<script>" not in text, template.name
        assert 'src="http' not in text and 'href="http' not in text.replace('href="{{', ""), template.name
