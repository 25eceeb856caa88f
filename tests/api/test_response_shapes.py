"""The API's response models describe its answers exactly (issue 13, "Presentation").

Every JSON route is called once in one story (``_exercise``): its body, ids and tokens replaced by
placeholders, must equal the body recorded before the routes had response models
(``response_shapes.json``: ``B12CARE_RECORD_SHAPES=1`` records it again, for a deliberate change only), and
the route's response model, fed that body, must give it back byte for byte. ``/openapi.json`` must type
every 2xx JSON answer: no empty or any-object schema (the FHIR bodies are open objects with a description).
The CDS Hooks cards model is checked on cards built here and on every answer tests/cds/fixtures records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from api_helpers import EXAMPLE_CASE, World
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app_helpers import PASSWORD, ROOT, TestClient
from b12care.application.case_file import parse_case_json
from b12care.application.cds_cards import card_to_json, patient_view_cards
from b12care.application.forecasting import forecast_case
from b12care.application.planning import choose_pack
from b12care.application.records import PatientRecord, PlanVersionRecord
from b12care.application.treatment import PatientView
from b12care.domain.history import AdministeredDose, History
from b12care.entrypoints.api.app import ROUTERS
from b12care.entrypoints.api.responses_exchange import CdsCardsOut

GOLDEN = Path(__file__).with_name("response_shapes.json")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_JSON_ROUTES_WITHOUT_A_BODY_HERE = {
    "POST /cds-services/{service_id}",  # needs a signed EHR call: tests/cds; the cards model is tested below
    "POST /cds-services/{service_id}/feedback",
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the shapes are the API's, the databases' own contract tests are elsewhere."""
    return f"sqlite:///{tmp_path / 'shapes' / 'b12care.db'}"


def _fhir_dose(patient_id: str, day: str, value: int = 1) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"ma-{day}",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "317106"}]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": day,
        "dosage": {
            "route": {"text": "IM"},
            "dose": {"value": value, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
        },
    }


def _bundle(patient: dict[str, Any], value: int = 1) -> dict[str, Any]:
    unknown = _fhir_dose(patient["id"], "2026-01-06") | {
        "id": "ma-unknown",
        "medicationCodeableConcept": {"coding": [{"system": "http://example.org/drugs", "code": "X1"}]},
    }
    identified = {
        "resourceType": "Patient",
        "id": patient["id"],
        "identifier": [{"value": patient["reference"]}],
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": identified},
            {"resource": _fhir_dose(patient["id"], "2026-01-05", value)},
            {"resource": unknown},
        ],
    }


