"""A fake EHR for the load benchmarks: its key pair, the issuers file that trusts it, its signed JWTs and
the CDS Hooks ``patient-view`` requests (with prefetch) it sends for b12care's patients.

The issuers file follows the documented format (``src/b12care/adapters/cds/settings.py``): one issuer
with a static public key, its algorithm, its client id as the only allowed ``sub`` and the clinic
whose patients it may see. The prefetch is b12care's own FHIR export of the patient, split by resource
type as an EHR's prefetch templates would return it; the EHR knows the patient by its own id.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from b12care.adapters.fhir.outbound import export_patient
from b12care.application.case_file import parse_case_json
from b12care.application.records import LabRecord, new_id
from b12care.application.treatment import Services

__all__ = [
    "ALGORITHMS",
    "EHR",
    "SERVICE",
    "SUBJECT",
    "hook_request",
    "load_private_key",
    "prefetch",
    "sign",
    "write_keys",
]

ALGORITHMS = ("ES384", "RS384")
SERVICE = "b12care-patient-view"
EHR = "https://ehr.bench.example.org"
SUBJECT = "bench-ehr-client"


def write_keys(folder: Path, clinic_id: str, public_url: str, alg: str) -> tuple[Path, Path]:
    """An ``alg`` key pair: the private PEM for the driver, the issuers file (public PEM) for the server."""
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        ec.generate_private_key(ec.SECP384R1())
        if alg == "ES384"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    private_pem = folder / "ehr-private.pem"
    private_pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    issuers = folder / "issuers.json"
    issuer = {
        "iss": EHR,
        "clinic_id": clinic_id,
        "keys": [public.decode()],
        "algorithms": [alg],
        "subjects": [SUBJECT],
    }
    issuers.write_text(json.dumps({"public_url": public_url, "issuers": [issuer]}))
    return private_pem, issuers


def load_private_key(path: Path) -> Any:
    """The EHR's private key from the PEM ``write_keys`` wrote."""
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def sign(private_key: Any, audience: str, count: int, alg: str, lifetime: int = 900) -> list[str]:
    """``count`` call tokens valid for ``lifetime`` seconds, each with a fresh ``jti`` (never replayed)."""
    now = int(time.time())
    claims = {"iss": EHR, "sub": SUBJECT, "aud": audience, "iat": now, "exp": now + lifetime}
    return [jwt.encode(claims | {"jti": str(uuid.uuid4())}, private_key, algorithm=alg) for _ in range(count)]


def prefetch(services: Services, patient_id: str, ehr_id: str) -> dict[str, Any]:
    """The prefetch an EHR sends for one patient: b12care's FHIR export, split by resource type."""
    view = services.view(patient_id)
    with services.uow(read_only=True) as uow:
        doses = uow.doses.list_for(patient_id)
    case = parse_case_json(view.plan_version.case_json)
    at = services.clock()
    labs = [
        LabRecord(new_id(), patient_id, lab.test, lab.value, lab.unit, lab.date, "ehr", at)
        for lab in case.labs
    ]
    bundle = export_patient(view, doses, labs)
    resources = [entry["resource"] for entry in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    # The EHR knows the patient by its own id and carries b12care's reference as an identifier.
    patient = patient | {"id": ehr_id}

    def searchset(kind: str) -> dict[str, Any]:
        found = [r for r in resources if r["resourceType"] == kind]
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in found]}

    return {
        "patient": patient,
        "labs": searchset("Observation"),
        "doses": searchset("MedicationAdministration"),
    }


def hook_request(services: Services, patient_id: str, reference: str) -> dict[str, Any]:
    """A ``patient-view`` call body for one patient (a new ``hookInstance`` is set per call by the driver)."""
    fetched = prefetch(services, patient_id, f"ehr-{reference}")
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench-1", "patientId": fetched["patient"]["id"]},
        "prefetch": fetched,
    }
