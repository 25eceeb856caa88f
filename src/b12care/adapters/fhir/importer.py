"""Import a FHIR R4 Bundle into the treatment record through the ``Services`` use cases.

Patients are matched, never created: a Patient's identifier value is looked up as the patient
``reference`` within the clinic (a patient needs a case file to get a plan). Observations become
labs, MedicationAdministrations and MedicationStatements become doses.

FHIR ids are local to the system that made them, so every entry is keyed by its **source plus its id**,
``fhir:<source>|<type>/<id>``: the source is the base of the entry's absolute fullUrl, else the
resource's ``meta.source`` (without its ``#request`` part), else the importing EHR as the caller names
it, else the clinic (:func:`entry_source`). Two EHRs' ``MedicationAdministration/1`` never collide. The
same key again with the same content is a duplicate (stored once); with other content it is a
**conflict**, reported with both values - never dropped, never overwriting the stored entry.

The whole Bundle is validated (FHIR R4) and mapped first; then each patient's entries are stored in ONE
transaction with ONE forecast refresh (:func:`b12care.application.entry_batch.store_batch`), so an import
holds the database's write lock for a moment per patient, not for the whole import. Every entry ends up
in the report - imported, duplicate, conflict, matched, or an issue with its path - nothing is silently
dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

from b12care.adapters.fhir.inbound import (
    dose_from_administration,
    dose_from_statement,
    is_entered_in_error,
    lab_from_observation,
    not_done_reason,
    subject_reference,
    validate_resource,
)
from b12care.adapters.fhir.r4 import R4_ONLY_RESOURCE_TYPES, R4B_ONLY_RESOURCE_TYPES
from b12care.application.entry_batch import BatchItem, ItemResult, LabInput, store_batch
from b12care.application.records import DoseRecord, DoseSource, LabRecord, PatientRecord
from b12care.application.treatment import TEXT_LIMITS, DoseInput, Services
from b12care.domain.errors import (
    FhirResourceError,
    InputError,
    MalformedResourceError,
    TooManyEntriesError,
    UnknownCode,
)
from b12care.domain.history import AdministeredDose
from b12care.knowledge.terminology import load_terminology

__all__ = [
    "IMPORTABLE_BUNDLE_TYPES",
    "MAX_IMPORT_ENTRIES",
    "ImportConflict",
    "ImportIssue",
    "ImportReport",
    "ImportedEntry",
    "entry_key",
    "entry_source",
    "import_bundle",
]

IMPORTABLE_BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
MAX_BUNDLE_DEPTH = 64
"""Arrays and objects nested deeper are no FHIR Bundle (the official R4 examples nest at most 12 levels
inside one) and would exhaust Python's recursion when the Bundle is copied or validated."""
_DOSE_TYPES = ("MedicationAdministration", "MedicationStatement")
MAX_IMPORT_ENTRIES = 4000
"""Entries one import request may hold (the API's cap; ``b12care fhir import`` has none): about a second
and a half of work, during which other users' requests stay under 1 s at the 99th percentile
(docs/performance.md, "FHIR import"); more is a bulk load, to be split. The probe's 3,001 fit."""
_KEY_LIMIT = TEXT_LIMITS["idempotency_key"]


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


@dataclass(frozen=True, slots=True)
class ImportConflict:
    """An entry whose key (source + id) is stored with other content: neither stored nor overwriting.

    ``stored`` and ``incoming`` are the two versions' clinical content; ``record_id`` is the stored one.
    """

    path: str
    resource_type: str
    resource_id: str | None
    patient_id: str
    record_id: str
    source: str
    key: str
    stored: Mapping[str, str | None]
    incoming: Mapping[str, str | None]
    message: str


@dataclass(slots=True)
class ImportReport:
    """What an import did with every entry of the bundle."""

    imported: list[ImportedEntry] = field(default_factory=list)
    duplicates: list[ImportedEntry] = field(default_factory=list)
    conflicts: list[ImportConflict] = field(default_factory=list)
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
            "conflicts": [
                {
                    "path": c.path,
                    "resourceType": c.resource_type,
                    "id": c.resource_id,
                    "patient_id": c.patient_id,
                    "record_id": c.record_id,
                    "source": c.source,
                    "key": c.key,
                    "stored": dict(c.stored),
                    "incoming": dict(c.incoming),
                    "message": c.message,
                }
                for c in self.conflicts
            ],
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
    model: Resource | None = None  # the resource as validated (None: not validated, or no resource)

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


