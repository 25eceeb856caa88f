"""FHIR R4 resources in, b12care domain values out: pure functions, no storage.

Each resource is validated with the ``fhir.resources.R4B`` models first (R4B shares R4's resources
used here), then mapped through ``knowledge/terminology.yaml``: LOINC for labs, RxNorm/ATC (or the
drug's name as text) for medications, UCUM for units. Anything that cannot be mapped raises
``UnknownCode`` naming the resource and the code seen - never a guess.

Opt-in fast path (``validation="mapped"``, used by CDS Hooks prefetch, where the EHR's resources only
add to the history of a hook call): only the elements the mapping reads are validated, with the same
FHIR primitive types as the R4B models (dates, codes, decimals), so the values mapped are the same; the
other elements are not checked. The full validation stays the default, for ``b12care fhir import`` and
the API import, where conformance is required.

Reference: FACTS.md 6 (the codes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar, cast

from fhir.resources.R4B import fhirtypes
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.quantity import Quantity as FhirQuantity
from fhir.resources.R4B.resource import Resource
from pydantic import BaseModel, ConfigDict, ValidationError

from b12care.domain.calendar import check_day
from b12care.domain.case import LabResult
from b12care.domain.errors import InputError, MalformedResourceError, MissingElementError, UnknownCode
from b12care.domain.history import AdministeredDose
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import Drug, Route
from b12care.knowledge.terminology import Terminology, load_terminology

__all__ = [
    "UNSPECIFIED_B12",
    "Validation",
    "dose_from_administration",
    "dose_from_statement",
    "is_entered_in_error",
    "lab_from_observation",
    "not_done_reason",
    "subject_reference",
    "validate_resource",
]

R = TypeVar("R", bound=Resource)
M = TypeVar("M", bound="_MappedResource")
Validation = Literal["full", "mapped"]

_LAB_STATUSES = ("final", "amended", "corrected")
# A dose not given may name no drug: the exporter writes this text, with no coding, for it.
UNSPECIFIED_B12 = "vitamin b12"


def _id_of(resource: Mapping[str, Any]) -> str | None:
    value = resource.get("id")
    return value if isinstance(value, str) else None


def _location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate_resource(resource: Mapping[str, Any], model: type[R]) -> R:
    """Validate ``resource`` as ``model``; raise MalformedResourceError naming the first bad element."""
    return _validated(resource, model, model.get_resource_type())


V = TypeVar("V", bound=BaseModel)


def _first_null(resource: Mapping[str, Any]) -> str | None:
    """The path of the first element whose value is JSON null, if any (a loop, not recursion: any depth)."""
    pending: list[tuple[str, Any]] = [("", resource)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, Mapping):
            items = [(f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
        elif isinstance(value, list):
            items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        else:
            continue
        for where, item in items:
            if item is None and isinstance(value, Mapping):
                return where
        pending.extend(reversed(items))
    return None


def _validated(resource: Mapping[str, Any], model: type[V], expected: str) -> V:
    if not isinstance(resource, Mapping):
        raise MalformedResourceError(expected, None, "", "must be a JSON object")
    seen = resource.get("resourceType")
    if seen != expected:
        raise MalformedResourceError(
            expected, _id_of(resource), "resourceType", f"expected {expected}, got {seen!r}"
        )
    null = _first_null(resource)
    if null is not None:  # the models take a null as absent, even for a required element
        raise MalformedResourceError(
            expected, _id_of(resource), null, "null is not FHIR JSON (leave the element out)"
        )
    try:
        return model.model_validate(dict(resource))
    except ValidationError as error:
        first = error.errors()[0]
        element = _location(first["loc"]) or "resourceType"
        raise MalformedResourceError(expected, _id_of(resource), element, first["msg"]) from error


class _Mapped(BaseModel):
    """The elements of a FHIR element or resource that the mapping reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _MappedCoding(_Mapped):
    system: fhirtypes.UriType | None = None
    code: fhirtypes.CodeType | None = None
    display: fhirtypes.StringType | None = None


class _MappedConcept(_Mapped):
    coding: list[_MappedCoding] | None = None
    text: fhirtypes.StringType | None = None


class _MappedQuantity(_Mapped):
    value: fhirtypes.DecimalType | None = None
    comparator: fhirtypes.CodeType | None = None
    unit: fhirtypes.StringType | None = None
    system: fhirtypes.UriType | None = None
    code: fhirtypes.CodeType | None = None


class _MappedPeriod(_Mapped):
    start: fhirtypes.DateTimeType | None = None