@dataclasses.dataclass
class _Story:
    """Calls routes and keeps each label's first response (the label: method, path template, variant)."""

    client: TestClient
    world: World
    got: dict[str, Any] = dataclasses.field(default_factory=dict)

    def call(self, label: str, url: str, user: str | None, **kwargs: Any) -> Any:
        headers = self.world.auth(user) if user else {}
        response = self.client.request(label.split(" ", maxsplit=1)[0], url, headers=headers, **kwargs)
        assert response.status_code < 300, (label, response.text)
        self.got.setdefault(label, response)
        return response.json() if response.headers["content-type"].endswith("json") else None

    def accounts(self) -> None:
        clinic_a = self.world.clinic_a
        self.call("POST /api/v1/auth/token", "/api/v1/auth/token", None, data=_LOGIN)
        self.call("GET /api/v1/auth/me", "/api/v1/auth/me", "clinician.a")
        user = {"username": "new.a", "password": PASSWORD, "role": "nurse", "clinic_ids": [clinic_a]}
        self.call("POST /api/v1/users", "/api/v1/users", "admin.a", json=user)
        self.call("GET /api/v1/users", "/api/v1/users", "admin.a")
        self.call("GET /api/v1/users/{username}", "/api/v1/users/new.a", "admin.a")
        self.call("PATCH /api/v1/users/{username}", "/api/v1/users/new.a", "admin.a", json={"disabled": True})
        self.call("POST /api/v1/clinics", "/api/v1/clinics", "admin.a", json={"name": "Lakeside"})
        self.call("GET /api/v1/clinics", "/api/v1/clinics", "clinician.a")  # one clinic: ids order a list
        self.call("GET /api/v1/clinics/{clinic_id}", f"/api/v1/clinics/{clinic_a}", "admin.a")

    def record(self, case: dict[str, Any]) -> dict[str, Any]:
        """A new patient, and one entry of each kind; the patient."""
        new = {"clinic_id": self.world.clinic_a, "reference": "H-1", "name": "Ann Example", "case": case}
        patient: dict[str, Any] = self.call(
            "POST /api/v1/patients", "/api/v1/patients", "clinician.a", json=new
        )
        base, at = "/api/v1/patients/{patient_id}", f"/api/v1/patients/{patient['patient']['id']}"
        dose = self.call(f"POST {base}/doses", f"{at}/doses", "clinician.a", json=_DOSE)
        self.call(f"POST {base}/doses not-done", f"{at}/doses", "clinician.a", json=_NOT_DONE)
        self.call(f"POST {base}/labs", f"{at}/labs", "clinician.a", json=_LAB)
        self.call(f"POST {base}/symptom-checks", f"{at}/symptom-checks", "clinician.a", json=_SYMPTOMS)
        self.call(f"POST {base}/reviews", f"{at}/reviews", "clinician.a", json=_REVIEW)
        mark = f"/api/v1/entries/dose/{dose['id']}/entered-in-error"
        reason = {"reason": "wrong patient"}
        self.call("POST /api/v1/entries/{kind}/{entry_id}/entered-in-error", mark, "clinician.a", json=reason)
        return dict(patient["patient"])

    def read(self, patient: dict[str, Any], case: dict[str, Any]) -> None:
        base, at = "/api/v1/patients/{patient_id}", f"/api/v1/patients/{patient['id']}"
        self.call("GET /api/v1/patients", "/api/v1/patients", "clinician.a")
        self.call(f"GET {base}", at, "clinician.a", params={"as_of": "2026-03-01"})
        for route in ("forecast", "history"):
            self.call(f"GET {base}/{route}", f"{at}/{route}", "clinician.a")
        self.call(f"POST {base}/plans", f"{at}/plans", "clinician.a", json={"case": case})
        self.call(f"GET {base}/plans", f"{at}/plans", "clinician.a")
        self.call(f"POST {base}/share-links", f"{at}/share-links", "clinician.a", json={"days": 30})
        self.call("POST /api/v1/plans/preview", "/api/v1/plans/preview", "clinician.a", json={"case": case})
        self.call("GET /api/v1/recall", "/api/v1/recall", "clinician.a", params={"as_of": "2026-06-01"})
        self.call("GET /api/v1/packs", "/api/v1/packs", "clinician.a")
        self.call(
            "GET /api/v1/packs/{pack_id}/citations", "/api/v1/packs/uk-nice-2024/citations", "clinician.a"
        )
        self.call("GET /api/v1/rules/{rule_id}", "/api/v1/rules/labs.total_b12.bands", "clinician.a")
        self.call("GET /cds-services", "/cds-services", None)

    def exchange(self, patient: dict[str, Any]) -> None:
        self.call(
            "GET /api/v1/patients/{patient_id}/fhir", f"/api/v1/patients/{patient['id']}/fhir", "clinician.a"
        )
        imports = {"clinic": self.world.clinic_a}
        for label, value in (("", 1), (" again", 1), (" conflicting", 2)):
            bundle = _bundle(patient, value)
            self.call(
                f"POST /api/v1/fhir/import{label}",
                "/api/v1/fhir/import",
                "nurse.a",
                params=imports,
                json=bundle,
            )


_LOGIN = {"username": "nurse.a", "password": PASSWORD}
_DOSE = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}
_NOT_DONE = {"date": "2026-01-07", "not_done_reason": "declined"}
_LAB = {"test": "total_b12", "value": "150.5", "unit": "ng/L", "date": "2026-01-06"}
_SYMPTOMS = {"date": "2026-01-06", "overall": "better", "scores": {"fatigue": 2}}
_REVIEW = {"date": "2026-01-06", "decision": "lengthen_interval", "note": "fine", "new_interval": "3m"}


def _exercise(client: TestClient, world: World, case: dict[str, Any]) -> dict[str, Any]:
    """Call every JSON route once (as a story: what one creates the next reads); route label -> response."""
    story = _Story(client, world)
    story.accounts()
    patient = story.record(case)
    story.read(patient, case)
    story.exchange(patient)
    return story.got


def _normalized(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "<token>")
    numbered: dict[str, str] = {}
    return _UUID.sub(lambda m: numbered.setdefault(m.group(), f"<id-{len(numbered) + 1}>"), text)


def _secrets(got: dict[str, Any]) -> list[str]:
    login = got["POST /api/v1/auth/token"].json()
    share = got["POST /api/v1/patients/{patient_id}/share-links"].json()
    return [login["access_token"], share["token"]]


def _route(label: str) -> APIRoute:
    method, path = label.split(" ")[:2]
    for route in (r for router in ROUTERS for r in router.routes):
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or set()):
            return route
    raise AssertionError(f"no route {label}")


