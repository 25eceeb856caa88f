"""Only EHRs in the issuers file, with a valid, fresh, unreplayed token for this service, get cards."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cds_builders import DISCOVERY, EHR, JWKS_URL, NOW, PUBLIC_URL, Keys, load_request, seed_clinic, token
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from b12care.adapters.cds.settings import load_cds_settings
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.domain.errors import InputError
from b12care.entrypoints.api.app import create_app

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

URL = "/cds-services/b12care-patient-view"


def _post(client: TestClient, headers: dict[str, str]) -> Any:
    return client.post(URL, json=load_request("patient-view-overdue.request.json"), headers=headers)


def _bearer(jwt_text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt_text}"}


OTHER_KEY = rsa.generate_private_key(65537, 2048)
BAD_TOKENS: dict[str, Callable[[Keys], dict[str, str]]] = {
    "missing token": lambda k: {},
    "not a bearer token": lambda k: {"Authorization": "Basic dXNlcjpwYXNz"},
    "bad signature": lambda k: _bearer(token(OTHER_KEY)),
    "wrong aud": lambda k: _bearer(token(k.rsa_private, aud="https://elsewhere.example.org/cds-services")),
    "expired": lambda k: _bearer(token(k.rsa_private, now=NOW - dt.timedelta(minutes=10))),
    "issued in the future": lambda k: _bearer(token(k.rsa_private, now=NOW + dt.timedelta(minutes=10))),
    "unknown iss": lambda k: _bearer(token(k.rsa_private, iss="https://rogue.example.org")),
    "no jti": lambda k: _bearer(token(k.rsa_private, drop=("jti",))),
    "symmetric algorithm": lambda k: _bearer(token("shared-secret-of-32-bytes-or-more!!", alg="HS256")),
    "jku elsewhere": lambda k: _bearer(
        token(k.ec_private, alg="ES384", headers={"kid": "ec-1", "jku": "https://rogue.example.org/jwks"})
    ),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_call_without_a_valid_token_is_401_problem_json(client: TestClient, keys: Keys, case: str) -> None:
    response = _post(client, BAD_TOKENS[case](keys))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401
    assert response.json()["detail"]


def test_a_replayed_token_is_401_the_second_time(client: TestClient, keys: Keys) -> None:
    headers = _bearer(token(keys.rsa_private, jti="once-only"))

    first = _post(client, headers)
    second = _post(client, headers)

    assert first.status_code == 200
    assert second.status_code == 401
    assert "jti" in second.json()["detail"]


def test_an_es384_token_verifies_with_the_issuers_jwk_set(client: TestClient, keys: Keys) -> None:
    headers = _bearer(token(keys.ec_private, alg="ES384", headers={"kid": "ec-1", "jku": JWKS_URL}))

    assert _post(client, headers).status_code == 200


def test_aud_may_name_the_endpoint_called_or_the_discovery_url(client: TestClient, keys: Keys) -> None:
    endpoint = _bearer(token(keys.rsa_private, aud=f"{DISCOVERY}/b12care-patient-view"))
    listed = _bearer(token(keys.rsa_private, aud=["https://other.example.org", DISCOVERY]))

    assert _post(client, endpoint).status_code == 200
    assert _post(client, listed).status_code == 200


def test_the_issuers_file_is_read_from_yaml_or_json(tmp_path: Path, keys: Keys) -> None:
    path = tmp_path / "issuers.json"
    entry = {"iss": EHR, "clinic_id": "c1", "keys": [keys.rsa_public_pem], "algorithms": ["RS384"]}
    path.write_text(json.dumps({"public_url": "https://b12care.example.org", "issuers": [entry]}))

    settings = load_cds_settings(path)

    assert settings.discovery_url == DISCOVERY
    assert settings.issuers[EHR].algorithms == ("RS384",)


def test_an_issuer_without_keys_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "issuers.yaml"
    path.write_text("public_url: https://b12care.example.org\nissuers:\n  - {iss: x, clinic_id: c1}\n")

    with pytest.raises(InputError) as raised:
        load_cds_settings(path)

    assert raised.value.field == "B12CARE_CDS_ISSUERS_FILE:issuers.0"


def test_an_issuer_with_an_unsupported_algorithm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "issuers.yaml"
    path.write_text(
        "public_url: https://b12care.example.org\nissuers:\n"
        "  - {iss: x, clinic_id: c1, jwks_url: 'https://x/jwks', algorithms: [HS256]}\n"
    )

    with pytest.raises(InputError) as raised:
        load_cds_settings(path)

    assert raised.value.field.startswith("B12CARE_CDS_ISSUERS_FILE:issuers.0.algorithms")


def test_without_an_injected_runtime_the_app_reads_the_issuers_file_from_settings(
    tmp_path: Path, keys: Keys, database_url: str
) -> None:
    with bootstrap(Settings(database_url=database_url), clock=lambda: NOW) as seeded:
        clinic = seed_clinic(seeded)
    path = tmp_path / "issuers.yaml"
    entry = {"iss": EHR, "clinic_id": clinic.id, "keys": [keys.rsa_public_pem]}
    path.write_text(json.dumps({"issuers": [entry]}))
    settings = Settings(
        database_url=database_url,
        cds_issuers_file=path,
        public_url=PUBLIC_URL,
        secret_key=SecretStr("s" * 40),
    )

    with (
        bootstrap(settings, clock=lambda: NOW) as app,
        TestClient(create_app(app), base_url=PUBLIC_URL) as client,
    ):
        good = _post(client, _bearer(token(keys.rsa_private)))
        unknown = _post(client, _bearer(token(keys.rsa_private, iss="https://rogue.example.org")))

    assert good.status_code == 200
    assert [c["source"]["topic"]["code"] for c in good.json()["cards"]] == ["dose-overdue", "safety-warning"]
    assert unknown.status_code == 401
