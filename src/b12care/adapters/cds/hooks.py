"""The three b12care CDS services on the wire: discovery, the hook request, the EHR's data.

A hook call is read here - the request, the EHR's data (prefetch, else its FHIR server), the patient
references to look up (the EHR patient id or the Patient's identifiers), and on demand the EHR's
MedicationAdministrations and Observations and the draft orders - and answered by the use case
:func:`b12care.application.cds.answer_hook` (the face calls one, then the other). Feedback:
``feedback.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from b12care.adapters.cds.auth import Caller
from b12care.adapters.cds.ehr import EhrData, gather_ehr_data, prefetch_templates
from b12care.adapters.cds.feedback import validation_input_error
from b12care.adapters.cds.orders import draft_orders
from b12care.adapters.fhir.inbound import UNSPECIFIED_B12, dose_from_administration, lab_from_observation
from b12care.domain.case import LabResult
from b12care.domain.errors import FhirResourceError, InputError
from b12care.domain.history import AdministeredDose
from b12care.domain.orders import DraftOrder
from b12care.knowledge.terminology import Terminology, load_terminology

__all__ = [
    "SERVICES",
    "HookCall",
    "HookRequest",
    "ServiceDef",
    "discovery",
    "parse_hook_request",
    "read_hook_call",
]


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """One CDS service as discovery lists it."""

    id: str
    hook: Literal["patient-view", "order-select", "order-sign"]
    title: str
    description: str


SERVICES: dict[str, ServiceDef] = {
    s.id: s
    for s in (
        ServiceDef(
            "b12care-patient-view",
            "patient-view",
            "b12care: B12 injection plan",
            "Overdue or lapsed B12 maintenance, plan reviews due and the plan's safety warnings.",
        ),
        ServiceDef(
            "b12care-order-select",
            "order-select",
            "b12care: B12 order check",
            "Checks a selected B12 or folic acid order against the patient's b12care plan.",
        ),
        ServiceDef(
            "b12care-order-sign",
            "order-sign",
            "b12care: B12 order check at signing",
            "Checks B12 and folic acid orders being signed against the patient's b12care plan.",
        ),
    )
}


def discovery() -> dict[str, Any]:
    """The discovery document (``GET /cds-services``)."""
    templates = prefetch_templates()
    return {
        "services": [
            {
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": templates,
            }
            for s in SERVICES.values()
        ]
    }


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


_VISIBLE = r"^[\x21-\x7e]+$"  # an access token: visible ASCII (RFC 6750), sent in a header


class FhirAuthorization(_Model):
    """The access token the EHR grants for its FHIR server."""

    access_token: str = Field(min_length=1, max_length=8192, pattern=_VISIBLE)
    token_type: str = "Bearer"


class HookRequest(_Model):
    """A CDS Hooks 2.0 service request (the fields b12care reads)."""

    hook: str
    hookInstance: str = Field(min_length=1)  # noqa: N815 - the spec's name
    fhirServer: str | None = Field(default=None, max_length=2000)  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @field_validator("fhirServer")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise ValueError("is not a URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http:// or https:// URL")
        return value


def parse_hook_request(body: object, service: ServiceDef) -> HookRequest:
    """The request body as a HookRequest; InputError names the bad field."""
    try:
        request = HookRequest.model_validate(body)
    except ValidationError as error:
        raise validation_input_error(error) from None
    if request.hook != service.hook:
        raise InputError("hook", f"service {service.id} answers {service.hook}, not {request.hook!r}")
    patient_id = request.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise InputError("context.patientId", "a patient id is required")
    if not _stored_reference(patient_id):
        raise InputError("context.patientId", "must be at most 100 characters, without control characters")
    return request


def _stored_reference(value: str) -> bool:
    """Whether ``value`` could be a patient's stored ``reference`` (100 characters, no control
    characters): one that could not is never looked up (PostgreSQL refuses NUL even in a query)."""
    return len(value) <= 100 and not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _references(data: EhrData, patient_id: str, identifier_system: str | None) -> list[str]:
    found = [] if identifier_system else [patient_id]
    identifiers = data.patient.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, Mapping) or not isinstance(identifier.get("value"), str):
            continue
        if identifier_system is None or identifier.get("system") == identifier_system:
            found.append(identifier["value"])
    return [reference for reference in found if _stored_reference(reference)]


def _texts(concept: Mapping[str, Any]) -> list[str]:
    codings = [c for c in concept.get("coding") or [] if isinstance(c, Mapping)]
    return [str(concept.get("text") or "")] + [str(c.get("display") or "") for c in codings]


def _names_a_drug(concept: object, terms: Terminology) -> bool:
    """Whether a CodeableConcept (FHIR JSON) names a terminology drug, or is the text of an
    unspecified B12 dose; anything not shaped as expected counts as naming one (and is validated)."""
    if not isinstance(concept, Mapping):
        return True
    codings = concept.get("coding") or []
    if not isinstance(codings, list):
        return True
    for coding in codings:
        if not isinstance(coding, Mapping):
            return True
        system, code = coding.get("system"), coding.get("code")
        if system and code and terms.drug_for_code(str(system), str(code)) is not None:
            return True
    if any(terms.drug_for_text(text) is not None for text in _texts(concept)):
        return True
    return not codings and UNSPECIFIED_B12 in str(concept.get("text") or "").lower()


def _is_b12_administration(resource: Mapping[str, Any], terms: Terminology) -> bool:
    """False only for a MedicationAdministration whose medication is plainly not a terminology drug:
    the mapping would refuse it (``UnknownCode``), so it is skipped before any model validation."""
    concept = resource.get("medicationCodeableConcept")
    if concept is not None:
        return _names_a_drug(concept, terms)
    reference = resource.get("medicationReference")
    target = reference.get("reference") if isinstance(reference, Mapping) else None
    contained = resource.get("contained")
    if not isinstance(target, str) or not target.startswith("#") or not isinstance(contained, list):
        return True  # no medication, not a contained one, or malformed: the mapping decides
    medications = [
        item
        for item in contained
        if isinstance(item, Mapping)
        and item.get("resourceType") == "Medication"
        and item.get("id") == target[1:]
    ]
    return not medications or any(_names_a_drug(item.get("code"), terms) for item in medications)


def _is_b12_observation(resource: Mapping[str, Any], terms: Terminology) -> bool:
    """False only for an Observation with no LOINC coding of a terminology lab (the mapping would
    refuse it); skipped before any model validation."""
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, Mapping) else None
    if codings is None:
        return not isinstance(code, Mapping)  # a concept with no coding names no lab
    if not isinstance(codings, list):
        return True  # malformed: validation says so
    for coding in codings:
        if not isinstance(coding, Mapping):
            return True
        value = coding.get("code")
        if (
            coding.get("system") == terms.systems.loinc
            and value
            and terms.lab_for_loinc(str(value)) is not None
        ):
            return True
    return False


def _ehr_history(data: EhrData) -> tuple[list[AdministeredDose], list[LabResult]]:
    """The EHR's B12 doses and labs. Resources that are not about B12 (another drug, another test) are
    skipped by a cheap look at their JSON first; the others are validated on the elements the mapping
    reads (``validation="mapped"``) - a resource that cannot be used is left out, the b12care record
    still stands."""
    terms = load_terminology()
    doses: list[AdministeredDose] = []
    labs: list[LabResult] = []
    for resource in data.administrations:
        if not _is_b12_administration(resource, terms):
            continue
        try:
            dose = dose_from_administration(resource, validation="mapped")
        except FhirResourceError:
            continue
        if not dose.entered_in_error:
            doses.append(dose)
    for resource in data.observations:
        if not _is_b12_observation(resource, terms):
            continue
        try:
            labs.append(lab_from_observation(resource, validation="mapped"))
        except FhirResourceError:
            continue
    return doses, labs


@dataclass(frozen=True, slots=True)
class HookCall:
    """A verified hook call read off the wire: what :func:`b12care.application.cds.answer_hook` takes
    (its ``HookInput``). The EHR history and draft orders are parsed when asked for."""

    hook: str
    hook_instance: str
    clinic_id: str
    references: list[str]
    data: EhrData
    context: Mapping[str, Any]

    def ehr_history(self) -> tuple[list[AdministeredDose], list[LabResult]]:
        """The EHR's B12 doses and labs that could be used."""
        return _ehr_history(self.data)

    def draft_orders(self) -> list[DraftOrder]:
        """The orders of an order hook (the selected ones for ``order-select``)."""
        selections = self.context.get("selections") if self.hook == "order-select" else None
        return draft_orders(
            self.context.get("draftOrders"),
            [str(s) for s in selections] if isinstance(selections, list) else None,
        )


def read_hook_call(http: httpx.Client, request: HookRequest, caller: Caller) -> HookCall:
    """The call's EHR data (prefetch, else its FHIR server) and the patient references to look up."""
    patient_ref = str(request.context["patientId"])
    token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
    data = gather_ehr_data(
        request.prefetch, request.context, fhir_server=request.fhirServer, access_token=token, client=http
    )
    if data.patient.get("id") not in (None, patient_ref):
        raise InputError("prefetch.patient", "is not the Patient of context.patientId")
    references = _references(data, patient_ref, caller.issuer.patient_identifier_system)
    return HookCall(
        request.hook, request.hookInstance, caller.issuer.clinic_id, references, data, request.context
    )