def _validate_shell_and_resources(bundle: Mapping[str, Any]) -> dict[int, Resource]:
    """Validate the Bundle with the R4B models: its shell (entries without their resources), then each
    resource with its own model, in order; MalformedResourceError naming the first bad element
    (``Bundle.entry[3].resource.code.coding``).

    The same checks as validating the whole Bundle in one call, but in one short call per resource: a
    call into the validator holds Python's interpreter lock throughout, and one call over a 3,000-entry
    Bundle held it for most of a second, stalling every other request of the server process. R4 types
    that R4B removed (``r4.R4_ONLY_RESOURCE_TYPES``) are not validated, and later reported as
    unsupported resources, so a real R4 bundle holding one still imports.
    """
    items = bundle.get("entry")
    shell = dict(bundle)
    if isinstance(items, list):
        shell["entry"] = [
            {k: v for k, v in item.items() if k != "resource"} if isinstance(item, Mapping) else item
            for item in items
        ]
    validate_resource(shell, Bundle)
    models: dict[int, Resource] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        resource = item.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise MalformedResourceError(
                "Bundle", None, f"entry[{index}].resource", "a resource is a JSON object with a resourceType"
            )
        if resource["resourceType"] in R4_ONLY_RESOURCE_TYPES:
            continue
        try:
            model = cast("type[Resource]", get_fhir_model_class(resource["resourceType"]))
            models[index] = validate_resource(resource, model)
        except MalformedResourceError as error:
            element = f"entry[{index}].resource" + (f".{error.element}" if error.element else "")
            raise MalformedResourceError("Bundle", None, element, error.message) from error
    return models


def _entries(bundle: Mapping[str, Any]) -> list[_Entry]:
    """Validate the Bundle (shell and every resource) with the R4B models; raise naming the element."""
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
    models = _validate_shell_and_resources(bundle)
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
        url = full_url if isinstance(full_url, str) else None
        entries.append(_Entry(path, url, resource, models.get(index)))
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
            if not isinstance(entry.model, Patient):
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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_source(resource: Mapping[str, Any], full_url: str | None, fallback: str) -> str:
    """Who made the entry's id: the base of an absolute fullUrl (``https://ehr.example/fhir`` for
    ``https://ehr.example/fhir/MedicationAdministration/1``), else ``meta.source`` without its
    ``#request`` part, else ``fallback`` (the importing EHR, else ``clinic:<id>``).

    A ``urn:uuid:``/``urn:oid:`` fullUrl names one resource, not a server: it gives no source.
    """
    if full_url and "://" in full_url:
        url = full_url.split("/_history/")[0]
        marker = f"/{resource.get('resourceType')}/"
        base = url[: url.rfind(marker)] if marker in url else url.rsplit("/", 1)[0]
        if base and "://" in base:
            return base
    meta = resource.get("meta")
    declared = meta.get("source") if isinstance(meta, Mapping) else None
    if isinstance(declared, str) and declared.split("#")[0].strip():
        return declared.split("#")[0].strip()
    return fallback


def entry_key(resource: Mapping[str, Any], full_url: str | None, source: str) -> str:
    """``fhir:<source>|<type>/<id>``: the id as its source made it. Without an id the fullUrl stands for
    it, without either a hash of the resource; a source too long for the key is hashed."""
    kind = resource.get("resourceType")
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        local = f"{kind}/{rid}"
    elif full_url:
        local = full_url
    else:
        local = f"{kind}#sha256:{_digest(json.dumps(resource, sort_keys=True))[:32]}"
    key = f"fhir:{source}|{local}"
    if len(key) > _KEY_LIMIT:
        key = f"fhir:sha256:{_digest(source)[:32]}|{local}"
    if len(key) > _KEY_LIMIT:
        key = f"fhir:sha256:{_digest(f'{source}|{local}')}"
    return key


def _legacy_key(resource: Mapping[str, Any], full_url: str | None) -> str:
    """The key the importer gave a dose before keys named the source (``fhir:<type>/<id>``): a dose
    stored under it counts as this source's, so importing the same bundle again stores nothing twice."""
    kind = resource.get("resourceType")
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return f"fhir:{kind}/{rid}"
    if full_url:
        return f"fhir:{full_url}"
    return f"fhir:{kind}#sha256:{_digest(json.dumps(resource, sort_keys=True))[:32]}"


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


def _dose_input(entry: _Entry, dose: AdministeredDose, key: str) -> DoseInput:
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
        idempotency_key=key,
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


