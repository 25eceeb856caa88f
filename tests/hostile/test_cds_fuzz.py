"""The CDS Hooks endpoints under hostile input (Hypothesis): signed calls whose bodies are mutated hook
requests (prefetch, draft orders, context) or any JSON at all get 200 or a 4xx problem - never a 5xx;
tokens signed by the trusted EHR whose claims are odd (huge, NaN or infinite times, ids of any length
with control characters) get 200 or 401 (security probe L5); feedback text of any length and content
gets 200 or 400; an EHR FHIR server answering nonsense makes the call 412, not 500."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import jwt
import pytest
from hostile_helpers import (
    CDS_NOW,
    CDS_PUBLIC_URL,
    EHR,
    CdsCall,
    EhrWithGarbage,
    Keys,
    json_values,
    load_request,
    mutated,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

SERVICE = {
    "patient-view": "b12care-patient-view",
    "order-select": "b12care-order-select",
    "order-sign": "b12care-order-sign",
}
REQUESTS = [
    load_request(f"{name}.request.json")
    for name in (
        "patient-view-overdue",
        "patient-view-warnings",
        "order-sign-too-early",
        "order-select-off-plan",
        "order-sign-folic-acid",
        "order-sign-leber",
    )
]
VOCABULARY = (
    "patient-view",
    "order-select",
    "order-sign",
    "ehr-100",
    "ehr-300",
    "H-100",
    "H-300",
    "Patient/ehr-100",
    "MedicationRequest",
    "MedicationAdministration",
    "Observation",
    "Bundle",
    "draft",
    "completed",
    "entered-in-error",
    "2132-9",
    "B03BA01",
    "B03BA03",
    "B03BB01",
    "2026-04-27",
    "9999-12-31",
    "0001-01-01",
    "2026-04-27T25:00:00Z",
    EHR,
    f"{EHR}/fhir",
    "http://127.0.0.1:9/fhir",
    {"access_token": "ehr-access-token-1", "token_type": "Bearer"},
)
FUZZ = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _answered(response: httpx.Response) -> None:
    """200 with cards, or a 4xx problem; never a 5xx."""
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert isinstance(response.json().get("cards", []), list)
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


def test_the_unmutated_requests_get_cards(call: CdsCall) -> None:
    for request in REQUESTS:
        response = call(f"/cds-services/{SERVICE[request['hook']]}", request)

        assert response.status_code == 200, response.text
        assert response.json()["cards"]


def test_mutated_hook_requests_get_200_or_a_4xx(call: CdsCall) -> None:
    seen: set[int] = set()

    @FUZZ
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(REQUESTS))
        body = data.draw(mutated(base, vocabulary=VOCABULARY, max_mutations=3))
        service = SERVICE.get(base["hook"], "b12care-patient-view")
        response = call(f"/cds-services/{service}", body)
        seen.add(response.status_code)
        _answered(response)

    check()

    assert {200, 400} <= seen, seen  # the mutations reached the cards and the refusals


def test_any_json_body_to_a_hook_or_its_feedback_gets_a_4xx(call: CdsCall) -> None:
    paths = [f"/cds-services/{s}" for s in SERVICE.values()]
    paths += [f"{p}/feedback" for p in paths]

    @FUZZ
    @given(path=st.sampled_from(paths), body=json_values())
    def check(path: str, body: Any) -> None:
        response = call(path, body)
        _answered(response)
        assert response.status_code != 200 or path.endswith("feedback")

    check()


def test_mutated_feedback_gets_200_or_a_4xx(call: CdsCall) -> None:
    feedback = load_request("feedback.request.json")
    feedback["feedback"][0]["card"] = "3f1c6a52-8a0e-4c55-9d7e-1a2b3c4d5e6f"

    @FUZZ
    @given(
        body=mutated(feedback, vocabulary=("accepted", "overridden", "2026-04-25T09:31:00"), max_mutations=3)
    )
    def check(body: Any) -> None:
        _answered(call("/cds-services/b12care-order-sign/feedback", body))

    check()


ODD_TIMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=int(CDS_NOW.timestamp()) - 600, max_value=int(CDS_NOW.timestamp()) + 600),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
)
ODD_IDS = st.one_of(st.text(max_size=300), st.integers(), st.none(), st.just("a\x00b"), st.just("x" * 5000))


def test_trusted_tokens_with_odd_claims_get_200_or_401(cds_client: Any, cds_keys: Keys) -> None:
    request = load_request("patient-view-overdue.request.json")
    seen: set[int] = set()

    @FUZZ
    @given(exp=ODD_TIMES, iat=ODD_TIMES, nbf=ODD_TIMES, jti=ODD_IDS, sub=ODD_IDS, feedback=st.booleans())
    def check(*, exp: Any, iat: Any, nbf: Any, jti: Any, sub: Any, feedback: bool) -> None:
        claims = {"iss": EHR, "aud": f"{CDS_PUBLIC_URL}/cds-services", "exp": exp, "iat": iat, "nbf": nbf}
        claims |= {"jti": f"{jti}-{uuid.uuid4()}" if isinstance(jti, str) and len(jti) < 150 else jti}
        claims |= {"sub": sub}
        signed = jwt.encode({k: v for k, v in claims.items() if v is not None}, cds_keys.rsa_private, "RS384")
        path = "/cds-services/b12care-patient-view" + ("/feedback" if feedback else "")
        response = cds_client.post(
            path,
            content=json.dumps(request).encode(),
            headers={"Authorization": f"Bearer {signed}", "Content-Type": "application/json"},
        )
        seen.add(response.status_code)
        assert response.status_code in (200, 400, 401), response.text

    check()

    assert 401 in seen, seen


def test_feedback_text_of_any_content_gets_200_or_400(call: CdsCall) -> None:
    feedback = load_request("feedback.request.json")
    feedback["feedback"][0]["card"] = "3f1c6a52-8a0e-4c55-9d7e-1a2b3c4d5e6f"
    text = st.one_of(st.text(max_size=40), st.text(min_size=90, max_size=600), st.just("\x00"))

    @FUZZ
    @given(system=text, code=text, display=text, comment=text, suggestion=text)
    def check(*, system: str, code: str, display: str, comment: str, suggestion: str) -> None:
        item = feedback["feedback"][0]
        item["overrideReason"] = {
            "reason": {"system": system, "code": code, "display": display},
            "userComment": comment,
        }
        item["acceptedSuggestions"] = [{"id": suggestion}]
        response = call("/cds-services/b12care-patient-view/feedback", feedback)
        assert response.status_code in (200, 400), response.text

    check()


NONSENSE = {
    "nested past the parser's recursion": b"[" * 50_000 + b"]" * 50_000,
    "not JSON": b"\xff\xfe<html>",
    "a JSON string": b'"Patient"',
    "a Bundle of nulls": b'{"resourceType": "Bundle", "entry": [null, {"resource": null}]}',
}


@pytest.mark.parametrize("garbage", NONSENSE.values(), ids=NONSENSE.keys())
def test_an_ehr_fhir_server_answering_nonsense_gets_a_412_or_cards(
    call: CdsCall, ehr: EhrWithGarbage, garbage: bytes
) -> None:
    request = load_request("patient-view-overdue.request.json")
    del request["prefetch"]
    request["fhirServer"] = f"{EHR}/fhir"
    request["fhirAuthorization"] = {"access_token": "ehr-access-token-1", "token_type": "Bearer"}
    ehr.garbage = garbage

    response = call("/cds-services/b12care-patient-view", request)

    assert response.status_code in (200, 412), response.text
    assert ehr.requests  # the FHIR server was asked
