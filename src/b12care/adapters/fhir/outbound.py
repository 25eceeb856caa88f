"""Export one patient's plan and record as a FHIR R4 (4.0.1) Bundle of type collection.

The Bundle holds the Patient, a CarePlan (activities: the MedicationRequest, the milestones, the
next dose), a MedicationRequest whose ``dosageInstruction`` lists the plan's phases in order
(``sequence`` 1, 2, ...: loading, then maintenance), a MedicationAdministration per recorded dose
and an Observation per lab. Codes come from ``knowledge/terminology.yaml`` only; where FACTS.md 6
has none (routes, some tests) the element carries text. Every resource is validated with the
``fhir.resources.R4B`` models before it is returned.

Reference: FACTS.md 6 (the codes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from b12care.adapters.fhir.inbound import UNSPECIFIED_B12
from b12care.application.export import patients_to_export
from b12care.application.records import DoseRecord, LabRecord
from b12care.application.treatment import PatientView, Services
from b12care.domain.calendar import Interval
from b12care.domain.milestones import Milestone
from b12care.domain.plan import Plan
from b12care.domain.quantity import Quantity
from b12care.domain.schedule import PlannedPhase
from b12care.knowledge.terminology import Terminology, load_terminology

__all__ = ["FHIR_VERSION", "dosage_of", "export_patient", "export_patient_record"]

FHIR_VERSION = "4.0.1"
_PERIOD_UNITS = {"day": "d", "week": "wk", "month": "mo"}
_INJECTED = ("IM", "SC", "IV")


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model of its type and return the model's own JSON (no empty elements)."""
    model = get_fhir_model_class(str(resource["resourceType"]))
    parsed = model.model_validate(resource)
    data: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True, by_alias=True)
    return data


def _text(value: str | None) -> str | None:
    """Free text as a FHIR string, or None when it has nothing FHIR can carry: a FHIR string needs one
    character other than whitespace, and the record may hold text of spaces or control characters
    typed into a form (the element is then left out rather than the export failing)."""
    return value if value is not None and value.strip() else None


def _decimal(value: Decimal) -> int | float:
    """A JSON number for a FHIR decimal (exact for the doses and lab values b12care stores)."""
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _quantity(quantity: Quantity, terms: Terminology) -> dict[str, Any]:
    data: dict[str, Any] = {"value": _decimal(quantity.value), "unit": quantity.unit}
    ucum = terms.ucum_for(quantity.unit)
    if ucum is not None:
        data |= {"system": terms.systems.ucum, "code": ucum}
    return data


def _medication(drug: str | None, routes: Sequence[str | None], terms: Terminology) -> dict[str, Any]:
    """The drug with ATC, plus RxNorm only when every route is an injection (the RxNorm codes name one)."""
    if drug is None:
        return {"text": f"{UNSPECIFIED_B12} (drug not recorded)"}
    code = terms.drug_code(drug)
    coding = [{"system": terms.systems.atc, "code": code.atc, "display": drug}]
    if routes and all(route in _INJECTED for route in routes):
        coding.insert(0, {"system": terms.systems.rxnorm, "code": code.rxnorm, "display": code.label})
    return {"coding": coding, "text": drug}


def _route(route: str | None) -> dict[str, Any] | None:
    return {"text": route} if route else None


def _repeat(phase: PlannedPhase) -> dict[str, Any]:
    repeat: dict[str, Any] = {}
    if phase.times_per_week:
        repeat |= {"frequency": phase.times_per_week, "period": 1, "periodUnit": "wk"}
    elif phase.interval is not None:
        low: Interval = phase.interval
        repeat |= {"frequency": 1, "period": low.value, "periodUnit": _PERIOD_UNITS[low.unit]}
        if phase.interval_range is not None:
            first, last = phase.interval_range
            if first.unit == last.unit and first.value != last.value:
                repeat |= {
                    "period": first.value,
                    "periodMax": last.value,
                    "periodUnit": _PERIOD_UNITS[first.unit],
                }
    if phase.doses:
        bounds: dict[str, str] = {"start": phase.doses[0].date.isoformat()}
        if phase.end == "fixed":
            bounds["end"] = phase.doses[-1].date.isoformat()
            repeat["count"] = len(phase.doses)
        repeat["boundsPeriod"] = bounds
    return repeat


