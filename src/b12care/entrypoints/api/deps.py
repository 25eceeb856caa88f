"""Request dependencies: the use cases, the acting user, and the permission each route declares.

Every route that acts for a logged-in user declares one action of the permission table
(``service/permissions.py``) through a ``Permission`` dependency, which asks the table with the role the
user holds in the clinic concerned::

    @router.post("/patients/{patient_id}/doses")
    def record(patient: Annotated[PatientRecord, OfPatient("record_dose")], user: CurrentUser, ...) -> ...

``OfPatient`` (the patient's clinic), ``OfEntry`` (the clinic of a dose, lab, check or review's
patient), ``OfClinic`` (the clinic in the path, or in the ``clinic`` query parameter) and ``Somewhere``
(the user may do it in at least one clinic: the route then checks the clinic named in its body with
``Identity.require``). A patient or clinic the user is not a member of is answered 404, exactly as one
that does not exist, so ids of other clinics cannot be probed; a member whose role may not is 403.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from b12care.application.accounts import Accounts, Identity
from b12care.application.permissions import Action, DeclaredAction, correction_actions
from b12care.application.ports import EntryRepository, UnitOfWork
from b12care.application.records import PatientRecord
from b12care.application.treatment import EntryKind, Services
from b12care.config import Settings
from b12care.domain.errors import AuthenticationError, PermissionDeniedError, RecordNotFoundError
from b12care.entrypoints.app_state import accounts_of as accounts
from b12care.entrypoints.app_state import services_of as services

__all__ = [
    "AccountsDep",
    "CurrentUser",
    "InScope",
    "KnowledgeReader",
    "OfClinic",
    "OfEntry",
    "OfPatient",
    "Permission",
    "PlanPreviewer",
    "ServicesDep",
    "SettingsDep",
    "SharedPatientId",
    "Somewhere",
    "accounts",
    "clinics_listed",
    "current_user",
    "entry_in_scope",
    "patient_in_scope",
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


def clinics_listed(user: Identity, clinic: str | None, action: Action = "read_patient") -> list[str]:
    """The clinics a list route reads: ``clinic`` when given (404 unless the user is a member of it,
    403 unless their role there may ``action``), else every clinic of the user where they may, in id
    order."""
    if clinic is not None:
        if not user.sees(clinic):
            raise RecordNotFoundError("clinic", clinic)
        user.require(action, clinic)
        return [clinic]
    return user.clinics_where(action)


def patient_in_scope(
    patient_id: str, user: Identity, use_cases: Services, action: Action = "read_patient"
) -> PatientRecord:
    """The patient, if the user is a member of its clinic (RecordNotFoundError, 404, otherwise) whose
    role there may ``action`` (PermissionDeniedError, 403, otherwise)."""
    with use_cases.uow(read_only=True) as uow:  # a read: never queue behind a writer (SQLite's one lock)
        patient = uow.patients.get(patient_id)
    if not user.sees(patient.clinic_id):
        raise RecordNotFoundError("patient", patient_id)
    user.require(action, patient.clinic_id)
    return patient


class Permission(DeclaredAction):
    """A route's declared action of the permission table; a FastAPI dependency that checks it (the
    route test finds these in every route's dependencies)."""


class _OfPatient(Permission):
    def __call__(
        self, patient_id: Annotated[str, Path(max_length=100)], user: CurrentUser, use_cases: ServicesDep
    ) -> PatientRecord:
        return patient_in_scope(patient_id, user, use_cases, self.action)


class _OfEntry(Permission):
    def __call__(
        self,
        kind: Literal["dose", "lab", "symptoms", "review"],
        entry_id: Annotated[str, Path(max_length=100)],
        user: CurrentUser,
        use_cases: ServicesDep,
    ) -> str:
        patient_id = entry_in_scope(kind, entry_id, user, use_cases, self.action)
        if self.action == "mark_entered_in_error":  # a review's correction undoes a prescriber's decision
            with use_cases.uow() as uow:
                clinic_id = uow.patients.get(patient_id).clinic_id
            for action in correction_actions(kind):
                user.require(action, clinic_id)
        return patient_id


class _OfClinicPath(Permission):
    def __call__(self, clinic_id: Annotated[str, Path(max_length=100)], user: CurrentUser) -> str:
        return clinics_listed(user, clinic_id, self.action)[0]


class _OfClinicQuery(Permission):
    def __call__(
        self,
        clinic: Annotated[
            str, Query(max_length=100, description="The clinic whose patients the request is about.")
        ],
        user: CurrentUser,
    ) -> str:
        return clinics_listed(user, clinic, self.action)[0]


class _Somewhere(Permission):
    def __call__(self, user: CurrentUser) -> Identity:
        if not user.may_somewhere(self.action):
            raise PermissionDeniedError(f"none of your roles may {self.action.replace('_', ' ')}")
        return user


def OfPatient(action: Action) -> Any:  # noqa: N802 - reads as a type in Annotated[...]
    """``Annotated[PatientRecord, OfPatient(action)]``: the ``{patient_id}`` of the path."""
    return Depends(_OfPatient(action))


def OfEntry(action: Action) -> Any:  # noqa: N802
    """``Annotated[str, OfEntry(action)]``: the patient id of the ``{kind}/{entry_id}`` of the path."""
    return Depends(_OfEntry(action))


def OfClinic(action: Action, *, source: Literal["path", "query"] = "path") -> Any:  # noqa: N802
    """``Annotated[str, OfClinic(action)]``: the ``{clinic_id}`` of the path, or the ``clinic``
    query parameter."""
    return Depends(_OfClinicPath(action) if source == "path" else _OfClinicQuery(action))


def Somewhere(action: Action) -> Any:  # noqa: N802
    """``Annotated[Identity, Somewhere(action)]``: the user, whose role may do ``action`` in at least
    one clinic (the route checks the clinic it acts in)."""
    return Depends(_Somewhere(action))


InScope = Annotated[PatientRecord, OfPatient("read_patient")]
KnowledgeReader = Annotated[Identity, Somewhere("read_knowledge")]
PlanPreviewer = Annotated[Identity, Somewhere("preview_plan")]


def _repository(uow: UnitOfWork, kind: EntryKind) -> EntryRepository[Any]:
    stores: dict[str, EntryRepository[Any]] = {
        "dose": uow.doses,
        "lab": uow.labs,
        "symptoms": uow.symptom_checks,
        "review": uow.reviews,
    }
    return stores[kind]


def entry_in_scope(
    kind: EntryKind, entry_id: str, user: Identity, use_cases: Services, action: Action = "read_patient"
) -> str:
    """The patient id of a dose, lab, symptom check or review the user may see (404 otherwise) and
    whose role in its clinic may ``action`` (403 otherwise)."""
    with use_cases.uow(read_only=True) as uow:
        patient_id: str = _repository(uow, kind).get(entry_id).patient_id
    patient_in_scope(patient_id, user, use_cases, action)
    return patient_id


def shared_patient_id(token: Annotated[str, Path(max_length=2000)], users: AccountsDep) -> str:
    """The patient id of a share-link token in the path (``/share/{token}/...``); 401 when invalid."""
    return users.verify_share_token(token)


SharedPatientId = Annotated[str, Depends(shared_patient_id)]
