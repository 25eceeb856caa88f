"""Card rendering without HTTP or a database: wording limits, unconfirmed records, draft order parsing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from cds_builders import EXAMPLE_CASE, LOADING

from b12care.adapters.cds.orders import draft_orders
from b12care.application.case_file import parse_case_json
from b12care.application.cds_cards import card_to_json, patient_view_cards
from b12care.application.forecasting import forecast_case
from b12care.application.planning import choose_pack
from b12care.application.records import PatientRecord, PlanVersionRecord
from b12care.application.treatment import PatientView
from b12care.domain.history import AdministeredDose, History

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def _view() -> PatientView:
    case_json = EXAMPLE_CASE.read_text()
    doses = tuple(AdministeredDose(dt.date.fromisoformat(d), None, "IM", "hydroxocobalamin") for d in LOADING)
    forecast = forecast_case(parse_case_json(case_json), History(doses), as_of=NOW.date())
    patient = PatientRecord("p-1", "c-1", "H-1", "Ann Example", dt.date(1958, 3, 14), "female", NOW, "admin")
    version = PlanVersionRecord("v-1", "p-1", 1, case_json, "uk-nice-2024", "1.0.0", None, None, "admin", NOW)
    return PatientView(patient, version, forecast)


def test_a_card_resting_on_an_unconfirmed_record_says_so() -> None:
    view = _view()
    flag = dataclasses.replace(view.forecast.flags[0], verification="unconfirmed")
    view = dataclasses.replace(view, forecast=dataclasses.replace(view.forecast, flags=(flag,)))

    cards = patient_view_cards(view, choose_pack("uk-nice-2024"), public_url="https://b", hook_instance="h")

    flagged = [c for c in cards if flag.rule_id in c.detail]
    assert "Rests on an unconfirmed record" in flagged[0].detail
    assert all("unconfirmed record" not in c.detail for c in cards if c is not flagged[0])


def test_a_long_message_is_cut_to_a_summary_under_140_characters() -> None:
    view = _view()
    flag = dataclasses.replace(view.forecast.flags[0], message="word " * 60)
    view = dataclasses.replace(view, forecast=dataclasses.replace(view.forecast, flags=(flag,)))

    cards = patient_view_cards(view, choose_pack("uk-nice-2024"), public_url="https://b", hook_instance="h")

    assert all(len(card_to_json(c)["summary"]) < 140 for c in cards)
    assert any(c.summary.endswith("...") for c in cards)


def test_card_ids_are_stable_within_one_hook_call_and_differ_between_calls() -> None:
    view, pack = _view(), choose_pack("uk-nice-2024")

    first = patient_view_cards(view, pack, public_url="https://b", hook_instance="h1")
    again = patient_view_cards(view, pack, public_url="https://b", hook_instance="h1")
    other = patient_view_cards(view, pack, public_url="https://b", hook_instance="h2")

    assert [c.uuid for c in first] == [c.uuid for c in again]
    assert not {c.uuid for c in first} & {c.uuid for c in other}


def test_draft_orders_read_drug_route_dose_and_the_first_date_given() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "a",
                    "medicationCodeableConcept": {
                        "coding": [{"system": "http://www.whocc.no/atc", "code": "B03BA03"}]
                    },
                    "authoredOn": "2026-05-02",
                    "dosageInstruction": [
                        {
                            "route": {"text": "intramuscular"},
                            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "mg"}}],
                        }
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "b",
                    "medicationCodeableConcept": {"text": "Folate"},
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "c",
                    "medicationCodeableConcept": {"text": "Aspirin"},
                }
            },
            {"resource": {"resourceType": "ServiceRequest", "id": "d"}},
        ],
    }

    orders = draft_orders(json.loads(json.dumps(bundle)))

    assert [(o.id, o.drug) for o in orders] == [
        ("a", "hydroxocobalamin"),
        ("b", "folic_acid"),
        ("c", "other"),
    ]
    assert (orders[0].date, orders[0].route, str(orders[0].dose)) == (dt.date(2026, 5, 2), "IM", "1 mg")
    assert orders[1].date is None