def dosage_of(phase: PlannedPhase, sequence: int, terms: Terminology | None = None) -> dict[str, Any]:
    """One plan phase as a FHIR Dosage: sequence, text, timing.repeat, route (text), doseAndRate."""
    terms = terms or load_terminology()
    dosage: dict[str, Any] = {"sequence": sequence, "text": f"{phase.kind}: {phase.wording}"}
    if phase.condition:
        dosage["additionalInstruction"] = [{"text": phase.condition}]
    dosage["timing"] = {"repeat": _repeat(phase)}
    if phase.doses:
        first = phase.doses[0]
        dosage["route"] = _route(first.route)
        dosage["doseAndRate"] = [{"doseQuantity": _quantity(first.dose, terms)}]
    return dosage


def _reference(kind: str, record_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{record_id}"} | {"type": kind}


def _milestone_activity(milestone: Milestone) -> dict[str, Any]:
    period = {"start": milestone.date.isoformat()}
    if milestone.due_by is not None:
        period["end"] = milestone.due_by.isoformat()
    return {
        "detail": {
            "kind": "ServiceRequest" if milestone.kind == "lab" else "Appointment",
            "status": "scheduled",
            "description": f"{milestone.what} (rule {milestone.rule_id}; {', '.join(milestone.citations)})",
            "scheduledPeriod": period,
        }
    }


def _care_plan(view: PatientView, plan: Plan, request_id: str) -> dict[str, Any]:
    patient = view.patient
    activities: list[dict[str, Any]] = [{"reference": _reference("MedicationRequest", request_id)}]
    next_dose = view.forecast.next_dose
    if next_dose is not None:
        activities.append(
            {
                "detail": {
                    "kind": "MedicationRequest",
                    "status": "scheduled",
                    "description": (
                        f"Next dose ({next_dose.phase}): earliest {next_dose.earliest}, due {next_dose.due}, "
                        f"overdue from {next_dose.overdue} (forecast as of {view.forecast.as_of})"
                    ),
                    "scheduledPeriod": {
                        "start": next_dose.earliest.isoformat(),
                        "end": next_dose.overdue.isoformat(),
                    },
                }
            }
        )
    activities.extend(_milestone_activity(m) for m in plan.milestones)
    return {
        "resourceType": "CarePlan",
        "id": view.plan_version.id,
        "status": "revoked" if patient.entered_in_error is not None else "active",
        "intent": "plan",
        "title": f"Vitamin B12 treatment plan, version {view.plan_version.version}",
        "description": " then ".join(f"{p.kind}: {p.wording}" for p in plan.phases),
        "subject": _reference("Patient", patient.id),
        "period": {"start": plan.case.start_date.isoformat()},
        "created": view.plan_version.created_at.isoformat(),
        "activity": activities,
        "note": [
            {"text": f"Knowledge pack {plan.pack_id} version {plan.pack_version} (sha256 {plan.pack_hash})"},
            {"text": f"Forecast status on {view.forecast.as_of}: {view.forecast.status}"},
        ],
    }


def _medication_request(view: PatientView, plan: Plan, request_id: str, terms: Terminology) -> dict[str, Any]:
    routes = [dose.route for phase in plan.phases for dose in phase.doses[:1]]
    return {
        "resourceType": "MedicationRequest",
        "id": request_id,
        "status": "active" if view.patient.entered_in_error is None else "entered-in-error",
        "intent": "plan",
        "medicationCodeableConcept": _medication(plan.selection.regimen.drug, routes, terms),
        "subject": _reference("Patient", view.patient.id),
        "authoredOn": view.plan_version.created_at.isoformat(),
        "dosageInstruction": [dosage_of(phase, n, terms) for n, phase in enumerate(plan.phases, start=1)],
        "note": [{"text": f"Regimen {plan.selection.record.id} of pack {plan.pack_id} {plan.pack_version}"}],
    }


def _patient(view: PatientView) -> dict[str, Any]:
    patient = view.patient
    return {
        "resourceType": "Patient",
        "id": patient.id,
        "identifier": [
            {"system": f"urn:b12care:clinic:{patient.clinic_id}", "value": _text(patient.reference)}
        ],
        "active": patient.entered_in_error is None,
        "name": [{"text": _text(patient.name)}] if _text(patient.name) else None,
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
    }


def _administration(dose: DoseRecord, terms: Terminology) -> dict[str, Any]:
    if dose.entered_in_error is not None:
        status = "entered-in-error"
    else:
        status = "completed" if dose.status == "completed" else "not-done"
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": dose.id,
        "status": status,
        "medicationCodeableConcept": _medication(dose.drug, [dose.route], terms),
        "subject": _reference("Patient", dose.patient_id),
        "effectiveDateTime": dose.date.isoformat(),
    }
    if _text(dose.not_done_reason):
        resource["statusReason"] = [{"text": dose.not_done_reason}]
    if _text(dose.given_by):
        resource["performer"] = [{"actor": {"display": dose.given_by}}]
    dosage: dict[str, Any] = {}
    if _text(dose.site):
        dosage["site"] = {"text": dose.site}
    if dose.route:
        dosage["route"] = _route(dose.route)
    if dose.dose is not None and dose.dose_unit:
        dosage["dose"] = _quantity(Quantity(dose.dose, dose.dose_unit), terms)
    if dosage:
        resource["dosage"] = dosage
    notes = [f"source: {dose.source}; recorded by {dose.recorded_by} at {dose.recorded_at.isoformat()}"]
    if dose.lot:
        notes.append(f"lot {dose.lot}")
    if dose.entered_in_error is not None:
        mark = dose.entered_in_error
        notes.append(f"entered in error by {mark.by} at {mark.at.isoformat()}: {mark.reason}")
    resource["note"] = [{"text": text} for text in notes]
    return resource


