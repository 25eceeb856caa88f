"""``GET /api/v1/clinics/{id}/export?format=csv|fhir``: admins of the clinic only, audited; on SQLite
and PostgreSQL (the ``client`` and ``world`` fixtures of tests/app_fixtures.py)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle

from app_helpers import TestClient, World
from b12care.application.export import CSV_COLUMNS
from b12care.application.treatment import DoseInput


@pytest.fixture
def patients(world: World) -> list[str]:
    """Two patients of clinic A (one with a dose), one of clinic B."""
    first = world.add_patient(name="=1+2")
    world.services.record_dose(
        first, DoseInput(world.services.today(), "hydroxocobalamin", Decimal(1), "mg", "IM"), "n"
    )
    return [first, world.add_patient(), world.add_patient(clinic=world.clinic_b)]


def _url(world: World, output: str = "csv", clinic: str | None = None) -> str:
    return f"/api/v1/clinics/{clinic or world.clinic_a}/export?format={output}"


def test_an_admin_gets_the_clinic_as_csv_with_a_row_per_entry(
    client: TestClient, world: World, patients: list[str]
) -> None:
    response = client.get(_url(world), headers=world.auth("admin.a"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    kinds = sorted((row[1], row[3]) for row in rows[1:])
    first, second, _ = patients
    assert kinds == sorted([(first, "patient"), (first, "plan_version"), (first, "dose"),
                            (second, "patient"), (second, "plan_version")])  # fmt: skip
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))]


def test_an_admin_gets_the_clinic_as_one_fhir_bundle(
    client: TestClient, world: World, patients: list[str]
) -> None:
    response = client.get(_url(world, "fhir"), headers=world.auth("admin.a"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    found = {e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"}
    assert found == set(patients[:2])


@pytest.mark.parametrize("role", ["clinician", "nurse", "viewer"])
def test_staff_who_are_not_admins_are_refused_with_403(
    client: TestClient, world: World, patients: list[str], role: str
) -> None:
    response = client.get(_url(world), headers=world.auth(f"{role}.a"))

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_another_clinic_is_a_404_and_a_bad_format_a_422(
    client: TestClient, world: World, patients: list[str]
) -> None:
    other = client.get(_url(world, clinic=world.clinic_b), headers=world.auth("admin.a"))
    bad = client.get(_url(world, "xml"), headers=world.auth("admin.a"))

    assert other.status_code == 404
    assert bad.status_code == 422
    assert "format" in bad.text


def test_every_export_is_in_the_audit_log_with_who_and_what(
    client: TestClient, world: World, patients: list[str]
) -> None:
    client.get(_url(world, "fhir"), headers=world.auth("admin.a"))

    with world.services.uow() as uow:
        entries = uow.audit.for_entity("clinic", world.clinic_a)
    exports = [e for e in entries if e.action == "record.export"]
    assert [(e.actor, dict(e.detail)) for e in exports] == [("admin.a", {"format": "fhir", "patients": 2})]
