"""Feedback on cards is stored as the EHR sends it (outcome, override reason, time) and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from cds_builders import NOW, load_request

from b12care.bootstrap import App
from b12care.entrypoints.api.cds_hooks import CdsRuntime

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

Signed = Callable[..., dict[str, str]]


def test_an_overridden_card_is_stored_with_its_reason_and_audited(
    client: TestClient, signed: Signed, runtime: CdsRuntime, app: App
) -> None:
    hook = load_request("order-sign-too-early.request.json")
    card = client.post("/cds-services/b12care-order-sign", json=hook, headers=signed()).json()["cards"][0]
    body = load_request("feedback.request.json")
    body["feedback"][0]["card"] = card["uuid"]

    response = client.post("/cds-services/b12care-order-sign/feedback", json=body, headers=signed())

    assert response.status_code == 200
    stored = runtime.context.store.feedback_for_card(card["uuid"])
    assert len(stored) == 1
    assert stored[0].outcome == "overridden"
    assert stored[0].override_code == "patient-preference"
    assert stored[0].user_comment == "Patient prefers this date"
    assert stored[0].outcome_at == dt.datetime(2026, 4, 25, 9, 31, tzinfo=dt.UTC)
    with app.uow() as uow:
        audit = [e for e in uow.audit.since(NOW) if e.entity == "cds_feedback"]
    assert [(e.actor, e.detail["card"], e.detail["outcome"]) for e in audit] == [
        ("cds:ehr-client", card["uuid"], "overridden")
    ]


def test_an_accepted_suggestion_is_stored_with_its_id(
    client: TestClient, signed: Signed, runtime: CdsRuntime
) -> None:
    body = {
        "feedback": [
            {
                "card": "f0e1d2c3-b4a5-4697-8899-aabbccddeeff",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}],
                "outcomeTimestamp": "2026-04-25T09:40:00+01:00",
            }
        ]
    }

    response = client.post("/cds-services/b12care-patient-view/feedback", json=body, headers=signed())

    assert response.status_code == 200
    stored = runtime.context.store.feedback_for_card("f0e1d2c3-b4a5-4697-8899-aabbccddeeff")
    assert stored[0].accepted_suggestions == ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",)


def test_feedback_with_an_unknown_outcome_is_400_naming_the_field(client: TestClient, signed: Signed) -> None:
    body = load_request("feedback.request.json")
    body["feedback"][0].update(card="f0e1d2c3-b4a5-4697-8899-aabbccddeeff", outcome="ignored")

    response = client.post("/cds-services/b12care-patient-view/feedback", json=body, headers=signed())

    assert response.status_code == 400
    assert response.json()["field"] == "feedback.0.outcome"


def test_feedback_without_a_token_is_401_and_not_stored(client: TestClient, runtime: CdsRuntime) -> None:
    body = load_request("feedback.request.json")
    body["feedback"][0]["card"] = "f0e1d2c3-b4a5-4697-8899-aabbccddeeff"

    response = client.post("/cds-services/b12care-patient-view/feedback", json=body)

    assert response.status_code == 401
    assert runtime.context.store.feedback_for_card("f0e1d2c3-b4a5-4697-8899-aabbccddeeff") == []
