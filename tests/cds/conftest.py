"""Fixtures for the CDS Hooks tests: a migrated database (SQLite, and PostgreSQL when it is up), a seeded
clinic, generated keys, a fake EHR (JWK Set and FHIR server behind ``httpx.MockTransport``) and a
the b12care API from ``create_app`` with that CDS runtime injected."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cds_builders import (
    EHR,
    JWKS_URL,
    NOW,
    PUBLIC_URL,
    Clinic,
    FakeEhr,
    Keys,
    seed_clinic,
    token,
)
from pydantic import SecretStr

from b12care.adapters.cds.settings import CdsSettings, Issuer
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app
from b12care.entrypoints.api.cds_hooks import CdsRuntime, cds_runtime

with warnings.catch_warnings():  # starlette asks for httpx2, which is not a dependency of ours
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET = "cds-tests-secret-key-of-at-least-32-characters"


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The bootstrapped application on a fixed clock (NOW)."""
    settings = Settings(database_url=database_url, secret_key=SecretStr(SECRET))
    with bootstrap(settings, clock=lambda: NOW) as bootstrapped:
        yield bootstrapped


@pytest.fixture
def clinic(app: App) -> Clinic:
    """A clinic with the four patients of cds_builders.seed_clinic."""
    return seed_clinic(app)


@pytest.fixture(scope="session")
def keys() -> Keys:
    """Generated signing keys (made once: RSA key generation is slow)."""
    return Keys()


@pytest.fixture
def ehr(keys: Keys) -> FakeEhr:
    """A fake EHR with no data yet."""
    return FakeEhr(keys)


@pytest.fixture
def runtime(app: App, clinic: Clinic, keys: Keys, ehr: FakeEhr) -> Iterator[CdsRuntime]:
    """CDS Hooks wired to the database, one trusted issuer (static RSA key + JWK Set) and the fake EHR."""
    issuer = Issuer(EHR, clinic.id, jwks_url=JWKS_URL, keys=(keys.rsa_public_pem,))
    settings = CdsSettings(PUBLIC_URL, {EHR: issuer})
    client = httpx.Client(transport=httpx.MockTransport(ehr.handle))
    yield cds_runtime(settings, engine=app.engine, uow=app.uow, clock=app.clock, http=client)
    client.close()


@pytest.fixture
def client(app: App, runtime: CdsRuntime) -> Iterator[TestClient]:
    """The b12care API (``create_app``) with the CDS runtime of the test injected."""
    api = create_app(app)
    api.state.cds = runtime
    with TestClient(api, base_url=PUBLIC_URL) as test_client:
        yield test_client


@pytest.fixture
def signed(keys: Keys) -> Callable[..., dict[str, str]]:
    """Authorization headers with a fresh RS384 token (keyword arguments go to cds_builders.token)."""

    def headers(**claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(keys.rsa_private, **claims)}"}

    return headers