def _observation(lab: LabRecord, terms: Terminology) -> dict[str, Any]:
    code = terms.lab_for_test(lab.test)
    concept: dict[str, Any] = {"text": lab.test}
    if code is not None:
        concept["coding"] = [{"system": terms.systems.loinc, "code": code.loinc}]
        concept["text"] = code.label
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": lab.id,
        "status": "entered-in-error" if lab.entered_in_error is not None else "final",
        "code": concept,
        "subject": _reference("Patient", lab.patient_id),
        "effectiveDateTime": lab.date.isoformat(),
        "valueQuantity": _quantity(Quantity(lab.value, lab.unit), terms),
    }
    if lab.entered_in_error is not None:
        mark = lab.entered_in_error
        resource["note"] = [
            {"text": f"entered in error by {mark.by} at {mark.at.isoformat()}: {mark.reason}"}
        ]
    return resource


def export_patient(
    view: PatientView, doses: Sequence[DoseRecord] = (), labs: Sequence[LabRecord] = ()
) -> dict[str, Any]:
    """The patient, plan and record as a validated FHIR R4 Bundle (type collection), as JSON-ready data."""
    terms = load_terminology()
    plan = view.forecast.plan
    request_id = _request_id(view.plan_version.id)
    resources = [
        _patient(view),
        _care_plan(view, plan, request_id),
        _medication_request(view, plan, request_id, terms),
        *(_administration(dose, terms) for dose in doses),
        *(_observation(lab, terms) for lab in labs),
    ]
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": _validated(r)} for r in resources]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": dt.datetime.combine(view.forecast.as_of, dt.time(), tzinfo=dt.UTC).isoformat(),
        "entry": entries,
    }
    Bundle.model_validate(bundle)
    return bundle


def _request_id(plan_version_id: str) -> str:
    """A stable MedicationRequest id for a plan version (a name-based UUID, the same on every export)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:b12care:medication-request:{plan_version_id}"))


def export_patient_record(
    services: Services, patient_id: str, as_of: dt.date | None = None, *, actor: str
) -> dict[str, Any]:
    """Load the patient's view and whole record (entered-in-error entries included) and export it.

    Audited like every export of the record, whichever face asks (``record.export``: ``actor``, the
    patient's id, format ``fhir``; no patient data). RecordNotFoundError naming ``patient`` first.
    """
    patients_to_export(services.uow, services.clock, actor=actor, output="fhir", patient_id=patient_id)
    view = services.view(patient_id, as_of)
    with services.uow() as uow:
        doses = uow.doses.list_for(patient_id)
        labs = uow.labs.list_for(patient_id)
    return export_patient(view, doses, labs)
