"""Which EHRs may call the CDS Hooks services: issuers, their keys, their clinic (a YAML or JSON file).

The file ``B12CARE_CDS_ISSUERS_FILE`` names looks like::

    public_url: https://b12care.example.org     # optional, default B12CARE_PUBLIC_URL: aud and card links
    issuers:
      - iss: https://ehr.example.org            # the JWT's iss, exactly
        clinic_id: 7d6c...                      # the b12care clinic whose patients this EHR may see
        jwks_url: https://ehr.example.org/.well-known/jwks.json   # and/or static keys:
        keys: ["-----BEGIN PUBLIC KEY-----...", {"kty": "EC", ...}]
        algorithms: [ES384, RS384]              # default: RS384, ES384, RS256, ES256
        subjects: [ehr-client-id]               # optional: the sub values allowed
        patient_identifier_system: urn:oid:...  # optional: only identifiers of this system match

``b12care serve`` loads it before it starts (security probe L6): a file that is missing, unreadable or
invalid stops the server with one line naming the problem; a caller never sees it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt
import yaml
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from b12care.domain.errors import InputError

__all__ = ["ALGORITHMS", "FIELD", "Algorithm", "CdsSettings", "Issuer", "load_cds_settings", "parse_key"]

Algorithm = Literal["RS384", "ES384", "RS256", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS384", "ES384", "RS256", "ES256")
FIELD = "B12CARE_CDS_ISSUERS_FILE"
_URL = 500  # the issuer column of the CDS tables (tables_cds.py)


@dataclass(frozen=True, slots=True)
class Issuer:
    """An EHR trusted to call the services, and where its public keys are."""

    iss: str
    clinic_id: str
    jwks_url: str | None = None
    keys: tuple[str | Mapping[str, Any], ...] = ()
    algorithms: tuple[Algorithm, ...] = ALGORITHMS
    subjects: tuple[str, ...] = ()
    patient_identifier_system: str | None = None


@dataclass(frozen=True, slots=True)
class CdsSettings:
    """The CDS Hooks configuration: this service's public URL and the trusted issuers by ``iss``."""

    public_url: str
    issuers: Mapping[str, Issuer]

    @property
    def discovery_url(self) -> str:
        """``{public_url}/cds-services``: the JWT ``aud`` the spec asks EHRs to use."""
        return f"{self.public_url.rstrip('/')}/cds-services"


class _IssuerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1, max_length=_URL)
    clinic_id: str = Field(min_length=1)
    jwks_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    keys: list[str | dict[str, Any]] = []
    algorithms: list[Algorithm] = list(ALGORITHMS)
    subjects: list[str] = []
    patient_identifier_system: str | None = None


class _SettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: str | None = None
    issuers: list[_IssuerFile] = []


def parse_key(entry: str | Mapping[str, Any]) -> tuple[str | None, Any]:
    """A configured public key (PEM text or a JWK) as (kid, key object); ValueError when it is none."""
    try:
        if isinstance(entry, str):
            return None, load_pem_public_key(entry.encode())
        parsed = jwt.PyJWK(dict(entry))
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise ValueError(f"is not a public key (PEM or JWK): {type(error).__name__}") from None
    if parsed.key_id is not None and not isinstance(parsed.key_id, str):
        raise ValueError("kid must be a string")
    return parsed.key_id, parsed.key


def load_cds_settings(path: Path, public_url: str | None = None) -> CdsSettings:
    """Read and validate the issuers file (``public_url``: default base URL).

    InputError names ``B12CARE_CDS_ISSUERS_FILE`` and, after a colon, the entry at fault
    (``B12CARE_CDS_ISSUERS_FILE:issuers.0.iss``); the message names the file only when it cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as error:
        raise InputError(FIELD, f"cannot read {path}: {error.strerror or type(error).__name__}") from None
    except UnicodeDecodeError:
        raise InputError(FIELD, f"{path} is not UTF-8 text") from None
    except (json.JSONDecodeError, yaml.YAMLError, RecursionError) as error:
        raise InputError(FIELD, f"{path} is not valid JSON/YAML: {_first_line(error)}") from None
    if not isinstance(data, Mapping):
        raise InputError(FIELD, f"{path} must hold a mapping with an 'issuers' list")
    try:
        parsed = _SettingsFile.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{FIELD}:{where}", first["msg"]) from None
    issuers: dict[str, Issuer] = {}
    for index, entry in enumerate(parsed.issuers):
        if entry.jwks_url is None and not entry.keys:
            raise InputError(f"{FIELD}:issuers.{index}", "give jwks_url or keys")
        if entry.iss in issuers:
            raise InputError(f"{FIELD}:issuers.{index}.iss", "is the iss of an earlier entry")
        for number, key in enumerate(entry.keys):
            try:
                parse_key(key)
            except ValueError as error:
                raise InputError(f"{FIELD}:issuers.{index}.keys.{number}", str(error)) from None
        issuers[entry.iss] = Issuer(
            iss=entry.iss,
            clinic_id=entry.clinic_id,
            jwks_url=entry.jwks_url,
            keys=tuple(entry.keys),
            algorithms=tuple(entry.algorithms),
            subjects=tuple(entry.subjects),
            patient_identifier_system=entry.patient_identifier_system,
        )
    base = parsed.public_url or public_url
    if not base:
        raise InputError(f"{FIELD}:public_url", "the service's public URL is required")
    return CdsSettings(base, issuers)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
