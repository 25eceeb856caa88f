"""Who is acting: the user of a request with their role in each clinic, asked through the permission
table (``permissions.py``; docs/adr/0006-clinic-roles.md). There is no account-wide role: every question
names the clinic of the thing acted on.

Raises ``PermissionDeniedError`` (``domain/errors.py``): the user's role in the clinic concerned may not
do this (HTTP 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from b12care.application.permissions import ROLES, Action, Role, allows
from b12care.domain.errors import PermissionDeniedError

__all__ = ["Identity"]


@dataclass(frozen=True, slots=True)
class Identity:
    """The user acting on a request, as read from the store when their token was checked: their
    role in each clinic they are a member of."""

    username: str
    roles: Mapping[str, Role] = field(hash=False)

    @property
    def clinic_ids(self) -> frozenset[str]:
        """The clinics the user is a member of."""
        return frozenset(self.roles)

    def sees(self, clinic_id: str) -> bool:
        """Whether the user is a member of ``clinic_id``."""
        return clinic_id in self.roles

    def role_in(self, clinic_id: str) -> Role | None:
        """The user's role in ``clinic_id``; None when not a member."""
        return self.roles.get(clinic_id)

    def may(self, action: Action, clinic_id: str) -> bool:
        """Whether the user's role in ``clinic_id`` may do ``action`` (the permission table)."""
        return allows(self.roles.get(clinic_id), action)

    def require(self, action: Action, clinic_id: str) -> None:
        """Refuse (PermissionDeniedError) unless the user's role in ``clinic_id`` may do ``action``."""
        if not self.may(action, clinic_id):
            role = self.roles.get(clinic_id, "no")
            raise PermissionDeniedError(f"the {role} role in this clinic may not {action.replace('_', ' ')}")

    def clinics_where(self, action: Action) -> list[str]:
        """The clinics (by id) where the user's role may do ``action``."""
        return sorted(c for c, role in self.roles.items() if allows(role, action))

    def may_somewhere(self, action: Action) -> bool:
        """Whether the user may do ``action`` in at least one of their clinics."""
        return bool(self.clinics_where(action))

    def role_label(self) -> str:
        """The user's roles for display: one role, or each role held (most privileged first)."""
        return ", ".join(r for r in ROLES if r in set(self.roles.values()))
