"""Export several patients - one, or every patient of a clinic - as ONE FHIR R4 Bundle (collection).

Each patient contributes exactly the resources of the single-patient export
(:func:`b12care.adapters.fhir.outbound.export_patient`: Patient, CarePlan, MedicationRequest, a
MedicationAdministration per dose, an Observation per lab, entered-in-error ones included and marked),
each validated with the R4B models, and each patient's Bundle too. The combined Bundle's envelope is
validated and its ``fullUrl``s checked to be unique (resource ids are the record's UUIDs) rather than
validating every resource a second time, and the JSON is produced patient by patient
(:func:`bundle_chunks`, one entry per line): memory stays that of one batch of patients however large
the clinic.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from b12care.adapters.fhir.outbound import export_patient
from b12care.application.export import BATCH
from b12care.application.records import PatientRecord
from b12care.application.treatment import Services

__all__ = ["bundle_chunks", "export_patients"]


def _envelope(day: dt.date) -> dict[str, Any]:
    envelope = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).isoformat(),
    }
    Bundle.model_validate(envelope)
    return envelope


def _entries(services: Services, patients: Sequence[PatientRecord], day: dt.date) -> Iterator[dict[str, Any]]:
    """Every patient's validated entries in turn; ValueError if a fullUrl came twice (bdl-7)."""
    seen: set[str] = set()
    for start in range(0, len(patients), BATCH):
        ids = [p.id for p in patients[start : start + BATCH]]
        with services.uow(read_only=True) as uow:
            doses, labs = uow.doses.list_for_many(ids), uow.labs.list_for_many(ids)
        for patient_id in ids:
            view = services.view(patient_id, day)
            for entry in export_patient(view, doses.get(patient_id, []), labs.get(patient_id, []))["entry"]:
                if entry["fullUrl"] in seen:
                    raise ValueError(f"two exported resources share the fullUrl {entry['fullUrl']}")
                seen.add(entry["fullUrl"])
                yield entry


def bundle_chunks(
    services: Services, patients: Sequence[PatientRecord], as_of: dt.date | None = None
) -> Iterator[str]:
    """The patients' plans and records as the JSON text of one FHIR R4 Bundle, in pieces."""
    envelope = json.dumps(_envelope(as_of or services.today()), ensure_ascii=False)
    yield envelope[:-1] + ', "entry": [\n'
    separator = ""
    for entry in _entries(services, patients, as_of or services.today()):
        yield separator + json.dumps(entry, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"


def export_patients(
    services: Services, patients: Sequence[PatientRecord], as_of: dt.date | None = None
) -> dict[str, Any]:
    """The same Bundle as one dict (for small exports and tests)."""
    day = as_of or services.today()
    return _envelope(day) | {"entry": list(_entries(services, patients, day))}
