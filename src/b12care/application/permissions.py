"""Who may do what: the one permission table (docs/adr/0006-clinic-roles.md).

A user holds a role **per clinic membership** (a nurse in one clinic may be a clinician in another), and
every face asks this table with the role the user holds in the clinic of the thing acted on: the
patient's clinic, the clinic in the URL or the form. ``PERMISSIONS`` maps each action to the roles that
may do it; nothing else in b12care lists roles for a permission (the route test walks every route of
the app against it).

Prescribing actions need a prescriber (a clinician or an admin): recording a review decision, changing
the plan (a review that changes the interval, a new plan version), confirming a stop, and creating a
patient with plan version 1 (an interval outside the licence included).

    ========================= ===== ========= ===== ======
    action                    admin clinician nurse viewer
    ========================= ===== ========= ===== ======
    read_patient              yes   yes       yes   yes
    read_knowledge            yes   yes       yes   yes
    preview_plan              yes   yes       yes   yes
    record_dose               yes   yes       yes   no
    record_lab                yes   yes       yes   no
    record_symptoms           yes   yes       yes   no
    mark_entered_in_error     yes   yes       yes   no
    share_patient             yes   yes       yes   no
    import_fhir               yes   yes       yes   no
    record_review             yes   yes       no    no
    change_plan               yes   yes       no    no
    confirm_stop              yes   yes       no    no
    create_patient            yes   yes       no    no
    export_clinic             yes   no        no    no
    manage_users              yes   no        no    no
    add_clinic                yes   no        no    no
    ========================= ===== ========= ===== ======

Marking a *review* entered-in-error undoes a prescriber's decision, so it needs ``record_review`` as
well (``correction_actions``); a review that stops treatment or changes the interval needs
``confirm_stop`` or ``change_plan`` as well (``review_actions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from b12care.domain.vocabulary import codes_of

__all__ = [
    "ACTIONS",
    "PERMISSIONS",
    "PRESCRIBING_ACTIONS",
    "READ_ACTIONS",
    "ROLES",
    "Action",
    "DeclaredAction",
    "Role",
    "allows",
    "correction_actions",
    "review_actions",
]

Role = Literal["admin", "clinician", "nurse", "viewer"]
ROLES: tuple[str, ...] = codes_of(Role)
"""Most to least privileged."""

Action = Literal[
    "read_patient",
    "read_knowledge",
    "preview_plan",
    "record_dose",
    "record_lab",
    "record_symptoms",
    "mark_entered_in_error",
    "share_patient",
    "import_fhir",
    "record_review",
    "change_plan",
    "confirm_stop",
    "create_patient",
    "export_clinic",
    "manage_users",
    "add_clinic",
]
ACTIONS: tuple[str, ...] = codes_of(Action)

_EVERYONE: frozenset[Role] = frozenset({"admin", "clinician", "nurse", "viewer"})
_RECORDERS: frozenset[Role] = frozenset({"admin", "clinician", "nurse"})
_PRESCRIBERS: frozenset[Role] = frozenset({"admin", "clinician"})
_ADMINS: frozenset[Role] = frozenset({"admin"})

PERMISSIONS: Mapping[Action, frozenset[Role]] = MappingProxyType(
    {
        "read_patient": _EVERYONE,  # patient, forecast, history, plans, calendar, handout, recall lists
        "read_knowledge": _EVERYONE,  # packs, rules, citations
        "preview_plan": _EVERYONE,  # a plan for a case, nothing stored
        "record_dose": _RECORDERS,
        "record_lab": _RECORDERS,
        "record_symptoms": _RECORDERS,
        "mark_entered_in_error": _RECORDERS,
        "share_patient": _RECORDERS,  # a signed, expiring read-only link (audited)
        "import_fhir": _RECORDERS,  # labs and doses from an EHR's bundle
        "record_review": _PRESCRIBERS,
        "change_plan": _PRESCRIBERS,  # a new plan version, from a review or a new case
        "confirm_stop": _PRESCRIBERS,  # stop_cause_resolved and confirm_stop decisions
        "create_patient": _PRESCRIBERS,  # with plan version 1
        "export_clinic": _ADMINS,
        "manage_users": _ADMINS,  # memberships of the clinics the admin administers
        "add_clinic": _ADMINS,  # the admin becomes the new clinic's admin
    }
)
READ_ACTIONS: frozenset[Action] = frozenset({"read_patient", "read_knowledge", "preview_plan"})
"""Actions that store nothing: the only ones a route that reads (GET) may declare."""
PRESCRIBING_ACTIONS: frozenset[Action] = frozenset(
    {"record_review", "change_plan", "confirm_stop", "create_patient"}
)

_STOP_DECISIONS = frozenset({"stop_cause_resolved", "confirm_stop"})
_INTERVAL_DECISIONS = frozenset({"shorten_interval", "lengthen_interval"})


def allows(role: str | None, action: Action) -> bool:
    """Whether ``role`` (None: no membership) may do ``action``."""
    return role is not None and role in PERMISSIONS[action]


def review_actions(decision: str, new_interval: str | None) -> tuple[Action, ...]:
    """The actions recording a review decision is: always ``record_review``; a stop also
    ``confirm_stop``, an interval change (a new plan version) also ``change_plan``."""
    actions: list[Action] = ["record_review"]
    if decision in _STOP_DECISIONS:
        actions.append("confirm_stop")
    if decision in _INTERVAL_DECISIONS and new_interval:
        actions.append("change_plan")
    return tuple(actions)


def correction_actions(kind: str) -> tuple[Action, ...]:
    """The actions marking an entry of ``kind`` entered-in-error is: a review also needs
    ``record_review`` (it undoes a prescriber's decision)."""
    if kind == "review":
        return ("mark_entered_in_error", "record_review")
    return ("mark_entered_in_error",)


class DeclaredAction:
    """An action of the table that a route or page declares it needs; each face subclasses it as a
    dependency that checks the action against the user's role in the clinic acted on."""

    def __init__(self, action: Action) -> None:
        if action not in PERMISSIONS:
            raise ValueError(f"{action!r} is not an action of the permission table")
        self.action: Action = action

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.action!r})"
