"""The CDS services end to end: discovery, each hook and card type against JSON fixtures, prefetch."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from cds_builders import ACCESS_TOKEN, FHIR_BASE, FIXTURES, PUBLIC_URL, Clinic, FakeEhr, load_request

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

UPDATE = os.environ.get("B12CARE_UPDATE_GOLDEN") == "1"
SERVICE = {
    "patient-view": "b12care-patient-view",
    "order-select": "b12care-order-select",
    "order-sign": "b12care-order-sign",
}
CASES = [
    "patient-view-overdue",
    "patient-view-lapsed",
    "patient-view-warnings",
    "order-sign-too-early",
    "order-select-off-plan",
    "order-sign-folic-acid",
    "order-sign-leber",
]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Post = Callable[..., Any]


def _normalised(body: Any, clinic: Clinic) -> Any:
    """The response with b12care's random patient ids and the card uuids made stable."""
    text = json.dumps(body, indent=2, sort_keys=True)
    for reference, patient_id in clinic.patients.items():
        text = text.replace(patient_id, f"<patient {reference}>")
    return json.loads(_UUID.sub("<uuid>", text))


@pytest.fixture
def call(client: TestClient, signed: Callable[..., dict[str, str]]) -> Post:
    def post(request: dict[str, Any], service: str | None = None) -> Any:
        service_id = service or SERVICE[request["hook"]]
        return client.post(f"/cds-services/{service_id}", json=request, headers=signed())

    return post


