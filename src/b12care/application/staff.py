"""An admin managing staff: only memberships of the clinics they administer (docs/adr/0006-clinic-roles.md).

An admin *administers* a clinic where their role may ``manage_users`` (the permission table). They:

* see a user only when the user is a member of a clinic they administer, and only those memberships
  (never another clinic's id: ``managed_view``);
* add users to, change roles in and end memberships of the clinics they administer; a membership in any
  other clinic is kept exactly as it is;
* change what belongs to the whole account (password, disabled) only when every clinic of the user is one
  they administer (or it is their own account): otherwise an admin of one clinic could take over a user
  who is also admin of another (PermissionDeniedError, 403; nothing changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from b12care.application.accounts import Accounts, Identity, UserRecord
from b12care.domain.errors import InputError, PermissionDeniedError, RecordNotFoundError

__all__ = ["add_managed_user", "change_managed_user", "managed_user", "managed_users", "managed_view"]


def _administered(admin: Identity) -> frozenset[str]:
    clinics = frozenset(admin.clinics_where("manage_users"))
    if not clinics:
        raise PermissionDeniedError("only an admin of a clinic manages its users")
    return clinics


def managed_view(user: UserRecord, admin: Identity) -> UserRecord:
    """The user as ``admin`` may see them: only the memberships of clinics the admin administers."""
    clinics = _administered(admin)
    return replace(user, memberships=tuple(m for m in user.memberships if m.clinic_id in clinics))


def managed_users(accounts: Accounts, admin: Identity) -> list[UserRecord]:
    """The users of the clinics ``admin`` administers, each with only those memberships."""
    clinics = _administered(admin)
    return [managed_view(u, admin) for u in accounts.users() if clinics.intersection(u.clinic_ids)]


def managed_user(accounts: Accounts, admin: Identity, username: str) -> UserRecord:
    """The user, unfiltered, when a member of a clinic ``admin`` administers; RecordNotFoundError (404)
    otherwise, exactly as for an unknown username."""
    user = accounts.user(username)
    if not _administered(admin).intersection(user.clinic_ids):
        raise RecordNotFoundError("user", username)
    return user


def _own(admin_clinics: frozenset[str], clinic_ids: Sequence[str], field_name: str) -> None:
    for index, clinic_id in enumerate(clinic_ids):
        if clinic_id not in admin_clinics:
            where = f"{field_name}[{index}]" if field_name == "memberships" else field_name
            raise InputError(where, f"no clinic with id {clinic_id} that you administer")


def add_managed_user(
    accounts: Accounts, admin: Identity, username: str, password: str, roles: Mapping[str, str]
) -> UserRecord:
    """Create a user with ``roles`` (role by clinic id), all in clinics ``admin`` administers."""
    _own(_administered(admin), list(roles), "clinic_ids")
    return accounts.add_user(username, password, None, (), admin.username, roles=roles)


def change_managed_user(
    accounts: Accounts,
    admin: Identity,
    username: str,
    *,
    roles: Mapping[str, str] | None = None,
    role: str | None = None,
    clinic_ids: Sequence[str] | None = None,
    password: str | None = None,
    disabled: bool | None = None,
) -> UserRecord:
    """Change a user of ``admin``'s clinics: ``roles`` makes the user's memberships among those clinics
    exactly these; or ``clinic_ids`` (those clinics, keeping each one's role, ``role`` for a new one)
    and ``role`` (the role in each of them). Password and disabled only when the admin administers every
    clinic of the user (or it is the admin's own account). Returns the user as the admin sees them."""
    clinics = _administered(admin)
    user = managed_user(accounts, admin, username)
    elsewhere = {c: r for c, r in user.roles().items() if c not in clinics}
    if (password is not None or disabled is not None) and elsewhere and user.username != admin.username:
        field_name = "password" if password is not None else "disabled"
        raise PermissionDeniedError(
            f"{field_name}: {user.username} is also a member of a clinic you do not administer;"
            " an admin of each of their clinics may change the account"
        )
    wanted = _wanted_roles(clinics, user, roles=roles, role=role, clinic_ids=clinic_ids)
    updated = accounts.update_user(
        user.username,
        admin.username,
        roles=None if wanted is None else {**elsewhere, **wanted},
        password=password,
        disabled=disabled,
    )
    return managed_view(updated, admin)


def _wanted_roles(
    clinics: frozenset[str],
    user: UserRecord,
    *,
    roles: Mapping[str, str] | None,
    role: str | None,
    clinic_ids: Sequence[str] | None,
) -> dict[str, str] | None:
    """The user's new roles among the admin's ``clinics``; None when the memberships do not change."""
    if roles is not None:
        if role is not None or clinic_ids is not None:
            raise InputError("memberships", "give memberships, or role and clinic_ids, not both")
        _own(clinics, list(roles), "memberships")
        return dict(roles)
    current = {c: r for c, r in user.roles().items() if c in clinics}
    if clinic_ids is None:
        return None if role is None else dict.fromkeys(current, role)
    _own(clinics, clinic_ids, "clinic_ids")
    wanted: dict[str, str] = {}
    for clinic_id in clinic_ids:
        chosen = role or current.get(clinic_id)
        if chosen is None:
            raise InputError("role", f"give the role the user is to have in clinic {clinic_id}")
        wanted[clinic_id] = chosen
    return wanted
