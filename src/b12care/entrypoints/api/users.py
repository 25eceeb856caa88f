"""User management (``manage_users``: admins): list, create, show, change memberships/password, disable.

An admin manages only the memberships of the clinics they administer and sees only those (never the
ids of a user's other clinics); the password and disabled flag of a user who is also a member of a
clinic the admin does not administer are refused (403, nothing changed). The rules are
``service/staff.py``; see docs/adr/0006-clinic-roles.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from b12care.application.accounts import Identity
from b12care.application.staff import (
    add_managed_user,
    change_managed_user,
    managed_user,
    managed_users,
    managed_view,
)
from b12care.domain.errors import InputError
from b12care.entrypoints.api.deps import AccountsDep, Somewhere
from b12care.entrypoints.api.models import MembershipIn, UserIn, UserUpdate
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import UserOut
from b12care.entrypoints.api.views import user_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=problem_responses(401, 403, 404, 422))
Username = Annotated[str, Path(min_length=1, max_length=200)]
UserAdmin = Annotated[Identity, Somewhere("manage_users")]


def _roles(memberships: list[MembershipIn]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for index, membership in enumerate(memberships):
        if membership.clinic_id in roles:
            raise InputError(f"memberships[{index}].clinic_id", "each clinic once")
        roles[membership.clinic_id] = membership.role
    return roles


@router.get("", response_model=list[UserOut])
def list_users(admin: UserAdmin, users: AccountsDep) -> list[dict[str, Any]]:
    """Users of the clinics the admin administers, with only those memberships."""
    return [user_json(u) for u in managed_users(users, admin)]


@router.post("", status_code=201, response_model=UserOut)
def add_user(body: UserIn, admin: UserAdmin, users: AccountsDep) -> dict[str, Any]:
    """Create a user with a role in some of the clinics the admin administers."""
    if body.memberships is not None:
        if body.role is not None or body.clinic_ids is not None:
            raise InputError("memberships", "give memberships, or role and clinic_ids, not both")
        roles = _roles(body.memberships)
    elif body.role is None or body.clinic_ids is None:
        raise InputError("role" if body.role is None else "clinic_ids", "required (or give memberships)")
    else:
        roles = dict.fromkeys(body.clinic_ids, body.role)
    added = add_managed_user(users, admin, body.username, body.password, roles)
    return user_json(managed_view(added, admin))


@router.get("/{username}", response_model=UserOut)
def show_user(username: Username, admin: UserAdmin, users: AccountsDep) -> dict[str, Any]:
    """One user of the admin's clinics (404 for the others)."""
    return user_json(managed_view(managed_user(users, admin, username), admin))


@router.patch("/{username}", response_model=UserOut)
def update_user(username: Username, body: UserUpdate, admin: UserAdmin, users: AccountsDep) -> dict[str, Any]:
    """Change memberships in the admin's clinics; password or disabled flag of a user of theirs only."""
    updated = change_managed_user(
        users,
        admin,
        username,
        roles=_roles(body.memberships) if body.memberships is not None else None,
        role=body.role,
        clinic_ids=body.clinic_ids,
        password=body.password,
        disabled=body.disabled,
    )
    return user_json(updated)
