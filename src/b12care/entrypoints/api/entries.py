"""Recording on a patient: doses, labs, symptom checks, reviews; marking an entry entered-in-error.

Each write stores the refreshed forecast in the same transaction and is audited with the user."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from b12care.application.permissions import review_actions
from b12care.application.records import PatientRecord
from b12care.application.treatment import DoseInput
from b12care.entrypoints.api.deps import CurrentUser, OfEntry, OfPatient, ServicesDep
from b12care.entrypoints.api.models import DoseIn, EnteredInErrorIn, LabIn, ReviewIn, SymptomsIn
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import DoseOut, EntryMarkedOut, LabOut, ReviewOut, SymptomCheckOut
from b12care.entrypoints.api.views import record_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["entries"], responses=problem_responses(401, 403, 404, 409, 422))


@router.post("/patients/{patient_id}/doses", status_code=201, response_model=DoseOut)
def record_dose(
    patient: Annotated[PatientRecord, OfPatient("record_dose")],
    body: DoseIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Record a dose given (or not done, with a reason); a repeated ``idempotency_key`` stores one."""
    entry = DoseInput(**body.model_dump())
    return record_json(services.record_dose(patient.id, entry, user.username))


@router.post("/patients/{patient_id}/labs", status_code=201, response_model=LabOut)
def record_lab(
    patient: Annotated[PatientRecord, OfPatient("record_lab")],
    body: LabIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Record a laboratory result (its unit is checked against the patient's pack)."""
    record = services.record_lab(
        patient.id, test=body.test, value=body.value, unit=body.unit, day=body.date, actor=user.username
    )
    return record_json(record)


@router.post("/patients/{patient_id}/symptom-checks", status_code=201, response_model=SymptomCheckOut)
def record_symptoms(
    patient: Annotated[PatientRecord, OfPatient("record_symptoms")],
    body: SymptomsIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Record a symptom check: scores 0-3 and the overall direction."""
    scores = {str(name): score for name, score in body.scores.items()}
    record = services.record_symptoms(patient.id, body.date, body.overall, scores, user.username)
    return record_json(record)


@router.post("/patients/{patient_id}/reviews", status_code=201, response_model=ReviewOut)
def record_review(
    patient: Annotated[PatientRecord, OfPatient("record_review")],
    body: ReviewIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Record a clinical review; an interval change also makes a new plan version."""
    for action in review_actions(body.decision, body.new_interval):  # a stop, a plan change
        user.require(action, patient.clinic_id)
    record = services.record_review(
        patient.id,
        day=body.date,
        decision=body.decision,
        actor=user.username,
        note=body.note,
        new_interval=body.new_interval,
    )
    return record_json(record)


@router.post("/entries/{kind}/{entry_id}/entered-in-error", response_model=EntryMarkedOut)
def mark_entered_in_error(
    kind: Literal["dose", "lab", "symptoms", "review"],
    entry_id: Annotated[str, Path(max_length=100)],
    _: Annotated[str, OfEntry("mark_entered_in_error")],
    body: EnteredInErrorIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Mark an entry entered-in-error: kept, marked with who, when and why, audited (a review only by a
    prescriber: it undoes their decision)."""
    patient_id = services.mark_entered_in_error(kind, entry_id, body.reason, user.username)
    return {"kind": kind, "entry_id": entry_id, "patient_id": patient_id}
