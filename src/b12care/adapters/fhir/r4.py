"""FHIR R4 (4.0.1) on the wire, ``fhir.resources.R4B`` (4.3.0) models inside: the known differences.

b12care reads and writes R4 JSON but validates it with the R4B models (the library ships no R4
package). R4B changed only a few modules (HL7, "R4B explanation"); for the resource types b12care
reads and writes, the structural differences between 4.0.1 and 4.3.0 are listed in
``R4_R4B_DIFFERENCES``, each with how it is handled here. Everything else of these types is the same
JSON in both versions - the official R4 examples in ``tests/fhir/examples/r4`` round-trip through the
R4B models unchanged, which the tests check.

Reference: HL7 FHIR R4B "Changes from R4" (https://hl7.org/fhir/R4B/diff.html, history.html).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from b12care.domain.errors import InputError

__all__ = [
    "R4B_ONLY_RESOURCE_TYPES",
    "R4_ONLY_RESOURCE_TYPES",
    "R4_R4B_DIFFERENCES",
    "R4_SUBJECT_TYPES",
    "ElementDifference",
    "bundle_as_r4b",
    "check_r4",
]


@dataclass(frozen=True, slots=True)
class ElementDifference:
    """One element (or resource type) that differs between R4 4.0.1 and R4B 4.3.0, and what we do."""

    element: str
    change: str
    handling: str


# Resource types of R4 4.0.1 that R4B 4.3.0 removed or renamed: the R4B models cannot parse them.
R4_ONLY_RESOURCE_TYPES = frozenset(
    {
        "EffectEvidenceSynthesis",
        "RiskEvidenceSynthesis",
        "MedicinalProduct",
        "MedicinalProductAuthorization",
        "MedicinalProductContraindication",
        "MedicinalProductIndication",
        "MedicinalProductIngredient",
        "MedicinalProductInteraction",
        "MedicinalProductManufactured",
        "MedicinalProductPackaged",
        "MedicinalProductPharmaceutical",
        "MedicinalProductUndesirableEffect",
        "SubstanceSpecification",
    }
)
# Resource types R4B 4.3.0 added: the R4B models accept them, but they are not R4.
R4B_ONLY_RESOURCE_TYPES = frozenset(
    {
        "AdministrableProductDefinition",
        "Citation",
        "ClinicalUseDefinition",
        "EvidenceReport",
        "Ingredient",
        "ManufacturedItemDefinition",
        "MedicinalProductDefinition",
        "NutritionProduct",
        "PackagedProductDefinition",
        "RegulatedAuthorization",
        "SubscriptionStatus",
        "SubscriptionTopic",
        "SubstanceDefinition",
    }
)
# Observation.subject targets in R4 4.0.1 (R4B adds Organization, Procedure, Practitioner, ...).
R4_SUBJECT_TYPES = ("Patient", "Group", "Device", "Location")

R4_R4B_DIFFERENCES: tuple[ElementDifference, ...] = (
    ElementDifference(
        "Bundle.entry.resource",
        "R4B removed the R4 types in R4_ONLY_RESOURCE_TYPES and added those in R4B_ONLY_RESOURCE_TYPES",
        "R4 -> R4B: an entry of an R4-only type is set aside for validation (bundle_as_r4b) and the "
        "importer reports it as unsupported; R4B -> R4: check_r4 rejects an R4B-only type",
    ),
    ElementDifference(
        "Observation.subject",
        "R4B widens the reference targets to Organization, Procedure, Practitioner, Medication, Substance",
        "R4 -> R4B: nothing (R4's targets are a subset); R4B -> R4: check_r4 rejects a subject whose "
        "literal reference names a type outside R4_SUBJECT_TYPES",
    ),
    ElementDifference(
        "status / intent / priority of Observation, MedicationAdministration, MedicationStatement, "
        "MedicationRequest, CarePlan, Patient.gender, Bundle.type",
        "required binding moves from the value set version |4.0.0 to |4.3.0; the codes are the same",
        "nothing to convert (the same codes validate in both)",
    ),
    ElementDifference(
        "Patient, Medication, MedicationAdministration, MedicationStatement, MedicationRequest, CarePlan, "
        "Dosage, Timing, Quantity, Ratio, CodeableConcept, Reference",
        "no structural change (no element added, removed, renamed, or changed in cardinality or type)",
        "nothing to convert; shown by the round-trip tests of the vendored R4 examples",
    ),
)


def bundle_as_r4b(bundle: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """A copy of an R4 Bundle the R4B models can validate, and the indexes of entries set aside.

    An entry whose resource is of a type R4B removed (R4_ONLY_RESOURCE_TYPES) keeps its fullUrl,
    request and response but loses its resource in the copy; its index is returned so the caller
    reports it - nothing is dropped silently. Everything else is unchanged (see R4_R4B_DIFFERENCES).
    """
    adapted = copy.deepcopy(dict(bundle))
    set_aside: list[int] = []
    entries = adapted.get("entry")
    for index, item in enumerate(entries if isinstance(entries, list) else []):
        resource = item.get("resource") if isinstance(item, dict) else None
        if isinstance(resource, Mapping) and resource.get("resourceType") in R4_ONLY_RESOURCE_TYPES:
            del item["resource"]
            set_aside.append(index)
    return adapted, set_aside


def _check_resource(resource: Mapping[str, Any], path: str) -> None:
    kind = resource.get("resourceType")
    if kind in R4B_ONLY_RESOURCE_TYPES:
        raise InputError(f"{path}.resourceType", f"{kind} is an R4B resource type, not R4 4.0.1")
    if kind == "Observation":
        subject = resource.get("subject")
        reference = subject.get("reference") if isinstance(subject, Mapping) else None
        if isinstance(reference, str) and "/" in reference and not reference.startswith("urn:"):
            target = reference.split("/_history/")[0].split("/")[-2]
            if target not in R4_SUBJECT_TYPES:
                raise InputError(f"{path}.subject.reference", f"{target} is not an R4 Observation subject")
    for item in resource.get("contained") or []:
        if isinstance(item, Mapping):
            _check_resource(item, f"{path}.contained")
    for index, entry in enumerate(resource.get("entry") or [] if kind == "Bundle" else []):
        inner = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(inner, Mapping):
            _check_resource(inner, f"{path}.entry[{index}].resource")


def check_r4(resource: Mapping[str, Any]) -> None:
    """Raise InputError (naming the element) where R4B-valid JSON uses something R4 4.0.1 lacks.

    The reverse of bundle_as_r4b, for what b12care exports: see R4_R4B_DIFFERENCES.
    """
    _check_resource(resource, str(resource.get("resourceType", "Resource")))