def test_every_json_answer_is_the_one_recorded_before_the_response_models(
    api: FastAPI, client: TestClient, world: World, case: dict[str, Any]
) -> None:
    got = _exercise(client, world, case)
    secrets = _secrets(got)
    bodies = {label: _normalized(response.text, secrets) for label, response in sorted(got.items())}

    if os.environ.get("B12CARE_RECORD_SHAPES") == "1":
        GOLDEN.write_text(json.dumps(bodies, indent=1, ensure_ascii=False) + "\n")
    recorded = json.loads(GOLDEN.read_text())

    assert set(bodies) == set(recorded)
    for label, body in bodies.items():
        assert body == recorded[label], label


def test_each_routes_response_model_gives_its_body_back_byte_for_byte(
    api: FastAPI, client: TestClient, world: World, case: dict[str, Any]
) -> None:
    got = _exercise(client, world, case)

    for label, response in got.items():
        route = _route(label)
        field = route.response_field
        assert field is not None, f"{label} has no response model"
        value, errors = field.validate(response.json(), {}, loc=("response",))
        assert not errors, (label, errors)
        again = field.serialize_json(value, exclude_unset=route.response_model_exclude_unset)
        assert again == response.content, label


def _view() -> PatientView:
    now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    case_json = EXAMPLE_CASE.read_text()
    loading = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")
    doses = tuple(AdministeredDose(dt.date.fromisoformat(d), None, "IM", "hydroxocobalamin") for d in loading)
    forecast = forecast_case(parse_case_json(case_json), History(doses), as_of=now.date())
    patient = PatientRecord("p-1", "c-1", "H-1", "Ann Example", dt.date(1958, 3, 14), "female", now, "admin")
    version = PlanVersionRecord("v-1", "p-1", 1, case_json, "uk-nice-2024", "1.0.0", None, None, "admin", now)
    return PatientView(patient, version, forecast)


def test_the_cds_hooks_cards_model_gives_every_card_back_byte_for_byte() -> None:
    view = _view()
    flag = dataclasses.replace(view.forecast.flags[0], verification="unconfirmed")
    flagged = dataclasses.replace(view, forecast=dataclasses.replace(view.forecast, flags=(flag,)))
    pack = choose_pack("uk-nice-2024")
    cards = [
        card_to_json(card)
        for each in (view, flagged)
        for card in patient_view_cards(each, pack, public_url="https://b", hook_instance="h")
    ]
    body = {"cards": cards}
    adapter = TypeAdapter(CdsCardsOut)

    again = adapter.dump_json(adapter.validate_python(body), exclude_unset=True)

    assert cards
    assert json.loads(again) == body
    assert again == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def _typed(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    found = _resolved(schema, document)
    if "anyOf" in found or "oneOf" in found:
        return all(_typed(s, document) for s in found.get("anyOf", found.get("oneOf", [])))
    if found.get("type") == "array":
        return _typed(found.get("items", {}), document)
    if found.get("type") == "object" and not found.get("properties"):
        open_with_reason = bool(found.get("description")) and "additionalProperties" in found
        return open_with_reason or isinstance(found.get("additionalProperties"), dict)
    return bool(found.get("type") or found.get("properties"))


def test_every_2xx_json_answer_in_the_openapi_has_a_typed_schema(api: FastAPI) -> None:
    document = api.openapi()
    untyped = [
        f"{method.upper()} {path} {status} {media}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
        for media, content in response.get("content", {}).items()
        if media.endswith("json")
        and f"{method.upper()} {path}" not in _JSON_ROUTES_WITHOUT_A_BODY_HERE
        and not _typed(content.get("schema", {}), document)
    ]

    assert untyped == []


def test_the_cds_hooks_answers_are_typed_in_the_openapi(api: FastAPI) -> None:
    document = api.openapi()
    paths = document["paths"]

    for path in ("/cds-services/{service_id}", "/cds-services/{service_id}/feedback"):
        schema = paths[path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert _typed(schema, document), path


@pytest.mark.parametrize(
    "recorded", sorted((ROOT / "tests" / "cds" / "fixtures").glob("*.response.json")), ids=lambda p: p.name
)
def test_the_cds_hooks_cards_model_holds_every_recorded_hook_answer(recorded: Path) -> None:
    body = json.loads(recorded.read_text())  # the answers tests/cds/test_hooks.py compares (keys sorted)
    adapter = TypeAdapter(CdsCardsOut)

    again = adapter.dump_python(adapter.validate_python(body), mode="json", by_alias=True, exclude_unset=True)

    assert again == body
