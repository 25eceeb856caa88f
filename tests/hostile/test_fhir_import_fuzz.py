"""The FHIR importer under hostile input (Hypothesis): a mutated valid Bundle gives a report or an
InputError (a 4xx over the API) - never another exception or a 5xx - and a refused Bundle stores
nothing: every table keeps its row count, the audit log included."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_helpers import mutated, row_counts
from hypothesis import HealthCheck, event, given, settings

from app_helpers import TestClient, World
from b12care.adapters.fhir.importer import ImportReport, import_bundle
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT_URL = "urn:uuid:7c1f0000-0000-4000-8000-000000000001"
BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": PATIENT_URL,
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"system": "urn:x", "value": "H1"}],
            },
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "2132-9"}]},
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": "2026-01-02",
                "valueQuantity": {"value": 150, "unit": "ng/L", "system": UCUM, "code": "ng/L"},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationAdministration",
                "id": "a1",
                "status": "completed",
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "317106"}]},
                "subject": {"reference": PATIENT_URL},
                "effectiveDateTime": "2026-01-05",
                "performer": [{"actor": {"display": "Nurse Jo"}}],
                "dosage": {
                    "site": {"text": "left deltoid"},
                    "route": {"text": "IM"},
                    "dose": {"value": 1, "system": UCUM, "code": "mg"},
                },
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "s1",
                "status": "completed",
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "309594"}]},
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": "2026-01-09",
                "dosage": [
                    {
                        "route": {"text": "IM"},
                        "doseAndRate": [{"doseQuantity": {"value": 1, "system": UCUM, "code": "mg"}}],
                    }
                ],
            }
        },
    ],
}
VOCABULARY = (
    "Patient",
    "Observation",
    "MedicationAdministration",
    "MedicationStatement",
    "MedicationRequest",
    "Basic",
    "SubstanceDefinition",
    "transaction",
    "searchset",
    "document",
    "entered-in-error",
    "not-done",
    "not-taken",
    "preliminary",
    "Patient/p1",
    "Patient/nobody",
    PATIENT_URL,
    "H1",
    "14685-3",
    "2132-9",
    "pmol/L",
    "mg",
    "ug",
    "2026-01-05T10:00:00+01:00",
    "2026-01",
    "9999-12-31",
    "0001-01-01",
    {"reference": "Patient/p1"},
    {"identifier": {"value": "H1"}},
    {"start": "2026-01-05", "end": "2026-01-04"},
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def importing(tmp_path: Path) -> Iterator[tuple[App, Services, str]]:
    """SQLite only: the fuzzing is about the importer's handling of input (both databases run the
    stored-and-shown tests). A clinic with patient H1 (the example case)."""
    settings_ = Settings(database_url=f"sqlite:///{tmp_path / 'fhir.db'}")
    with bootstrap(settings_, clock=lambda: NOW) as app:
        services = Services(app.uow, app.clock)
        clinic = services.add_clinic("Riverside", "admin")
        services.add_patient(
            clinic_id=clinic.id, reference="H1", name="Ann Example", case_json=CASE.read_text(), actor="admin"
        )
        yield app, services, clinic.id


def import_outcome(services: Services, bundle: Any, clinic: str) -> ImportReport | InputError:
    try:
        return import_bundle(services, bundle, clinic, "fuzzer")
    except InputError as error:
        return error


def _fresh(bundle: Any, serial: int) -> Any:
    """``bundle`` with each dose's id and each lab's value made new (where the mutation left them), so
    entries are imported rather than found to be duplicates of an earlier example's."""
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for item in entries if isinstance(entries, list) else []:
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") == "Patient":
            continue
        if isinstance(resource.get("id"), str):
            resource["id"] += f"-{serial}"
        quantity = resource.get("valueQuantity")
        if isinstance(quantity, dict) and type(quantity.get("value")) is int:
            quantity["value"] += serial
    return bundle


def _stored(counts: dict[str, int]) -> int:
    return counts["doses"] + counts["labs"]


def test_the_unmutated_bundle_imports_every_entry(importing: tuple[App, Services, str]) -> None:
    app, services, clinic = importing

    report = import_bundle(services, BUNDLE, clinic, "fuzzer")

    assert [e.resource_id for e in report.imported] == ["o1", "a1", "s1"]
    assert _stored(row_counts(app.engine)) == 3


@FUZZ
@given(bundle=mutated(BUNDLE, vocabulary=VOCABULARY, max_mutations=4))
def test_a_mutated_bundle_gives_a_report_or_an_input_error_and_a_refused_one_stores_nothing(
    importing: tuple[App, Services, str], bundle: Any
) -> None:
    app, services, clinic = importing
    before = row_counts(app.engine)

    outcome = import_outcome(services, _fresh(bundle, before["audit_log"]), clinic)

    after = row_counts(app.engine)
    if isinstance(outcome, InputError):
        event("refused")
        assert outcome.field.startswith("Bundle"), outcome
        assert after == before
    else:
        event(f"report: {len(outcome.imported)} imported, {len(outcome.issues)} issues")
        assert _stored(after) - _stored(before) == len(outcome.imported)
        json.dumps(outcome.to_dict())  # the report is JSON, as the API and CLI print it


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only for the API half too."""
    return f"sqlite:///{tmp_path / 'api' / 'b12care.db'}"


def test_mutated_bundles_posted_to_the_import_route_get_a_report_or_a_4xx_and_no_5xx(
    client: TestClient, world: World, booted: App
) -> None:
    world.add_patient(reference="H1")
    headers = world.auth("nurse.a")
    post: Callable[[Any], Any] = lambda body: client.post(  # noqa: E731
        "/api/v1/fhir/import", params={"clinic": world.clinic_a}, json=body, headers=headers
    )
    seen: list[int] = []

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(bundle=mutated(BUNDLE, vocabulary=VOCABULARY, max_mutations=4))
    def call(bundle: Any) -> None:
        before = row_counts(booted.engine)
        response = post(_fresh(bundle, before["audit_log"]))
        seen.append(response.status_code)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            assert row_counts(booted.engine) == before

    call()

    assert 200 in seen and 422 in seen


CLI_BUNDLES: dict[str, str | bytes] = {
    "nested past the parser's recursion": "[" * 100_000 + "]" * 100_000,
    "nested just inside it": json.dumps(BUNDLE | {"meta": json.loads("[" * 900 + "]" * 900)}),
    "nested in an entry": json.dumps(BUNDLE | {"entry": [{"resource": json.loads("[" * 500 + "]" * 500)}]}),
    "a null element": json.dumps(BUNDLE | {"type": None}),
    "not UTF-8": b"\xff\xfe{",
    "an array": "[]",
}


@pytest.mark.parametrize("text", CLI_BUNDLES.values(), ids=CLI_BUNDLES.keys())
def test_fhir_import_answers_a_hostile_bundle_file_with_one_line_and_exit_2(
    run_cli: Callable[..., Any], cli_clinic_and_patient: tuple[str, str], tmp_path: Path, text: str | bytes
) -> None:
    clinic, _ = cli_clinic_and_patient
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(text if isinstance(text, bytes) else text.encode())

    result = run_cli("fhir", "import", str(bundle), "--clinic", clinic, "--actor", "nurse.a")

    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout
