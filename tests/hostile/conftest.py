"""Fixtures of the hostile-input tests. The app on a temporary database (SQLite and PostgreSQL), the
clock, the client and the two clinics are those of tests/app_fixtures.py; here also the b12care API with
the CDS runtime of the CDS tests (a trusted EHR issuer, its fake FHIR server, four seeded patients)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile_helpers import (
    CDS_NOW,
    CDS_PUBLIC_URL,
    EHR,
    JWKS_URL,
    CdsCall,
    EhrWithGarbage,
    Keys,
    seed_clinic,
    token,
)
from pydantic import SecretStr

from app_helpers import EXAMPLE_CASE, SECRET, World
from b12care.adapters.cds.settings import CdsSettings, Issuer
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app
from b12care.entrypoints.api.cds_hooks import cds_runtime
from b12care.entrypoints.web.session import SESSION_COOKIE, csrf_token

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CDS_SECRET = "hostile-cds-secret-key-of-at-least-32-characters"


@pytest.fixture(scope="session")
def cds_keys() -> Keys:
    """Generated signing keys (made once: RSA key generation is slow)."""
    return Keys()


@pytest.fixture
def ehr(cds_keys: Keys) -> EhrWithGarbage:
    """The fake EHR: JWK Set and FHIR server."""
    return EhrWithGarbage(cds_keys)


@pytest.fixture
def cds_client(tmp_path: Path, cds_keys: Keys, ehr: EhrWithGarbage) -> Iterator[TestClient]:
    """The b12care API on SQLite with the CDS runtime of the CDS tests (one trusted issuer, the fake
    EHR) and their four seeded patients (SQLite only: the fuzzing is about input, not storage)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cds.db'}", secret_key=SecretStr(CDS_SECRET))
    with bootstrap(settings, clock=lambda: CDS_NOW) as app:
        clinic = seed_clinic(app)
        issuer = Issuer(EHR, clinic.id, jwks_url=JWKS_URL, keys=(cds_keys.rsa_public_pem,))
        http = httpx.Client(transport=httpx.MockTransport(ehr.handle))
        api = create_app(app)
        api.state.cds = cds_runtime(
            CdsSettings(CDS_PUBLIC_URL, {EHR: issuer}),
            engine=app.engine,
            uow=app.uow,
            clock=app.clock,
            http=http,
        )
        try:
            with TestClient(api, base_url=CDS_PUBLIC_URL) as client:
                yield client
        finally:
            http.close()


@pytest.fixture
def call(cds_client: TestClient, cds_keys: Keys) -> CdsCall:
    """POST ``body`` (JSON-encoded unless bytes) to a CDS Hooks path with a freshly signed JWT."""

    def post(path: str, body: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token(cds_keys.rsa_private)}",
            "Content-Type": "application/json",
        }
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return cds_client.post(path, content=content, headers=headers)

    return post


@pytest.fixture
def web_form(client: TestClient, world: World) -> tuple[str, dict[str, str]]:
    """The dose form of a new patient of clinic A and its fields (a completed dose, with the CSRF token
    of the nurse's session that ``client`` now carries)."""
    patient = world.add_patient()
    session = world.accounts.issue_token("nurse.a")
    client.cookies.set(SESSION_COOKIE, session)
    fields = {
        "csrf": csrf_token(SECRET, session),
        "date": "2026-01-05",
        "drug": "hydroxocobalamin",
        "dose": "1",
        "unit": "mg",
        "route": "IM",
        "site": "left deltoid",
        "source": "clinic",
    }
    return f"/patients/{patient}/doses", fields


@pytest.fixture
def case() -> dict[str, Any]:
    """A fresh copy of the example case (pernicious anaemia, UK pack)."""
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text())
    return data