class _MappedReference(_Mapped):
    reference: fhirtypes.StringType | None = None


class _MappedDosage(_Mapped):
    dose: _MappedQuantity | None = None
    route: _MappedConcept | None = None


class _MappedResource(_Mapped):
    resource_type: ClassVar[str]
    id: fhirtypes.IdType | None = None

    @classmethod
    def get_resource_type(cls) -> str:
        """The FHIR resource type, as the R4B models name it."""
        return cls.resource_type


class _MappedMedication(_MappedResource):
    resource_type = "Medication"
    code: _MappedConcept | None = None


class _MappedObservation(_MappedResource):
    resource_type = "Observation"
    status: fhirtypes.CodeType
    code: _MappedConcept
    valueQuantity: _MappedQuantity | None = None  # noqa: N815 - FHIR's names
    effectiveDateTime: fhirtypes.DateTimeType | None = None  # noqa: N815
    effectivePeriod: _MappedPeriod | None = None  # noqa: N815
    effectiveInstant: fhirtypes.InstantType | None = None  # noqa: N815
    issued: fhirtypes.InstantType | None = None


class _MappedAdministration(_MappedResource):
    resource_type = "MedicationAdministration"
    status: fhirtypes.CodeType
    medicationCodeableConcept: _MappedConcept | None = None  # noqa: N815
    medicationReference: _MappedReference | None = None  # noqa: N815
    contained: list[dict[str, Any]] | None = None  # only the Medications are read (and validated)
    effectiveDateTime: fhirtypes.DateTimeType | None = None  # noqa: N815
    effectivePeriod: _MappedPeriod | None = None  # noqa: N815
    dosage: _MappedDosage | None = None


def _validate_mapped(resource: Mapping[str, Any], model: type[M]) -> M:
    """Validate the elements ``model`` reads; MalformedResourceError naming the first bad element."""
    return _validated(resource, model, model.get_resource_type())


_Concept = CodeableConcept | _MappedConcept
_Event = MedicationAdministration | MedicationStatement | _MappedAdministration


def _day(value: object, resource_type: str, resource_id: str | None, element: str) -> dt.date:
    if isinstance(value, dt.date):
        # a datetime's clinical day is the day as recorded, in the resource's own offset
        day = value.date() if isinstance(value, dt.datetime) else value
        try:
            return check_day(day, element)
        except InputError as error:
            raise MissingElementError(resource_type, resource_id, element, error.message) from None
    if value is None:
        raise MissingElementError(resource_type, resource_id, element, "a date is required")
    raise MissingElementError(
        resource_type, resource_id, element, f"{value!r} is not a full date (YYYY-MM-DD)"
    )


def _unit(
    quantity: FhirQuantity | _MappedQuantity,
    terms: Terminology,
    resource_type: str,
    resource_id: str | None,
    element: str,
) -> str:
    if quantity.system is not None and quantity.system != terms.systems.ucum:
        raise UnknownCode(resource_type, resource_id, f"{element}.system", str(quantity.system))
    ucum = quantity.code or quantity.unit
    if ucum is None:
        raise MissingElementError(resource_type, resource_id, f"{element}.code", "a UCUM unit is required")
    unit = terms.unit_for_ucum(str(ucum))
    if unit is None:
        raise UnknownCode(resource_type, resource_id, f"{element}.code", str(ucum))
    return unit


