"""User management (admin only): list, create, show, change role/clinics/password, disable.

An admin manages only users of their own clinics and assigns only their own clinics.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from b12care.domain.errors import InputError
from b12care.entrypoints.api.deps import AccountsDep, Admin
from b12care.entrypoints.api.models import UserIn, UserUpdate
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.views import user_json
from b12care.service.accounts import Accounts, Identity, UserRecord
from b12care.service.ports import RecordNotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=problem_responses(401, 403, 404, 422))
Username = Annotated[str, Path(min_length=1, max_length=200)]


def _own_clinics(admin: Identity, clinic_ids: list[str]) -> list[str]:
    for clinic_id in clinic_ids:
        if not admin.sees(clinic_id):
            raise InputError("clinic_ids", f"no clinic with id {clinic_id}")
    return clinic_ids


def _visible(users: Accounts, admin: Identity, username: str) -> UserRecord:
    user = users.user(username)
    if user.username != admin.username and not admin.clinic_ids.intersection(user.clinic_ids):
        raise RecordNotFoundError("user", username)
    return user


@router.get("")
def list_users(admin: Admin, users: AccountsDep) -> list[dict[str, Any]]:
    """Users who share a clinic with the admin."""
    return [
        user_json(u)
        for u in users.users()
        if u.username == admin.username or admin.clinic_ids.intersection(u.clinic_ids)
    ]


@router.post("", status_code=201)
def add_user(body: UserIn, admin: Admin, users: AccountsDep) -> dict[str, Any]:
    """Create a user of a role in some of the admin's clinics."""
    clinics = _own_clinics(admin, body.clinic_ids)
    return user_json(users.add_user(body.username, body.password, body.role, clinics, admin.username))


@router.get("/{username}")
def show_user(username: Username, admin: Admin, users: AccountsDep) -> dict[str, Any]:
    """One user."""
    return user_json(_visible(users, admin, username))


@router.patch("/{username}")
def update_user(username: Username, body: UserUpdate, admin: Admin, users: AccountsDep) -> dict[str, Any]:
    """Change role, clinics (only the admin's own), password or disabled flag."""
    user = _visible(users, admin, username)
    clinics = None
    if body.clinic_ids is not None:
        # Memberships in clinics the admin cannot see are kept as they are.
        hidden = [c for c in user.clinic_ids if not admin.sees(c)]
        clinics = hidden + _own_clinics(admin, body.clinic_ids)
    updated = users.update_user(
        user.username,
        admin.username,
        role=body.role,
        clinic_ids=clinics,
        password=body.password,
        disabled=body.disabled,
    )
    return user_json(updated)
