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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from b12care.domain.errors import InputError

__all__ = ["ALGORITHMS", "Algorithm", "CdsSettings", "Issuer", "load_cds_settings"]

Algorithm = Literal["RS384", "ES384", "RS256", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS384", "ES384", "RS256", "ES256")


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

    iss: str = Field(min_length=1)
    clinic_id: str = Field(min_length=1)
    jwks_url: str | None = None
    keys: list[str | dict[str, Any]] = []
    algorithms: list[Algorithm] = list(ALGORITHMS)
    subjects: list[str] = []
    patient_identifier_system: str | None = None


class _SettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: str | None = None
    issuers: list[_IssuerFile] = []


def load_cds_settings(path: Path, public_url: str | None = None) -> CdsSettings:
    """Read and validate the issuers file (``public_url``: default base URL); InputError names the field."""
    field = "cds_issuers_file"
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        parsed = _SettingsFile.model_validate(data)
    except OSError as error:
        raise InputError(field, f"cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InputError(field, f"{path} is not valid JSON/YAML: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{field}:{where}", first["msg"]) from None
    issuers: dict[str, Issuer] = {}
    for index, entry in enumerate(parsed.issuers):
        if entry.jwks_url is None and not entry.keys:
            raise InputError(f"{field}:issuers.{index}", "give jwks_url or keys")
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
        raise InputError(f"{field}:public_url", "the service's public URL is required")
    return CdsSettings(base, issuers)
