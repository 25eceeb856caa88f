"""A trusted EHR's odd input is a 4xx naming what is wrong, never a 500 (security probe L5), on SQLite and
PostgreSQL: impossible token times, ids too long for their columns or holding NUL (PostgreSQL refuses
it), a deeply nested body sent with a form content type, a timestamp that overflows in UTC."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cds_builders import DISCOVERY, EHR, NOW, Keys, load_request

from b12care.entrypoints.api.cds_hooks import CdsRuntime

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

HOOK = "/cds-services/b12care-patient-view"
FEEDBACK = "/cds-services/b12care-patient-view/feedback"
CARD = "3f1c6a52-8a0e-4c55-9d7e-1a2b3c4d5e6f"
Signed = Callable[..., dict[str, str]]


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "iss": EHR,
        "sub": "ehr-client",
        "aud": DISCOVERY,
        "exp": int((NOW + dt.timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    return claims


def _signed(keys: Keys, **changes: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(_claims(**changes), keys.rsa_private, algorithm='RS384')}"}


def _feedback(**changes: Any) -> dict[str, Any]:
    body = load_request("feedback.request.json")
    item = body["feedback"][0]
    item["card"] = CARD
    for path, value in changes.items():
        *parents, last = path.split(".")
        place = item
        for name in parents:
            place = place[name]
        place[last] = value
    return body


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


IMPOSSIBLE_TIMES: dict[str, dict[str, Any]] = {
    "exp 1e20": {"exp": 1e20},
    "exp 1e300": {"exp": 1e300},
    "exp NaN": {"exp": float("nan")},
    "exp infinite": {"exp": float("inf")},
    "exp true": {"exp": True},
    "exp a string": {"exp": "soon"},
    "iat NaN": {"iat": float("nan")},
    "nbf NaN": {"nbf": float("nan")},
    "exp ten years ahead": {"exp": int((NOW + dt.timedelta(days=3650)).timestamp())},
}


@pytest.mark.parametrize("case", list(IMPOSSIBLE_TIMES))
def test_a_trusted_token_with_impossible_times_is_401_not_500(
    client: TestClient, keys: Keys, case: str
) -> None:
    request = load_request("patient-view-overdue.request.json")

    response = client.post(HOOK, json=request, headers=_signed(keys, **IMPOSSIBLE_TIMES[case]))

    assert _is_problem(response, 401)["detail"]


UNSTORABLE_IDS: dict[str, dict[str, Any]] = {
    "jti of 201 characters": {"jti": "j" * 201},
    "jti with NUL": {"jti": "a\x00b"},
    "sub of 300 characters": {"sub": "s" * 300},
    "sub with NUL": {"sub": "ehr\x00client"},
    "sub not a string": {"sub": 42},
}


@pytest.mark.parametrize("path", [HOOK, FEEDBACK])
@pytest.mark.parametrize("case", list(UNSTORABLE_IDS))
def test_a_trusted_token_whose_ids_cannot_be_stored_is_401_not_500(
    client: TestClient, keys: Keys, runtime: CdsRuntime, case: str, path: str
) -> None:
    body = _feedback() if path == FEEDBACK else load_request("patient-view-overdue.request.json")

    response = client.post(path, json=body, headers=_signed(keys, **UNSTORABLE_IDS[case]))

    assert _is_problem(response, 401)["detail"]
    assert runtime.context.store.feedback_for_card(CARD) == []


UNSTORABLE_FEEDBACK = {
    "override code of 500 characters": ("overrideReason.reason.code", "c" * 500),
    "override system of 5,000 characters": ("overrideReason.reason.system", "urn:" + "s" * 5000),
    "NUL in the user's comment": ("overrideReason.userComment", "fine\x00really"),
    "NUL in the reason's display": ("overrideReason.reason.display", "Patient\x00preference"),
    "a timestamp past year 9999 in UTC": ("outcomeTimestamp", "9999-12-31T23:59:59-05:00"),
    "a timestamp before year 1 in UTC": ("outcomeTimestamp", "0001-01-01T00:00:00+05:00"),
    "a timestamp without a time zone": ("outcomeTimestamp", "2026-04-25T09:31:00"),
    "an accepted suggestion id with NUL": ("acceptedSuggestions", [{"id": "a\x00"}]),
    "a card id of 300 characters": ("card", "c" * 300),
}


@pytest.mark.parametrize("case", list(UNSTORABLE_FEEDBACK))
def test_feedback_that_cannot_be_stored_is_400_naming_the_field_and_stores_nothing(
    client: TestClient, signed: Signed, runtime: CdsRuntime, case: str
) -> None:
    where, value = UNSTORABLE_FEEDBACK[case]

    response = client.post(FEEDBACK, json=_feedback(**{where: value}), headers=signed())

    problem = _is_problem(response, 400)
    assert problem["field"].startswith(f"feedback.0.{where.split('.')[0]}"), problem
    assert runtime.context.store.feedback_for_card(CARD) == []


FORMS = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]


@pytest.mark.parametrize("depth", [100, 50_000])
@pytest.mark.parametrize("content_type", FORMS)
@pytest.mark.parametrize("path", [HOOK, FEEDBACK])
def test_deep_json_sent_with_a_form_content_type_is_400_naming_the_body(
    client: TestClient, signed: Signed, path: str, content_type: str, depth: int
) -> None:
    body = b"[" * depth + b"]" * depth

    response = client.post(path, content=body, headers=signed() | {"Content-Type": content_type})

    assert _is_problem(response, 400)["field"] == "body"


def test_a_patient_id_with_a_nul_is_400_naming_it(client: TestClient, signed: Signed) -> None:
    request = load_request("patient-view-overdue.request.json")
    request["context"]["patientId"] = "ehr-100\x00"

    response = client.post(HOOK, json=request, headers=signed())

    assert _is_problem(response, 400)["field"] == "context.patientId"


def test_identifiers_that_no_patient_could_have_are_skipped_and_the_others_still_match(
    client: TestClient, signed: Signed
) -> None:
    request = load_request("patient-view-overdue.request.json")
    patient = request["prefetch"]["patient"]
    patient["identifier"] = [
        {"system": "urn:x", "value": "H\x00-100"},
        {"system": "urn:x", "value": "H" * 5000},
        *copy.deepcopy(patient["identifier"]),
    ]

    response = client.post(HOOK, json=request, headers=signed())

    assert response.status_code == 200, response.text
    assert response.json()["cards"]


@pytest.mark.parametrize("server", ["ftp://ehr.example.org/fhir", "http://[::1", "not a url", "http://"])
def test_a_fhir_server_that_is_not_an_http_url_is_400_naming_it(
    client: TestClient, signed: Signed, server: str
) -> None:
    request = load_request("patient-view-overdue.request.json")
    del request["prefetch"]
    request["fhirServer"] = server

    response = client.post(HOOK, json=request, headers=signed())

    assert _is_problem(response, 400)["field"] == "fhirServer"
