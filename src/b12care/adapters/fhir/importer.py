"""Import a FHIR R4 Bundle into the treatment record through the ``Services`` use cases.

Patients are matched, never created: a Patient's identifier value is looked up as the patient
``reference`` within the clinic (a patient needs a case file to get a plan). Observations become
labs, MedicationAdministrations and MedicationStatements become doses with the idempotency key
``fhir:<type>/<id>``, so importing a bundle again stores nothing twice. Every entry ends up in the
report - imported, duplicate, matched, or an issue with its path - nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from b12care.adapters.fhir.inbound import (
    FhirResourceError,
    MalformedResourceError,
    UnknownCode,
    dose_from_administration,
    dose_from_statement,
    is_entered_in_error,
    lab_from_observation,
    not_done_reason,
    subject_reference,
    validate_resource,
)
from b12care.adapters.fhir.r4 import R4_ONLY_RESOURCE_TYPES, R4B_ONLY_RESOURCE_TYPES, bundle_as_r4b
from b12care.domain.errors import InputError
from b12care.domain.history import AdministeredDose
from b12care.knowledge.terminology import load_terminology
from b12care.service.records import DoseSource, PatientRecord
from b12care.service.treatment import DoseInput, Services

__all__ = ["IMPORTABLE_BUNDLE_TYPES", "ImportIssue", "ImportReport", "ImportedEntry", "import_bundle"]

IMPORTABLE_BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
MAX_BUNDLE_DEPTH = 64
"""Arrays and objects nested deeper are no FHIR Bundle (the official R4 examples nest at most 12 levels
inside one) and would exhaust Python's recursion when the Bundle is copied or validated."""
_DOSE_TYPES = ("MedicationAdministration", "MedicationStatement")

IssueKind = Literal[
    "unknown_code", "unknown_patient", "unsupported_resource", "missing_element", "not_stored", "rejected"
]


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One bundle entry that is (now, or already) in the record."""

    path: str
    resource_type: str
    resource_id: str | None
    patient_id: str
    record_id: str


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One bundle entry that was not stored, and why; ``code`` is the unknown code seen, if any."""

    path: str
    resource_type: str
    resource_id: str | None
    kind: IssueKind
    message: str
    code: str | None = None


