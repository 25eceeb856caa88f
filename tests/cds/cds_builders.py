"""Builders for the CDS Hooks tests: keys, signed tokens, a seeded clinic, request fixtures."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from b12care.application.treatment import DoseInput, Services
from b12care.bootstrap import App

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 4, 25, 9, 30, tzinfo=dt.UTC)
PUBLIC_URL = "https://b12care.example.org"
DISCOVERY = f"{PUBLIC_URL}/cds-services"
EHR = "https://ehr.example.org"
JWKS_URL = f"{EHR}/.well-known/jwks.json"
FHIR_BASE = f"{EHR}/fhir"
ACCESS_TOKEN = "ehr-access-token-1"


@dataclass
class Keys:
    """An RSA key (static PEM in the issuers file) and an EC key (published as a JWK Set)."""

    rsa_private: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    ec_private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )

    @property
    def rsa_public_pem(self) -> str:
        return (
            self.rsa_private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec_private.public_key()))
        public.update({"kid": "ec-1", "alg": "ES384", "use": "sig"})
        return {"keys": [public]}


def token(
    private_key: Any,
    *,
    alg: str = "RS384",
    iss: str = EHR,
    aud: str | list[str] = DISCOVERY,
    now: dt.datetime = NOW,
    lifetime: dt.timedelta = dt.timedelta(minutes=5),
    jti: str | None = None,
    headers: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    """A CDS Hooks client JWT signed with ``private_key``."""
    claims: dict[str, Any] = {
        "iss": iss,
        "sub": "ehr-client",
        "aud": aud,
        "exp": int((now + lifetime).timestamp()),
        "iat": int(now.timestamp()),
        "jti": jti or str(uuid.uuid4()),
    }
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, private_key, algorithm=alg, headers=headers)


@dataclass(frozen=True)
class Clinic:
    """The seeded clinic and its patients by EHR reference."""

    id: str
    patients: dict[str, str]


def _case(**changes: Any) -> str:
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text())
    data.update(changes)
    return json.dumps(data)


LOADING = ("2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16")


_FIRST_REVIEW = {
    "H-100": dt.date(2026, 4, 5),
    "H-200": dt.date(2025, 9, 2),
    "H-400": dt.date(2026, 4, 5),
}


def seed_clinic(app: App) -> Clinic:
    """Four patients of one clinic, each at a stage one card type needs (see the fixtures' README)."""
    services = Services(app.uow, app.clock)
    clinic = services.add_clinic("Riverside Surgery", "admin")
    ids: dict[str, str] = {}

    def patient(reference: str, case_json: str, doses: tuple[str, ...]) -> None:
        record = services.add_patient(
            clinic_id=clinic.id,
            reference=reference,
            name=f"Patient {reference}",
            case_json=case_json,
            actor="admin",
        )
        for day in doses:
            dose = DoseInput(dt.date.fromisoformat(day), "hydroxocobalamin", Decimal("1"), "mg", "IM")
            services.record_dose(record.id, dose, "nurse")
        first_review = _FIRST_REVIEW.get(reference)
        if first_review is not None:  # the 3-month review was held: the fixture shows only its own card
            services.record_symptoms(record.id, first_review, "better", {"fatigue": 0}, "nurse")
        ids[reference] = record.id

    # H-100: loading done in January, first maintenance dose due 2026-04-16: overdue on NOW.
    patient("H-100", _case(), LOADING)
    # H-200: started June 2025, never a maintenance dose: lifelong maintenance lapsed on NOW.
    june = ("2025-06-02", "2025-06-04", "2025-06-06", "2025-06-09", "2025-06-11", "2025-06-13")
    patient("H-200", _case(start_date="2025-06-02"), june)
    # H-300: Leber's optic atrophy and folic acid on the medication list, no dose given yet.
    patient(
        "H-300",
        _case(start_date="2026-04-27", conditions=["leber_optic_atrophy"], medications=["folic_acid"]),
        (),
    )
    # H-400: loading done and the first maintenance dose given on 2026-04-16: next earliest 2026-06-16.
    patient("H-400", _case(), (*LOADING, "2026-04-16"))
    return Clinic(clinic.id, ids)


@dataclass
class FakeEhr:
    """The EHR's JWK Set and FHIR server; records what b12care asked for."""

    keys: Keys
    patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    administrations: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url == JWKS_URL:
            return httpx.Response(200, json=self.keys.jwks())
        if not url.startswith(FHIR_BASE):
            return httpx.Response(404)
        if self.failing:
            return httpx.Response(500, json={"resourceType": "OperationOutcome"})
        if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return httpx.Response(401)
        path = request.url.path.removeprefix("/fhir/")
        if path.startswith("Patient/"):
            found = self.patients.get(path.removeprefix("Patient/"))
            return httpx.Response(200, json=found) if found else httpx.Response(404)
        entries = {"Observation": self.observations, "MedicationAdministration": self.administrations}.get(
            path
        )
        if entries is None:
            return httpx.Response(404)
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in entries]}
        return httpx.Response(200, json=bundle)


def load_request(name: str) -> dict[str, Any]:
    """A request fixture (a fresh copy)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return copy.deepcopy(data)
