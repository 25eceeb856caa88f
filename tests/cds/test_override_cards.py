"""Patient-view cards for the new review flags, as the EHR receives them (issue 11): an unconfirmed stop
of lifelong replacement is a critical card at the top; a missed first review is a card that says so;
an interval outside the licence is a warning card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from cds_builders import EXAMPLE_CASE, LOADING, Clinic, load_request

from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import App
from b12care.domain.history import ReviewDecision

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def patient_view(
    client: TestClient, signed: Callable[..., dict[str, str]]
) -> Callable[..., list[dict[str, Any]]]:
    """Call the patient-view service for a seeded patient (default H-100: loading given in January,
    first review held on 5 April, first maintenance dose overdue on NOW)."""

    def call(reference: str = "H-100") -> list[dict[str, Any]]:
        request = load_request("patient-view-overdue.request.json")
        request["context"]["patientId"] = request["prefetch"]["patient"]["id"] = f"ehr-{reference}"
        request["prefetch"]["patient"]["identifier"][0]["value"] = reference
        response = client.post("/cds-services/b12care-patient-view", json=request, headers=signed())
        assert response.status_code == 200, response.text
        cards: list[dict[str, Any]] = response.json()["cards"]
        return cards

    return call


def _unreviewed(app: App, clinic: Clinic) -> str:
    """H-500: the example case with its loading doses given and no first review recorded since."""
    services = Services(app.uow, app.clock)
    patient = services.add_patient(
        clinic_id=clinic.id,
        reference="H-500",
        name="Patient H-500",
        case_json=EXAMPLE_CASE.read_text(),
        actor="admin",
    )
    for day in LOADING:
        dose = DoseInput(dt.date.fromisoformat(day), "hydroxocobalamin", Decimal("1"), "mg", "IM")
        services.record_dose(patient.id, dose, "nurse")
    return patient.id


def _review(app: App, clinic: Clinic, decision: ReviewDecision, **fields: Any) -> None:
    Services(app.uow, app.clock).record_review(
        clinic.patients["H-100"], day=dt.date(2026, 4, 20), decision=decision, actor="dr.smith", **fields
    )


def _flag_cards(cards: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [c for c in cards if f"forecast.{code}" in c["detail"]]


def test_an_unconfirmed_stop_of_lifelong_replacement_is_the_first_card_and_critical(
    app: App, clinic: Clinic, patient_view: Callable[..., list[dict[str, Any]]]
) -> None:
    _review(app, clinic, "stop_cause_resolved", note="diagnosis revised")

    cards = patient_view()

    [card] = _flag_cards(cards, "LIFELONG_STOP_UNCONFIRMED")
    assert card["indicator"] == "critical"
    assert cards[0] == card
    assert len(card["summary"]) < 140
    assert "diagnosis revised" in card["detail"]
    assert card["source"]["topic"]["code"] == "plan-review"
    assert card["links"][0]["url"].endswith(f"/patients/{clinic.patients['H-100']}")


def test_a_confirmed_stop_leaves_no_critical_stop_card(
    app: App, clinic: Clinic, patient_view: Callable[..., list[dict[str, Any]]]
) -> None:
    _review(app, clinic, "stop_cause_resolved", note="diagnosis revised")
    _review(app, clinic, "confirm_stop", note="haematology agrees")

    cards = patient_view()

    assert _flag_cards(cards, "LIFELONG_STOP_UNCONFIRMED") == []
    assert [c["indicator"] for c in _flag_cards(cards, "STOPPED_BY_OVERRIDE")] == ["info"]
    assert not [c for c in cards if c["source"]["topic"]["code"] == "dose-overdue"]


def test_a_missed_first_review_is_a_card_that_cites_its_source(
    app: App, clinic: Clinic, patient_view: Callable[..., list[dict[str, Any]]]
) -> None:
    patient = _unreviewed(app, clinic)

    cards = patient_view("H-500")

    [card] = _flag_cards(cards, "FIRST_REVIEW_OVERDUE")
    assert card["indicator"] == "warning"
    assert len(card["summary"]) < 140
    assert card["source"]["topic"]["code"] == "plan-review"
    assert card["source"]["url"].startswith("https://")
    assert card["links"][0]["url"].endswith(f"/patients/{patient}")


def test_a_first_review_held_leaves_no_first_review_card(
    app: App, clinic: Clinic, patient_view: Callable[..., list[dict[str, Any]]]
) -> None:
    patient = _unreviewed(app, clinic)
    Services(app.uow, app.clock).record_symptoms(
        patient, dt.date(2026, 4, 6), "better", {"fatigue": 0}, "nurse"
    )

    assert _flag_cards(patient_view("H-500"), "FIRST_REVIEW_OVERDUE") == []


def test_an_interval_outside_the_licence_is_a_warning_card_naming_the_reason(
    app: App, clinic: Clinic, patient_view: Callable[..., list[dict[str, Any]]]
) -> None:
    _review(app, clinic, "shorten_interval", new_interval="1m", note="symptoms return after 5 weeks")

    cards = patient_view()

    outside = [c for c in cards if "OUTSIDE_LICENCE" in c["detail"]]
    assert outside
    assert {c["indicator"] for c in outside} == {"warning"}
    assert all("symptoms return after 5 weeks" in c["detail"] for c in outside)
