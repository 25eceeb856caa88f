"""Clinics: the user's own; an admin creates one (and becomes its admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from b12care.application.accounts import Identity
from b12care.entrypoints.api.deps import AccountsDep, OfClinic, ServicesDep, Somewhere
from b12care.entrypoints.api.models import ClinicIn
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import ClinicOut
from b12care.entrypoints.api.views import record_json

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/clinics", tags=["clinics"], responses=problem_responses(401, 403, 404, 422)
)


@router.get("", response_model=list[ClinicOut])
def list_clinics(
    user: Annotated[Identity, Somewhere("read_patient")], services: ServicesDep
) -> list[dict[str, Any]]:
    """The clinics the user is a member of."""
    with services.uow() as uow:
        return [record_json(uow.clinics.get(clinic_id)) for clinic_id in sorted(user.clinic_ids)]


@router.post("", status_code=201, response_model=ClinicOut)
def add_clinic(
    body: ClinicIn,
    admin: Annotated[Identity, Somewhere("add_clinic")],
    services: ServicesDep,
    users: AccountsDep,
) -> dict[str, Any]:
    """Create a clinic; the admin who creates it becomes its admin."""
    clinic = services.add_clinic(body.name, admin.username)
    users.grant(admin.username, clinic.id, "admin", admin.username)
    return record_json(clinic)


@router.get("/{clinic_id}", response_model=ClinicOut)
def show_clinic(clinic_id: Annotated[str, OfClinic("read_patient")], services: ServicesDep) -> dict[str, Any]:
    """One of the user's clinics (404 for the others)."""
    with services.uow() as uow:
        return record_json(uow.clinics.get(clinic_id))
