"""SQL-injection strings in every free-text field are stored and shown back as the text they are - over
the API, and HTML-escaped on the web page - on SQLite and PostgreSQL; afterwards every table still
exists and holds exactly the rows written. A NUL character (which PostgreSQL text cannot hold) is refused
with 422 naming the field, by the API, the web forms and the FHIR import alike, and stores nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hostile_helpers import SQL_INJECTIONS, row_counts, table_names
from markupsafe import escape

from app_helpers import SECRET, TestClient, World
from b12care.adapters.db.tables import metadata
from b12care.adapters.fhir.importer import import_bundle
from b12care.bootstrap import App
from b12care.entrypoints.web.session import SESSION_COOKIE, csrf_token

PROBLEM = "application/problem+json"


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    found: dict[str, Any] = response.json()
    return found


def _write_everything(client: TestClient, world: World, text: str, case: dict[str, Any]) -> dict[str, str]:
    """Every free-text field of the API written with ``text``; the ids made."""
    admin, clinician, nurse = world.auth("admin.a"), world.auth("clinician.a"), world.auth("nurse.a")
    clinic = _created(client.post("/api/v1/clinics", json={"name": text}, headers=admin))
    body = {"clinic_id": world.clinic_a, "reference": text, "name": text, "case": case}
    patient = _created(client.post("/api/v1/patients", json=body, headers=clinician))["patient"]["id"]
    doses = f"/api/v1/patients/{patient}/doses"
    given = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}
    free = {"site": text, "lot": text, "given_by": text, "idempotency_key": text}
    dose = _created(client.post(doses, json=given | free, headers=nurse))["id"]
    _created(client.post(doses, json={"date": "2026-01-06", "not_done_reason": text}, headers=nurse))
    review = {"date": "2026-01-06", "decision": "continue_loading", "note": text}
    _created(client.post(f"/api/v1/patients/{patient}/reviews", json=review, headers=clinician))
    mark = client.post(f"/api/v1/entries/dose/{dose}/entered-in-error", json={"reason": text}, headers=nurse)
    _created(mark)
    return {"clinic": clinic["id"], "patient": patient, "dose": dose}


def test_sql_injection_strings_are_stored_and_returned_literally_and_every_table_survives(
    client: TestClient, world: World, booted: App, case: dict[str, Any]
) -> None:
    before = row_counts(booted.engine)
    made = {text: _write_everything(client, world, text, copy.deepcopy(case)) for text in SQL_INJECTIONS}

    nurse = world.auth("nurse.a")
    for text, ids in made.items():
        clinic = client.get(f"/api/v1/clinics/{ids['clinic']}", headers=world.auth("admin.a")).json()
        patient = client.get(f"/api/v1/patients/{ids['patient']}", headers=nurse).json()["patient"]
        history = client.get(f"/api/v1/patients/{ids['patient']}/history", headers=nurse).json()
        given, not_done = history["doses"]
        assert clinic["name"] == text
        assert (patient["name"], patient["reference"]) == (text, text)
        assert [given[k] for k in ("site", "lot", "given_by", "idempotency_key")] == [text] * 4
        assert given["entered_in_error"]["reason"] == text
        assert not_done["not_done_reason"] == text
        assert history["reviews"][0]["note"] == text
    after = row_counts(booted.engine)
    n = len(SQL_INJECTIONS)
    assert table_names(booted.engine) >= set(metadata.tables)
    assert after["clinics"] - before["clinics"] == n
    assert after["patients"] - before["patients"] == n
    assert (after["doses"], after["reviews"]) == (before["doses"] + 2 * n, before["reviews"] + n)


def test_sql_injection_strings_are_shown_html_escaped_on_the_patient_page(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    pages = {}
    for text in SQL_INJECTIONS:
        ids = _write_everything(client, world, text, copy.deepcopy(case))
        client.cookies.set(SESSION_COOKIE, world.accounts.issue_token("nurse.a"))
        pages[text] = client.get(f"/patients/{ids['patient']}").text

    for text, html in pages.items():
        shown = str(escape(text))
        # name (title, heading), reference, site (history, last-site hint), not-done reason, note, mark
        assert html.count(shown) >= 7, (text, html.count(shown))
        if shown != text:
            assert text not in html


NUL = "left\x00deltoid"
Write = tuple[str, str, dict[str, str], str]  # route, user, the field's value, the field named
API_FIELDS: list[Write] = [
    ("/api/v1/clinics", "admin.a", {"name": NUL}, "name"),
    ("patients", "clinician.a", {"name": NUL}, "name"),
    ("patients", "clinician.a", {"reference": NUL}, "reference"),
    ("doses", "nurse.a", {"site": NUL}, "site"),
    ("doses", "nurse.a", {"not_done_reason": NUL}, "not_done_reason"),
    ("reviews", "clinician.a", {"note": NUL}, "note"),
]


@pytest.mark.parametrize("write", API_FIELDS, ids=[f[3] for f in API_FIELDS])
def test_a_nul_character_in_a_text_field_is_refused_over_the_api_naming_the_field(
    client: TestClient,
    world: World,
    booted: App,
    case: dict[str, Any],
    write: Write,
) -> None:
    route, user, change, field = write
    patient = world.add_patient()
    bodies = {
        "patients": {"clinic_id": world.clinic_a, "reference": "H-NUL", "name": "Ann", "case": case},
        "doses": {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"},
        "reviews": {"date": "2026-01-06", "decision": "continue_loading"},
    }
    paths = {"patients": "/api/v1/patients", "doses": f"/api/v1/patients/{patient}/doses"}
    path = paths.get(route, route if route.startswith("/") else f"/api/v1/patients/{patient}/{route}")
    before = row_counts(booted.engine)

    response = client.post(path, json=bodies.get(route, {}) | change, headers=world.auth(user))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == field
    assert row_counts(booted.engine) == before


@pytest.mark.parametrize("field", ["site", "lot", "given_by", "not_done_reason"])
def test_a_nul_character_in_a_dose_form_is_refused_next_to_the_field(
    client: TestClient, web_form: tuple[str, dict[str, str]], booted: App, field: str
) -> None:
    path, fields = web_form
    before = row_counts(booted.engine)

    response = client.post(path, data=fields | {field: NUL}, follow_redirects=False)

    assert response.status_code == 422
    assert "cannot be stored" in response.text
    assert row_counts(booted.engine) == before


def test_a_nul_character_in_a_review_note_or_entered_in_error_reason_form_is_refused(
    client: TestClient, web_form: tuple[str, dict[str, str]], booted: App, world: World
) -> None:
    path, fields = web_form
    assert client.post(path, data=fields, follow_redirects=False).status_code == 303
    patient = path.split("/")[2]
    dose = client.get(f"/api/v1/patients/{patient}/history", headers=world.auth("nurse.a")).json()["doses"][0]
    before = row_counts(booted.engine)

    mark = client.post(
        f"/patients/{patient}/entries/dose/{dose['id']}/entered-in-error",
        data={"csrf": fields["csrf"], "reason": NUL},
        follow_redirects=False,
    )
    prescriber = world.accounts.issue_token("clinician.a")  # review decisions are a prescriber's (ADR 0006)
    client.cookies.set(SESSION_COOKIE, prescriber)
    review = client.post(
        f"/patients/{patient}/reviews",
        data={"csrf": csrf_token(SECRET, prescriber), "date": "2026-01-06", "decision": "continue_loading",
              "note": NUL},
        follow_redirects=False,
    )  # fmt: skip

    assert (review.status_code, mark.status_code) == (422, 422)
    assert row_counts(booted.engine) == before


def test_a_nul_character_in_an_imported_dose_is_reported_and_not_stored(world: World, booted: App) -> None:
    world.add_patient(reference="H1")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "identifier": [{"value": "H1"}]}},
            {
                "resource": {
                    "resourceType": "MedicationAdministration",
                    "id": "a1",
                    "status": "completed",
                    "medicationCodeableConcept": {"text": "hydroxocobalamin"},
                    "subject": {"reference": "Patient/p1"},
                    "effectiveDateTime": "2026-01-05",
                    "dosage": {
                        "site": {"text": NUL},
                        "route": {"text": "IM"},
                        "dose": {"value": 1, "system": "http://unitsofmeasure.org", "code": "mg"},
                    },
                }
            },
        ],
    }
    before = row_counts(booted.engine)

    report = import_bundle(world.services, bundle, world.clinic_a, "importer")

    assert report.imported == []
    assert [(i.kind, i.path) for i in report.issues] == [("rejected", "Bundle.entry[1].resource.dosage.site")]
    assert row_counts(booted.engine) == before
