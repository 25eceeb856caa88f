"""Clinics: the user's own; an admin creates one (and becomes its member)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from b12care.entrypoints.api.deps import AccountsDep, Admin, CurrentUser, ServicesDep
from b12care.entrypoints.api.models import ClinicIn
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.views import record_json
from b12care.service.ports import RecordNotFoundError

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/clinics", tags=["clinics"], responses=problem_responses(401, 403, 404, 422)
)


@router.get("")
def list_clinics(user: CurrentUser, services: ServicesDep) -> list[dict[str, Any]]:
    """The clinics the user is a member of."""
    with services.uow() as uow:
        return [record_json(uow.clinics.get(clinic_id)) for clinic_id in sorted(user.clinic_ids)]


@router.post("", status_code=201)
def add_clinic(body: ClinicIn, admin: Admin, services: ServicesDep, users: AccountsDep) -> dict[str, Any]:
    """Create a clinic; the admin who creates it becomes a member."""
    clinic = services.add_clinic(body.name, admin.username)
    users.update_user(admin.username, admin.username, clinic_ids=[*admin.clinic_ids, clinic.id])
    return record_json(clinic)


@router.get("/{clinic_id}")
def show_clinic(
    clinic_id: Annotated[str, Path(max_length=100)], user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """One of the user's clinics (404 for the others)."""
    if not user.sees(clinic_id):
        raise RecordNotFoundError("clinic", clinic_id)
    with services.uow() as uow:
        return record_json(uow.clinics.get(clinic_id))