def lab_from_observation(
    resource: Mapping[str, Any], *, validation: Validation = "full", validated: Observation | None = None
) -> LabResult:
    """An Observation (LOINC code, UCUM valueQuantity, effective or issued date) as a LabResult.

    Example: code 2132-9, valueQuantity 250 pg/mL, effectiveDateTime 2024-03-01 ->
    ``LabResult("total_b12", Decimal(250), "pg/mL", date(2024, 3, 1))``. ``validation="mapped"``
    validates only the elements read (see the module docstring); ``validated`` is the resource already
    validated in full by the caller (not validated again).
    """
    terms = load_terminology()
    obs: Observation | _MappedObservation
    if validated is not None:
        obs = validated
    elif validation == "full":
        obs = validate_resource(resource, Observation)
    else:
        obs = _validate_mapped(resource, _MappedObservation)
    rid = obs.id
    if obs.status not in _LAB_STATUSES:
        raise UnknownCode("Observation", rid, "status", str(obs.status))
    codings = [c for c in obs.code.coding or [] if c.system == terms.systems.loinc and c.code]
    lab = next((hit for c in codings if (hit := terms.lab_for_loinc(str(c.code))) is not None), None)
    if lab is None:
        seen = ", ".join(f"{c.system}|{c.code}" for c in obs.code.coding or []) or (obs.code.text or "")
        raise UnknownCode("Observation", rid, "code", seen or "(no coding)")
    quantity = obs.valueQuantity
    if quantity is None or quantity.value is None:
        raise MissingElementError("Observation", rid, "valueQuantity", "a numeric result is required")
    if quantity.comparator is not None:
        raise MissingElementError(
            "Observation", rid, "valueQuantity.comparator", "a censored value cannot be used"
        )
    unit = _unit(quantity, terms, "Observation", rid, "valueQuantity")
    when: object = obs.effectiveDateTime
    element = "effectiveDateTime"
    if when is None and obs.effectivePeriod is not None:
        when, element = obs.effectivePeriod.start, "effectivePeriod.start"
    if when is None and obs.effectiveInstant is not None:
        when, element = obs.effectiveInstant, "effectiveInstant"
    if when is None:
        when, element = obs.issued, "issued"
    return LabResult(lab.test, Decimal(str(quantity.value)), unit, _day(when, "Observation", rid, element))


def _drug(
    concept: _Concept | None,
    *,
    contained: Mapping[str, _Concept],
    reference: str | None,
    resource_type: str,
    resource_id: str | None,
    terms: Terminology,
    allow_unspecified: bool = False,
) -> Drug | None:
    element = "medicationCodeableConcept"
    if concept is None and reference is not None:
        element = "medicationReference"
        concept = contained.get(reference.removeprefix("#")) if reference.startswith("#") else None
        if concept is None:
            raise UnknownCode(resource_type, resource_id, element, reference)
    if concept is None:
        raise MissingElementError(resource_type, resource_id, element, "a medication is required")
    for coding in concept.coding or []:
        if coding.system and coding.code:
            hit = terms.drug_for_code(str(coding.system), str(coding.code))
            if hit is not None:
                return hit.drug
    texts = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
    for text in texts:
        named = terms.drug_for_text(text)
        if named is not None:
            return named.drug
    if allow_unspecified and not concept.coding and UNSPECIFIED_B12 in (concept.text or "").lower():
        return None
    seen = ", ".join(f"{c.system}|{c.code}" for c in concept.coding or []) or (concept.text or "(no coding)")
    raise UnknownCode(resource_type, resource_id, element, seen)


def _route(
    concept: _Concept | None,
    terms: Terminology,
    resource_type: str,
    resource_id: str | None,
    element: str,
) -> Route | None:
    if concept is None:
        return None
    texts = [concept.text or ""] + [t for c in concept.coding or [] for t in (c.display or "", c.code or "")]
    for text in texts:
        route = terms.route_for_text(text) if text else None
        if route is not None:
            return route
    raise UnknownCode(resource_type, resource_id, element, concept.text or ", ".join(t for t in texts if t))


def _contained_medications(resource: _Event) -> dict[str, _Concept]:
    found: dict[str, _Concept] = {}
    if isinstance(resource, _MappedAdministration):
        for entry in resource.contained or []:
            if entry.get("resourceType") == "Medication":
                medication = _validate_mapped(entry, _MappedMedication)
                if medication.id and medication.code is not None:
                    found[str(medication.id)] = medication.code
        return found
    for item in resource.contained or []:
        code = getattr(item, "code", None)
        if item.get_resource_type() == "Medication" and item.id and isinstance(code, CodeableConcept):
            found[str(item.id)] = code
    return found


def _dose_status(
    status: str, mapping: Mapping[str, str], resource_type: str, resource_id: str | None
) -> tuple[Literal["completed", "not_done"], bool]:
    if status == "entered-in-error":
        return "completed", True
    if status not in mapping:
        raise UnknownCode(resource_type, resource_id, "status", status)
    return cast("Literal['completed', 'not_done']", mapping[status]), False