@dataclass(frozen=True, slots=True)
class _Planned:
    """A mapped entry, ready to store for its patient."""

    index: int
    entry: _Entry
    patient: PatientRecord
    source: str
    item: BatchItem


def _plan_dose(
    index: int, entry: _Entry, patient: PatientRecord, source: str, report: ImportReport
) -> _Planned | None:
    try:
        model = entry.model
        if isinstance(model, MedicationAdministration) or entry.resource_type == "MedicationAdministration":
            given = model if isinstance(model, MedicationAdministration) else None
            dose = dose_from_administration(entry.resource, validated=given)
        else:
            taken = model if isinstance(model, MedicationStatement) else None
            dose = dose_from_statement(entry.resource, validated=taken)
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
            return None
        report.issues.append(_issue(entry, "unknown_code", error))
        return None
    except FhirResourceError as error:
        report.issues.append(_issue(entry, "missing_element", error))
        return None
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
        return None
    key = entry_key(entry.resource, entry.full_url, source)
    item = BatchItem(
        _dose_input(entry, dose, key),
        aliases=(_legacy_key(entry.resource, entry.full_url),),
        record_id=entry.resource_id,  # our own export names a dose by its record id
    )
    return _Planned(index, entry, patient, source, item)


def _plan_lab(
    index: int, entry: _Entry, patient: PatientRecord, source: str, report: ImportReport
) -> _Planned | None:
    try:
        model = entry.model
        lab = lab_from_observation(
            entry.resource, validated=model if isinstance(model, Observation) else None
        )
    except UnknownCode as error:
        report.issues.append(_issue(entry, "unknown_code", error))
        return None
    except FhirResourceError as error:
        report.issues.append(_issue(entry, "missing_element", error))
        return None
    key = entry_key(entry.resource, entry.full_url, source)
    return _Planned(
        index, entry, patient, source, BatchItem(LabInput(lab.date, lab.test, lab.value, lab.unit, key))
    )


def _values(entry: DoseInput | LabInput | DoseRecord | LabRecord) -> dict[str, str | None]:
    """What a conflict shows of each side: the clinical content, as text."""
    if isinstance(entry, LabInput | LabRecord):
        return {
            "date": entry.date.isoformat(),
            "test": entry.test,
            "value": str(entry.value),
            "unit": entry.unit,
        }
    amount, unit = (
        (entry.dose, entry.dose_unit) if isinstance(entry, DoseRecord) else (entry.dose, entry.unit)
    )
    status = (
        entry.status
        if isinstance(entry, DoseRecord)
        else ("not_done" if entry.not_done_reason else "completed")
    )
    return {
        "date": entry.date.isoformat(),
        "status": status,
        "drug": entry.drug,
        "dose": None if amount is None else str(amount),
        "unit": unit,
        "route": entry.route,
        "site": entry.site,
        "given_by": entry.given_by,
        "not_done_reason": entry.not_done_reason,
    }


def _summary(values: Mapping[str, str | None]) -> str:
    return " ".join(
        str(values[k])
        for k in ("date", "status", "test", "drug", "value", "dose", "unit", "route")
        if values.get(k) is not None
    )


def _conflict(planned: _Planned, stored: DoseRecord | LabRecord) -> ImportConflict:
    entry = planned.entry
    incoming, kept = _values(planned.item.entry), _values(stored)
    key = planned.item.key or ""
    return ImportConflict(
        entry.path,
        entry.resource_type,
        entry.resource_id,
        planned.patient.id,
        stored.id,
        planned.source,
        key,
        kept,
        incoming,
        f"{entry.resource_type}/{entry.resource_id or '(no id)'} from {planned.source} is stored with other "
        f"content ({_summary(kept)}); this entry ({_summary(incoming)}) was not stored and the stored one "
        "is unchanged: a person decides which is right",
    )


