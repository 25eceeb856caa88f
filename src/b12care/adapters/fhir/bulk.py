"""Export several patients - one, or every patient of a clinic - as ONE FHIR R4 Bundle (collection).

Each patient contributes exactly the resources of the single-patient export
(:func:`b12care.adapters.fhir.outbound.export_patient`: Patient, CarePlan, MedicationRequest, a
MedicationAdministration per dose, an Observation per lab, entered-in-error ones included and marked),
each validated with the R4B models, and each patient's Bundle too; the combined Bundle's envelope is
validated and its ``fullUrl``s checked to be unique (resource ids are the record's UUIDs), rather than
validating every resource a second time: that doubled the time and memory of a large clinic's export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from b12care.adapters.fhir.outbound import export_patient
from b12care.service.export import BATCH
from b12care.service.records import PatientRecord
from b12care.service.treatment import Services

__all__ = ["export_patients"]


def export_patients(
    services: Services, patients: Sequence[PatientRecord], as_of: dt.date | None = None
) -> dict[str, Any]:
    """The patients' plans and records as one validated FHIR R4 Bundle (type collection)."""
    day = as_of or services.today()
    entries: list[dict[str, Any]] = []
    for start in range(0, len(patients), BATCH):
        ids = [p.id for p in patients[start : start + BATCH]]
        with services.uow(read_only=True) as uow:
            doses, labs = uow.doses.list_for_many(ids), uow.labs.list_for_many(ids)
        for patient_id in ids:
            view = services.view(patient_id, day)
            bundle = export_patient(view, doses.get(patient_id, []), labs.get(patient_id, []))
            entries.extend(bundle["entry"])
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).isoformat(),
        "entry": entries,
    }
    urls = [entry["fullUrl"] for entry in entries]
    if len(set(urls)) != len(urls):  # bdl-7: a fullUrl is unique within a Bundle
        raise ValueError("two exported resources share a fullUrl")
    Bundle.model_validate(bundle | {"entry": []})  # the envelope; every entry was validated above
    return bundle