def _dose_event(
    event: _Event, statuses: Mapping[str, str], terms: Terminology
) -> tuple[Literal["completed", "not_done"], bool, Drug | None, dt.date]:
    """Status, entered-in-error mark, drug and day of a dose: the elements both resources share.

    ``statuses`` maps the resource's status for a dose given or not given to the record's.
    """
    resource_type, rid = event.get_resource_type(), event.id
    status, eie = _dose_status(str(event.status), statuses, resource_type, rid)
    reference = event.medicationReference.reference if event.medicationReference else None
    drug = _drug(
        event.medicationCodeableConcept,
        contained=_contained_medications(event),
        reference=reference,
        resource_type=resource_type,
        resource_id=rid,
        terms=terms,
        allow_unspecified=status == "not_done",
    )
    when: object = event.effectiveDateTime
    element = "effectiveDateTime"
    if when is None and event.effectivePeriod is not None:
        when, element = event.effectivePeriod.start, "effectivePeriod.start"
    return status, eie, drug, _day(when, resource_type, rid, element)


def dose_from_administration(
    resource: Mapping[str, Any],
    *,
    validation: Validation = "full",
    validated: MedicationAdministration | None = None,
) -> AdministeredDose:
    """A MedicationAdministration as an AdministeredDose.

    completed -> given, not-done -> not done, entered-in-error -> marked so; other statuses are
    UnknownCode. The drug comes from RxNorm/ATC or the drug's name in the text.
    ``validation="mapped"`` validates only the elements read (see the module docstring); ``validated``
    is the resource already validated in full by the caller.
    """
    terms = load_terminology()
    given: MedicationAdministration | _MappedAdministration
    if validated is not None:
        given = validated
    elif validation == "full":
        given = validate_resource(resource, MedicationAdministration)
    else:
        given = _validate_mapped(resource, _MappedAdministration)
    rid = given.id
    status, eie, drug, day = _dose_event(given, {"completed": "completed", "not-done": "not_done"}, terms)
    dose: Quantity | None = None
    route: Route | None = None
    if given.dosage is not None:
        if given.dosage.dose is not None and given.dosage.dose.value is not None:
            unit = _unit(given.dosage.dose, terms, "MedicationAdministration", rid, "dosage.dose")
            dose = Quantity(Decimal(str(given.dosage.dose.value)), unit)
        route = _route(given.dosage.route, terms, "MedicationAdministration", rid, "dosage.route")
    return AdministeredDose(day, dose, route, drug, status, eie)


def dose_from_statement(
    resource: Mapping[str, Any], *, validated: MedicationStatement | None = None
) -> AdministeredDose:
    """A MedicationStatement of one past dose as an AdministeredDose.

    completed -> given, not-taken -> not done, entered-in-error -> marked so; ``active`` and the
    other statuses describe ongoing use, not a dose, and are UnknownCode. The first Dosage gives
    dose (doseAndRate[0].doseQuantity) and route. ``validated``: already validated by the caller.
    """
    terms = load_terminology()
    statement = validated if validated is not None else validate_resource(resource, MedicationStatement)
    rid = statement.id
    status, eie, drug, day = _dose_event(
        statement, {"completed": "completed", "not-taken": "not_done"}, terms
    )
    dose: Quantity | None = None
    route: Route | None = None
    if statement.dosage:
        dosage = statement.dosage[0]
        rates = dosage.doseAndRate or []
        quantity = rates[0].doseQuantity if rates else None
        if quantity is not None and quantity.value is not None:
            unit = _unit(quantity, terms, "MedicationStatement", rid, "dosage[0].doseAndRate[0].doseQuantity")
            dose = Quantity(Decimal(str(quantity.value)), unit)
        route = _route(dosage.route, terms, "MedicationStatement", rid, "dosage[0].route")
    return AdministeredDose(day, dose, route, drug, status, eie)


def not_done_reason(resource: Mapping[str, Any]) -> str | None:
    """The text of a not-done dose's statusReason (or ``not done`` when none is given); None if done."""
    status = resource.get("status")
    if status not in ("not-done", "not-taken"):
        return None
    reasons = resource.get("statusReason") or []
    for reason in reasons if isinstance(reasons, list) else []:
        if isinstance(reason, Mapping):
            text = reason.get("text") or next(
                (
                    c.get("display") or c.get("code")
                    for c in reason.get("coding") or []
                    if isinstance(c, Mapping)
                ),
                None,
            )
            if text:
                return str(text)
    return "not done"


def is_entered_in_error(resource: Mapping[str, Any]) -> bool:
    """True for a resource whose status is entered-in-error."""
    return resource.get("status") == "entered-in-error"


def subject_reference(resource: Mapping[str, Any]) -> str | None:
    """The ``subject.reference`` (e.g. ``Patient/123`` or ``urn:uuid:...``) of a resource, or None."""
    subject = resource.get("subject")
    if isinstance(subject, Mapping) and isinstance(subject.get("reference"), str):
        return str(subject["reference"])
    return None