@dataclass(slots=True)
class ImportReport:
    """What an import did with every entry of the bundle."""

    imported: list[ImportedEntry] = field(default_factory=list)
    duplicates: list[ImportedEntry] = field(default_factory=list)
    matched_patients: list[ImportedEntry] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""

        def entry(item: ImportedEntry) -> dict[str, Any]:
            return {
                "path": item.path,
                "resourceType": item.resource_type,
                "id": item.resource_id,
                "patient_id": item.patient_id,
                "record_id": item.record_id,
            }

        return {
            "imported": [entry(i) for i in self.imported],
            "duplicates": [entry(i) for i in self.duplicates],
            "matched_patients": [entry(i) for i in self.matched_patients],
            "issues": [
                {
                    "path": i.path,
                    "resourceType": i.resource_type,
                    "id": i.resource_id,
                    "kind": i.kind,
                    "message": i.message,
                    "code": i.code,
                }
                for i in self.issues
            ],
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    path: str
    full_url: str | None
    resource: Mapping[str, Any]

    @property
    def resource_type(self) -> str:
        return str(self.resource.get("resourceType", ""))

    @property
    def resource_id(self) -> str | None:
        value = self.resource.get("id")
        return value if isinstance(value, str) else None


def _nesting(value: object) -> int:
    """How deep the arrays and objects of ``value`` nest (a loop, not recursion; stops past the limit)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending and deepest <= MAX_BUNDLE_DEPTH:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _entries(bundle: Mapping[str, Any]) -> list[_Entry]:
    """Validate the Bundle (shell and every resource) with the R4B models; raise naming the element.

    R4 types that R4B removed are set aside for validation (``r4.bundle_as_r4b``) and later
    reported as unsupported resources, so a real R4 bundle holding one still imports.
    """
    if not isinstance(bundle, Mapping):
        raise MalformedResourceError("Bundle", None, "", "must be a JSON object")
    if _nesting(bundle) > MAX_BUNDLE_DEPTH:
        raise InputError("Bundle", f"arrays and objects nested deeper than {MAX_BUNDLE_DEPTH} levels")
    for index, item in enumerate(bundle.get("entry") or []):
        resource = item.get("resource") if isinstance(item, Mapping) else None
        kind = resource.get("resourceType") if isinstance(resource, Mapping) else None
        if kind is not None and not isinstance(kind, str):
            raise InputError(f"Bundle.entry[{index}].resource.resourceType", "must be a string")
        if kind is not None and kind not in R4_ONLY_RESOURCE_TYPES:
            try:
                get_fhir_model_class(str(kind))
            except ValueError:
                raise InputError(
                    f"Bundle.entry[{index}].resource.resourceType", f"{kind!r} is not an R4 resource type"
                ) from None
            if kind in R4B_ONLY_RESOURCE_TYPES:
                raise InputError(f"Bundle.entry[{index}].resource.resourceType", f"{kind!r} is R4B, not R4")
    validate_resource(bundle_as_r4b(bundle)[0], Bundle)
    if bundle.get("type") not in IMPORTABLE_BUNDLE_TYPES:
        raise InputError(
            "Bundle.type",
            f"{bundle.get('type')!r} cannot be imported (use {', '.join(IMPORTABLE_BUNDLE_TYPES)})",
        )
    entries = []
    for index, item in enumerate(bundle.get("entry") or []):
        path = f"Bundle.entry[{index}]"
        resource = item.get("resource")
        if resource is None:  # e.g. a transaction's DELETE or GET: reported, not imported
            resource = {}
        if not isinstance(resource, Mapping):
            raise InputError(f"{path}.resource", "an entry's resource must be a JSON object")
        full_url = item.get("fullUrl")
        entries.append(_Entry(path, full_url if isinstance(full_url, str) else None, resource))
    return entries


def _identifier_values(resource: Mapping[str, Any]) -> list[str]:
    values = []
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, Mapping) and isinstance(identifier.get("value"), str):
            values.append(str(identifier["value"]))
    return values


def _match_patients(
    entries: list[_Entry], clinic_patients: list[PatientRecord], report: ImportReport
) -> dict[str, PatientRecord]:
    """Map each Patient entry's fullUrl and ``Patient/<id>`` to the clinic's patient with that reference."""
    by_reference = {p.reference: p for p in clinic_patients if p.entered_in_error is None}
    found: dict[str, PatientRecord] = {}
    for entry in entries:
        if entry.resource_type != "Patient":
            continue
        try:
            validate_resource(entry.resource, Patient)
        except FhirResourceError as error:
            report.issues.append(_issue(entry, "missing_element", error))
            continue
        values = _identifier_values(entry.resource)
        record = next((by_reference[v] for v in values if v in by_reference), None)
        if record is None:
            shown = ", ".join(values) or "(no identifier)"
            report.issues.append(
                ImportIssue(
                    entry.path,
                    "Patient",
                    entry.resource_id,
                    "unknown_patient",
                    f"no patient of this clinic has reference {shown}; add them with a case file first",
                )
            )
            continue
        report.matched_patients.append(
            ImportedEntry(entry.path, "Patient", entry.resource_id, record.id, record.id)
        )
        for key in (entry.full_url, f"Patient/{entry.resource_id}" if entry.resource_id else None):
            if key:
                found[key] = record
    return found


def _subject(
    entry: _Entry, patients: Mapping[str, PatientRecord], clinic_patients: list[PatientRecord]
) -> PatientRecord | None:
    reference = subject_reference(entry.resource)
    if reference is not None and reference in patients:
        return patients[reference]
    subject = entry.resource.get("subject")
    identifier = subject.get("identifier") if isinstance(subject, Mapping) else None
    if isinstance(identifier, Mapping) and isinstance(identifier.get("value"), str):
        value = identifier["value"]
        return next((p for p in clinic_patients if p.reference == value and p.entered_in_error is None), None)
    return None


def _issue(entry: _Entry, kind: IssueKind, error: InputError) -> ImportIssue:
    code = error.code if isinstance(error, UnknownCode) else None
    element = error.field.partition(".")[2] if isinstance(error, FhirResourceError) else error.field
    path = f"{entry.path}.resource" + (f".{element}" if element else "")
    return ImportIssue(path, entry.resource_type, entry.resource_id, kind, error.message, code)


def dose_key(entry_resource: Mapping[str, Any], full_url: str | None = None) -> str:
    """``fhir:<type>/<id>``; without an id the fullUrl, else a hash of the resource's canonical JSON."""
    kind = entry_resource.get("resourceType")
    rid = entry_resource.get("id")
    if isinstance(rid, str) and rid:
        return f"fhir:{kind}/{rid}"
    if full_url:
        return f"fhir:{full_url}"
    digest = hashlib.sha256(json.dumps(entry_resource, sort_keys=True).encode()).hexdigest()
    return f"fhir:{kind}#sha256:{digest[:32]}"


def _performer(resource: Mapping[str, Any]) -> str | None:
    for performer in resource.get("performer") or []:
        actor = performer.get("actor") if isinstance(performer, Mapping) else None
        if isinstance(actor, Mapping):
            name = actor.get("display") or actor.get("reference")
            if isinstance(name, str):
                return name
    return None


def _site(resource: Mapping[str, Any]) -> str | None:
    dosage = resource.get("dosage")
    site = dosage.get("site") if isinstance(dosage, Mapping) else None
    if isinstance(site, Mapping):
        text = site.get("text") or next(
            (c.get("display") for c in site.get("coding") or [] if isinstance(c, Mapping)), None
        )
        return str(text) if text else None
    return None


def _dose_input(entry: _Entry, dose: AdministeredDose) -> DoseInput:
    source: DoseSource = "clinic" if entry.resource_type == "MedicationAdministration" else "self"
    return DoseInput(
        date=dose.date,
        drug=dose.drug,
        dose=dose.dose.value if dose.dose else None,
        unit=dose.dose.unit if dose.dose else None,
        route=dose.route,
        site=_site(entry.resource) if entry.resource_type == "MedicationAdministration" else None,
        given_by=_performer(entry.resource),
        source=source,
        not_done_reason=not_done_reason(entry.resource) if dose.status == "not_done" else None,
        idempotency_key=dose_key(entry.resource, entry.full_url),
    )


def _text_only_medication(resource: Mapping[str, Any]) -> str | None:
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        return None
    texts = [concept.get("text") or ""] + [
        c.get("display") or "" for c in concept.get("coding") or [] if isinstance(c, Mapping)
    ]
    terms = load_terminology()
    hit = next((m for t in texts if t and (m := terms.medication_for_text(str(t))) is not None), None)
    return hit.medication if hit else None


def _import_dose(
    services: Services, entry: _Entry, patient: PatientRecord, actor: str, report: ImportReport
) -> None:
    mapper = (
        dose_from_administration if entry.resource_type == "MedicationAdministration" else dose_from_statement
    )
    try:
        dose = mapper(entry.resource)
    except UnknownCode as error:
        medication = _text_only_medication(entry.resource)
        if medication is not None and error.element.startswith("medication"):
            report.issues.append(
                ImportIssue(
                    f"{entry.path}.resource.medicationCodeableConcept",
                    entry.resource_type,
                    entry.resource_id,
                    "not_stored",
                    f"{medication} (matched by text; FACTS.md 6 lists no code) is a co-medication, "
                    "not a B12 dose: record it in the case file",
                )
            )
            return
        report.issues.append(_issue(entry, "unknown_code", error))
        return
    except FhirResourceError as error:
        report.issues.append(_issue(entry, "missing_element", error))
        return
    if dose.entered_in_error or is_entered_in_error(entry.resource):
        report.issues.append(
            ImportIssue(
                f"{entry.path}.resource.status",
                entry.resource_type,
                entry.resource_id,
                "not_stored",
                "status entered-in-error: nothing to record",
            )
        )
        return
    data = _dose_input(entry, dose)
    with services.uow() as uow:
        stored = [
            d
            for d in uow.doses.list_for(patient.id)
            if d.idempotency_key == data.idempotency_key or d.id == entry.resource_id  # our own export
        ]
    item = ImportedEntry(entry.path, entry.resource_type, entry.resource_id, patient.id, "")
    if stored:
        report.duplicates.append(_with_record(item, stored[0].id))
        return
    try:
        record = services.record_dose(patient.id, data, actor)
    except InputError as error:
        report.issues.append(_issue(entry, "rejected", error))
        return
    report.imported.append(_with_record(item, record.id))


def _with_record(item: ImportedEntry, record_id: str) -> ImportedEntry:
    return ImportedEntry(item.path, item.resource_type, item.resource_id, item.patient_id, record_id)


def _import_lab(
    services: Services, entry: _Entry, patient: PatientRecord, actor: str, report: ImportReport
) -> None:
    try:
        lab = lab_from_observation(entry.resource)
    except UnknownCode as error:
        report.issues.append(_issue(entry, "unknown_code", error))
        return
    except FhirResourceError as error:
        report.issues.append(_issue(entry, "missing_element", error))
        return
    item = ImportedEntry(entry.path, "Observation", entry.resource_id, patient.id, "")
    with services.uow() as uow:
        same = [
            x.id
            for x in uow.labs.list_for(patient.id)
            if x.entered_in_error is None
            and (x.test, x.value, x.unit, x.date) == (lab.test, lab.value, lab.unit, lab.date)
        ]
    if same:
        report.duplicates.append(_with_record(item, same[0]))
        return
    try:
        record = services.record_lab(
            patient.id, test=lab.test, value=lab.value, unit=lab.unit, day=lab.date, actor=actor
        )
    except InputError as error:
        report.issues.append(_issue(entry, "rejected", error))
        return
    report.imported.append(_with_record(item, record.id))


def import_bundle(services: Services, bundle: Mapping[str, Any], clinic_id: str, actor: str) -> ImportReport:
    """Import a Bundle's Observations and dose resources for the clinic's patients; report every entry.

    Raises InputError (naming the element, e.g. ``Bundle.entry[0].resource.status``) when the bundle
    itself is not valid FHIR R4 or not of an importable type; RecordNotFoundError for an unknown clinic.
    """
    entries = _entries(bundle)
    clinic_patients = services.patients(clinic_id)
    report = ImportReport()
    patients = _match_patients(entries, clinic_patients, report)
    for entry in entries:
        kind = entry.resource_type
        if kind == "Patient":
            continue
        if not entry.resource:
            report.issues.append(
                ImportIssue(
                    entry.path, "", None, "unsupported_resource", "an entry with no resource is not imported"
                )
            )
            continue
        if kind not in ("Observation", *_DOSE_TYPES):
            report.issues.append(
                ImportIssue(
                    entry.path, kind, entry.resource_id, "unsupported_resource", f"{kind} is not imported"
                )
            )
            continue
        patient = _subject(entry, patients, clinic_patients)
        if patient is None:
            subject = subject_reference(entry.resource) or "(none)"
            report.issues.append(
                ImportIssue(
                    f"{entry.path}.resource.subject",
                    kind,
                    entry.resource_id,
                    "unknown_patient",
                    f"subject {subject} is not a matched patient of this clinic",
                )
            )
            continue
        if kind == "Observation":
            _import_lab(services, entry, patient, actor, report)
        else:
            _import_dose(services, entry, patient, actor, report)
    return report