def _store(services: Services, planned: list[_Planned], actor: str, report: ImportReport) -> None:
    """Store each patient's entries in one transaction with one forecast refresh; report each in order."""
    groups: dict[str, list[_Planned]] = {}
    for item in planned:
        groups.setdefault(item.patient.id, []).append(item)
    outcomes: list[tuple[int, _Planned, ItemResult]] = []
    for patient_id, group in groups.items():
        results = store_batch(services, patient_id, [p.item for p in group], actor)
        outcomes.extend((p.index, p, r) for p, r in zip(group, results, strict=True))
    for _, item, result in sorted(outcomes, key=lambda o: o[0]):
        entry = item.entry
        done = ImportedEntry(entry.path, entry.resource_type, entry.resource_id, item.patient.id, "")
        if result.outcome == "rejected":
            assert result.error is not None
            report.issues.append(_issue(entry, "rejected", _in_fhir_terms(entry, result.error)))
        elif result.record is None:  # pragma: no cover - every other outcome names its record
            raise AssertionError(f"{result.outcome} without a record")
        elif result.outcome == "stored":
            report.imported.append(_with_record(done, result.record.id))
        elif result.outcome == "duplicate":
            report.duplicates.append(_with_record(done, result.record.id))
        else:
            report.conflicts.append(_conflict(item, result.record))


_ELEMENTS = {  # the record's field -> the element it came from, per resource type
    "Observation": {"labs[0].unit": "valueQuantity.code", "value": "valueQuantity.value"},
    "MedicationAdministration": {
        "dose": "dosage.dose.value",
        "unit": "dosage.dose.code",
        "site": "dosage.site",
        "given_by": "performer",
        "not_done_reason": "statusReason",
    },
    "MedicationStatement": {
        "dose": "dosage[0].doseAndRate[0].doseQuantity.value",
        "unit": "dosage[0].doseAndRate[0].doseQuantity.code",
        "not_done_reason": "statusReason",
    },
}


def _in_fhir_terms(entry: _Entry, error: InputError) -> InputError:
    """The record's refusal named by the FHIR element the value came from (``valueQuantity.code``)."""
    element = _ELEMENTS.get(entry.resource_type, {}).get(error.field)
    return InputError(element, error.message) if element else error


def _with_record(item: ImportedEntry, record_id: str) -> ImportedEntry:
    return ImportedEntry(item.path, item.resource_type, item.resource_id, item.patient_id, record_id)


def _checked_source(source: str | None, clinic_id: str) -> str:
    """The importing EHR as the caller names it (else the clinic): the source of ids with no other."""
    if source is None:
        return f"clinic:{clinic_id}"
    text = source.strip()
    if not text:
        raise InputError("source", "must not be empty (leave it out to key ids by the clinic)")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError("source", "contains a control character")
    if len(text) > _KEY_LIMIT:
        raise InputError("source", f"longer than {_KEY_LIMIT} characters")
    return text


def _check_size(bundle: Mapping[str, Any], max_entries: int | None) -> None:
    entries = bundle.get("entry") if isinstance(bundle, Mapping) else None
    count = len(entries) if isinstance(entries, list) else 0
    if max_entries is not None and count > max_entries:
        raise TooManyEntriesError(count, max_entries)


def import_bundle(
    services: Services,
    bundle: Mapping[str, Any],
    clinic_id: str,
    actor: str,
    *,
    source: str | None = None,
    max_entries: int | None = None,
) -> ImportReport:
    """Import a Bundle's Observations and dose resources for the clinic's patients; report every entry.

    Every entry is keyed by its source plus its id (:func:`entry_source`; ``source`` names the importing
    EHR for entries that name none, else the clinic stands for it). The whole Bundle is validated (FHIR
    R4) and mapped before anything is stored; then each patient's entries are stored in one transaction
    with one forecast refresh.

    Raises TooManyEntriesError when the Bundle has more than ``max_entries`` entries; InputError (naming
    the element, e.g. ``Bundle.entry[0].resource.status``) when the bundle itself is not valid FHIR R4
    or not of an importable type; RecordNotFoundError for an unknown clinic.
    """
    _check_size(bundle, max_entries)
    fallback = _checked_source(source, clinic_id)
    entries = _entries(bundle)
    clinic_patients = services.patients(clinic_id)
    report = ImportReport()
    patients = _match_patients(entries, clinic_patients, report)
    planned: list[_Planned] = []
    for index, entry in enumerate(entries):
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
        origin = entry_source(entry.resource, entry.full_url, fallback)
        plan = _plan_lab if kind == "Observation" else _plan_dose
        found = plan(index, entry, patient, origin, report)
        if found is not None:
            planned.append(found)
    _store(services, planned, actor, report)
    report.issues.sort(key=lambda issue: _entry_index(issue.path))
    return report


def _entry_index(path: str) -> int:
    """The entry number of a path such as ``Bundle.entry[12].resource.code`` (report order)."""
    number = path.partition("[")[2].partition("]")[0]
    return int(number) if number.isdigit() else -1
