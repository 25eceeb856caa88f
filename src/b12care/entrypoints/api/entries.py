"""Recording on a patient: doses, labs, symptom checks, reviews; marking an entry entered-in-error.

Each write stores the refreshed forecast in the same transaction and is audited with the user."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from b12care.entrypoints.api.deps import InScope, Prescriber, ServicesDep, Writer, entry_in_scope
from b12care.entrypoints.api.models import DoseIn, EnteredInErrorIn, LabIn, ReviewIn, SymptomsIn
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.views import record_json
from b12care.service.treatment import DoseInput

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["entries"], responses=problem_responses(401, 403, 404, 409, 422))


@router.post("/patients/{patient_id}/doses", status_code=201)
def record_dose(patient: InScope, body: DoseIn, user: Writer, services: ServicesDep) -> dict[str, Any]:
    """Record a dose given (or not done, with a reason); a repeated ``idempotency_key`` stores one."""
    entry = DoseInput(**body.model_dump())
    return record_json(services.record_dose(patient.id, entry, user.username))


@router.post("/patients/{patient_id}/labs", status_code=201)
def record_lab(patient: InScope, body: LabIn, user: Writer, services: ServicesDep) -> dict[str, Any]:
    """Record a laboratory result (its unit is checked against the patient's pack)."""
    record = services.record_lab(
        patient.id, test=body.test, value=body.value, unit=body.unit, day=body.date, actor=user.username
    )
    return record_json(record)


@router.post("/patients/{patient_id}/symptom-checks", status_code=201)
def record_symptoms(
    patient: InScope, body: SymptomsIn, user: Writer, services: ServicesDep
) -> dict[str, Any]:
    """Record a symptom check: scores 0-3 and the overall direction."""
    scores = {str(name): score for name, score in body.scores.items()}
    record = services.record_symptoms(patient.id, body.date, body.overall, scores, user.username)
    return record_json(record)


@router.post("/patients/{patient_id}/reviews", status_code=201)
def record_review(
    patient: InScope, body: ReviewIn, user: Prescriber, services: ServicesDep
) -> dict[str, Any]:
    """Record a clinical review; an interval change also makes a new plan version."""
    record = services.record_review(
        patient.id,
        day=body.date,
        decision=body.decision,
        actor=user.username,
        note=body.note,
        new_interval=body.new_interval,
    )
    return record_json(record)


@router.post("/entries/{kind}/{entry_id}/entered-in-error")
def mark_entered_in_error(
    kind: Literal["dose", "lab", "symptoms", "review"],
    entry_id: Annotated[str, Path(max_length=100)],
    body: EnteredInErrorIn,
    user: Writer,
    services: ServicesDep,
) -> dict[str, Any]:
    """Mark an entry entered-in-error: kept, marked with who, when and why, audited."""
    entry_in_scope(kind, entry_id, user, services)
    patient_id = services.mark_entered_in_error(kind, entry_id, body.reason, user.username)
    return {"kind": kind, "entry_id": entry_id, "patient_id": patient_id}