def _cards(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def test_discovery_lists_the_three_hooks_with_prefetch_templates(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]

    assert {s["hook"] for s in services} == {"patient-view", "order-select", "order-sign"}
    prefetch = services[0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "http://loinc.org|2132-9" in prefetch["labs"]
    assert prefetch["doses"] == "MedicationAdministration?patient={{context.patientId}}"


@pytest.mark.parametrize("case", CASES)
def test_each_hook_fixture_gets_the_recorded_cards(call: Post, clinic: Clinic, case: str) -> None:
    response = call(load_request(f"{case}.request.json"))

    got = _normalised(response.json(), clinic)
    expected_file = FIXTURES / f"{case}.response.json"
    if UPDATE:
        expected_file.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert response.status_code == 200
    assert got == json.loads(expected_file.read_text())


def test_an_overdue_maintenance_dose_is_a_warning_card_with_its_dates(call: Post) -> None:
    cards = _cards(call(load_request("patient-view-overdue.request.json")))

    overdue = [c for c in cards if c["source"]["topic"]["code"] == "dose-overdue"]
    assert len(overdue) == 1
    assert overdue[0]["indicator"] == "warning"
    assert "due 2026-04-16" in overdue[0]["summary"]


def test_lapsed_lifelong_maintenance_is_one_critical_card_worded_from_the_flag(call: Post) -> None:
    cards = _cards(call(load_request("patient-view-lapsed.request.json")))

    assert cards[0]["indicator"] == "critical"
    assert cards[0]["summary"].startswith("Lifelong maintenance has lapsed")
    assert "forecast.MAINTENANCE_LAPSED" in cards[0]["detail"]
    assert not [c for c in cards if c["source"]["topic"]["code"] == "dose-overdue"]


def test_critical_safety_warnings_of_the_plan_are_critical_cards(call: Post) -> None:
    cards = _cards(call(load_request("patient-view-warnings.request.json")))

    folic = [c for c in cards if "safety.FOLIC_ACID_WITHOUT_B12" in c["detail"]]
    assert folic and folic[0]["indicator"] == "critical"
    assert [c["indicator"] for c in cards] == sorted(
        (c["indicator"] for c in cards), key=["critical", "warning", "info"].index
    )


def test_every_card_names_the_pack_cites_a_source_and_links_to_the_patient(
    call: Post, clinic: Clinic
) -> None:
    for case in CASES:
        request = load_request(f"{case}.request.json")
        reference = request["prefetch"]["patient"]["identifier"][0]["value"]
        for card in _cards(call(request)):
            assert len(card["summary"]) < 140
            assert "uk-nice-2024 1.1.0" in card["detail"]
            assert "uk-nice-2024 1.1.0" in card["source"]["label"]
            assert card["source"]["url"].startswith("https://")
            assert card["links"][0]["url"] == f"{PUBLIC_URL}/patients/{clinic.patients[reference]}"


def test_a_dose_before_the_earliest_date_suggests_the_earliest_and_due_dates(call: Post) -> None:
    card = _cards(call(load_request("order-sign-too-early.request.json")))[0]

    assert card["source"]["topic"]["code"] == "order-timing"
    assert card["selectionBehavior"] == "at-most-one"
    dates = [
        s["actions"][0]["resource"]["dosageInstruction"][0]["timing"]["event"] for s in card["suggestions"]
    ]
    assert dates == [["2026-06-16"], ["2026-07-16"]]
    assert [s["actions"][0]["type"] for s in card["suggestions"]] == ["update", "update"]
    assert {r["code"] for r in card["overrideReasons"]} >= {"clinical-judgement", "patient-preference"}


def test_order_select_checks_only_the_selected_order_against_the_plan(call: Post) -> None:
    cards = _cards(call(load_request("order-select-off-plan.request.json")))

    assert [c["source"]["topic"]["code"] for c in cards] == ["order-off-plan"]
    actions = cards[0]["suggestions"][0]["actions"]
    assert actions[0] == {
        "type": "delete",
        "description": "Remove the draft Cyanocobalamin injection order",
        "resourceId": "MedicationRequest/mr-2",
    }
    created = actions[1]["resource"]
    assert created["medicationCodeableConcept"]["coding"][0]["code"] == "B03BA03"
    assert created["dosageInstruction"][0]["route"] == {"text": "IM"}


def test_folic_acid_before_any_b12_is_a_critical_card_from_the_pack(call: Post) -> None:
    cards = _cards(call(load_request("order-sign-folic-acid.request.json")))

    assert [c["source"]["topic"]["code"] for c in cards] == ["order-folic-acid"]
    assert cards[0]["indicator"] == "critical"
    assert "safety.FOLIC_ACID_WITHOUT_B12" in cards[0]["detail"]


def test_folic_acid_ordered_with_b12_gets_no_folic_acid_card(call: Post) -> None:
    request = load_request("order-sign-folic-acid.request.json")
    leber = load_request("order-sign-leber.request.json")
    hydroxo = json.loads(json.dumps(leber["context"]["draftOrders"]["entry"][0]))
    hydroxo["resource"]["medicationCodeableConcept"] = {"text": "hydroxocobalamin injection"}
    request["context"]["draftOrders"]["entry"].append(hydroxo)

    cards = _cards(call(request))

    assert "order-folic-acid" not in [c["source"]["topic"]["code"] for c in cards]


def test_cyanocobalamin_with_lebers_disease_is_critical_and_suggests_the_plans_product(call: Post) -> None:
    cards = _cards(call(load_request("order-sign-leber.request.json")))

    assert [c["source"]["topic"]["code"] for c in cards] == ["order-leber"]
    assert cards[0]["indicator"] == "critical"
    created = cards[0]["suggestions"][0]["actions"][1]["resource"]
    assert created["medicationCodeableConcept"]["text"] == "hydroxocobalamin"


def test_an_ehr_patient_unknown_to_b12care_gets_no_cards(call: Post) -> None:
    request = load_request("patient-view-overdue.request.json")
    request["context"]["patientId"] = "ehr-999"
    request["prefetch"]["patient"] = {"resourceType": "Patient", "id": "ehr-999"}

    assert _cards(call(request)) == []


def test_a_dose_the_ehr_recorded_but_b12care_lacks_counts_in_the_forecast(call: Post) -> None:
    request = load_request("patient-view-overdue.request.json")
    given = {
        "resourceType": "MedicationAdministration",
        "id": "ma-1",
        "status": "completed",
        "medicationCodeableConcept": {"text": "hydroxocobalamin injection"},
        "subject": {"reference": "Patient/ehr-100"},
        "effectiveDateTime": "2026-04-20",
    }
    request["prefetch"]["doses"]["entry"] = [{"resource": given}]

    cards = _cards(call(request))

    assert "dose-overdue" not in [c["source"]["topic"]["code"] for c in cards]


def test_missing_prefetch_is_read_from_the_fhir_server_with_the_access_token(
    call: Post, ehr: FakeEhr
) -> None:
    request = load_request("patient-view-overdue.request.json")
    ehr.patients["ehr-100"] = request.pop("prefetch")["patient"]
    request["fhirServer"] = FHIR_BASE
    request["fhirAuthorization"] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "scope": "patient/*.read",
    }

    cards = _cards(call(request))

    assert "dose-overdue" in [c["source"]["topic"]["code"] for c in cards]
    fetched = [r.url.path for r in ehr.requests]
    assert fetched == ["/fhir/Patient/ehr-100", "/fhir/Observation", "/fhir/MedicationAdministration"]
    assert all(r.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for r in ehr.requests)
    assert "2132-9" in ehr.requests[1].url.params["code"]


def test_missing_prefetch_without_a_fhir_server_is_412_naming_the_keys(call: Post) -> None:
    request = load_request("patient-view-overdue.request.json")
    del request["prefetch"]["labs"]
    request["prefetch"]["doses"] = None

    response = call(request)

    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["prefetch"] == ["labs", "doses"]


def test_a_fhir_server_that_fails_is_412(call: Post, ehr: FakeEhr) -> None:
    request = load_request("patient-view-overdue.request.json")
    del request["prefetch"]
    request["fhirServer"] = FHIR_BASE
    ehr.failing = True

    response = call(request)

    assert response.status_code == 412
    assert response.json()["prefetch"] == ["patient"]


def test_a_request_for_another_hook_is_400_naming_the_hook_field(call: Post) -> None:
    response = call(load_request("patient-view-overdue.request.json"), "b12care-order-sign")

    assert response.status_code == 400
    assert response.json()["field"] == "hook"


def test_a_request_without_a_patient_is_400_naming_the_field(call: Post) -> None:
    request = load_request("patient-view-overdue.request.json")
    del request["context"]["patientId"]

    response = call(request)

    assert response.status_code == 400
    assert response.json()["field"] == "context.patientId"


def test_an_unknown_service_is_404(call: Post) -> None:
    response = call(load_request("patient-view-overdue.request.json"), "no-such-service")

    assert response.status_code == 404
