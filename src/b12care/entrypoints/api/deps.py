"""Request dependencies: the use cases, the acting user, role checks and clinic scope.

Routes declare what they need with the ``Annotated`` aliases::

    @router.post("/patients/{patient_id}/doses")
    def record(patient: InScope, user: Writer, services: ServicesDep) -> ...

A patient of a clinic the user is not a member of is answered 404, exactly as one that does not
exist, so ids of other clinics' patients cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer

from b12care.config import Settings
from b12care.entrypoints.app_state import accounts_of as accounts
from b12care.entrypoints.app_state import services_of as services
from b12care.service.accounts import (
    PRESCRIBERS,
    Accounts,
    AuthenticationError,
    Identity,
    PermissionDeniedError,
)
from b12care.service.ports import EntryRepository, RecordNotFoundError, UnitOfWork
from b12care.service.records import PatientRecord
from b12care.service.treatment import EntryKind, Services

__all__ = [
    "AccountsDep",
    "Admin",
    "CurrentUser",
    "InScope",
    "Prescriber",
    "ServicesDep",
    "SettingsDep",
    "SharedPatientId",
    "Writer",
    "accounts",
    "clinics_listed",
    "current_user",
    "entry_in_scope",
    "patient_in_scope",
    "require_role",
    "services",
    "settings",
    "shared_patient_id",
]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def settings(request: Request) -> Settings:
    """The settings the app was bootstrapped with."""
    found: Settings = request.app.state.app.settings
    return found


ServicesDep = Annotated[Services, Depends(services)]
SettingsDep = Annotated[Settings, Depends(settings)]
AccountsDep = Annotated[Accounts, Depends(accounts)]


def current_user(token: Annotated[str | None, Depends(_bearer)], users: AccountsDep) -> Identity:
    """The user of the request's bearer token; 401 without a valid one."""
    if not token:
        raise AuthenticationError("no bearer token")
    return users.authenticate(token)


CurrentUser = Annotated[Identity, Depends(current_user)]


def clinics_listed(user: Identity, clinic: str | None) -> list[str]:
    """The clinics a list route reads: ``clinic`` when given (404 unless the user is a member of it),
    else every clinic of the user, in id order."""
    if clinic is not None and not user.sees(clinic):
        raise RecordNotFoundError("clinic", clinic)
    return [clinic] if clinic else sorted(user.clinic_ids)


def require_role(*roles: str) -> Callable[[Identity], Identity]:
    """A dependency that lets only these roles through (403 for the others)."""
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> Identity:
        if user.role not in allowed:
            raise PermissionDeniedError(f"the {user.role} role may not do this")
        return user

    return check


Writer = Annotated[Identity, Depends(require_role("admin", "clinician", "nurse"))]
Prescriber = Annotated[Identity, Depends(require_role(*sorted(PRESCRIBERS)))]
Admin = Annotated[Identity, Depends(require_role("admin"))]


def patient_in_scope(patient_id: str, user: Identity, use_cases: Services) -> PatientRecord:
    """The patient, if the user is a member of its clinic; RecordNotFoundError (404) otherwise."""
    with use_cases.uow() as uow:
        patient = uow.patients.get(patient_id)
    if not user.sees(patient.clinic_id):
        raise RecordNotFoundError("patient", patient_id)
    return patient


def _patient_dependency(
    patient_id: Annotated[str, Path(max_length=100)], user: CurrentUser, use_cases: ServicesDep
) -> PatientRecord:
    return patient_in_scope(patient_id, user, use_cases)


InScope = Annotated[PatientRecord, Depends(_patient_dependency)]


def _repository(uow: UnitOfWork, kind: EntryKind) -> EntryRepository[Any]:
    stores: dict[str, EntryRepository[Any]] = {
        "dose": uow.doses,
        "lab": uow.labs,
        "symptoms": uow.symptom_checks,
        "review": uow.reviews,
    }
    return stores[kind]


def entry_in_scope(kind: EntryKind, entry_id: str, user: Identity, use_cases: Services) -> str:
    """The patient id of a dose, lab, symptom check or review the user may see; 404 otherwise."""
    with use_cases.uow() as uow:
        patient_id: str = _repository(uow, kind).get(entry_id).patient_id
    patient_in_scope(patient_id, user, use_cases)
    return patient_id


def shared_patient_id(token: Annotated[str, Path(max_length=2000)], users: AccountsDep) -> str:
    """The patient id of a share-link token in the path (``/share/{token}/...``); 401 when invalid."""
    return users.verify_share_token(token)


SharedPatientId = Annotated[str, Depends(shared_patient_id)]
