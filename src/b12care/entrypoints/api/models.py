"""Request bodies of the API (pydantic, unknown fields refused) and the case-file field they share.

A case inside a body is validated by the CLI's own parser (``service.case_file.parse_case_json``) so
the API and ``b12care plan`` accept exactly the same files; its errors name ``case.<field>``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from b12care.application.accounts import Role
from b12care.application.case_file import CaseModel, parse_case_json
from b12care.application.records import DoseSource
from b12care.domain.case import Case
from b12care.domain.errors import InputError
from b12care.domain.history import Overall, ReviewDecision, Symptom
from b12care.domain.vocabulary import Drug, Route, Test

__all__ = [
    "ClinicIn",
    "DoseIn",
    "EnteredInErrorIn",
    "LabIn",
    "MembershipIn",
    "PatientIn",
    "PlanIn",
    "ReviewIn",
    "ShareLinkIn",
    "SymptomsIn",
    "UserIn",
    "UserUpdate",
    "case_text",
    "within_case",
]

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


# Single-line strings as long as their columns (no control characters: PostgreSQL refuses NUL).
Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_CONTROL)]
Who = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_CONTROL)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_NO_CONTROL)]
Label = Annotated[str, StringConstraints(max_length=100, pattern=_NO_CONTROL)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]
Note = Annotated[str, StringConstraints(max_length=4000, pattern=r"^[^\x00]*$")]
Interval = Annotated[str, StringConstraints(max_length=16, pattern=r"^[0-9]{1,4}[dwm]$")]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=18)]


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with its local ``$ref``s replaced by their definitions (OpenAPI has no ``$defs``)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


_CASE_SCHEMA = CaseModel.model_json_schema()
CaseField = Annotated[dict[str, Any], WithJsonSchema(_inline(_CASE_SCHEMA, _CASE_SCHEMA.get("$defs", {})))]


_NOT_IN_CASE = ("case", "maintenance_interval", "interval_reason", "pack")


@contextmanager
def within_case() -> Iterator[None]:
    """Name the fields of errors raised by reading or planning a case ``case.<field>``."""
    try:
        yield
    except InputError as error:
        if error.field.startswith(_NOT_IN_CASE):
            raise
        raise InputError(f"case.{error.field}", error.message) from None


def case_text(case: dict[str, Any]) -> tuple[str, Case]:
    """The case as JSON text (stored as given) and as the domain Case; InputError names ``case.*``."""
    text_form = json.dumps(case, default=str)
    with within_case():
        return text_form, parse_case_json(text_form)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClinicIn(_Body):
    name: Who


class PatientIn(_Body):
    clinic_id: Id
    reference: Id
    name: Who
    case: CaseField
    maintenance_interval: Interval | None = None
    interval_reason: Note | None = None


class PlanIn(_Body):
    case: CaseField
    maintenance_interval: Interval | None = None
    interval_reason: Note | None = None


class DoseIn(_Body):
    date: dt.date
    drug: Drug | None = None
    dose: Amount | None = None
    unit: Code | None = None
    route: Route | None = None
    site: Label | None = None
    lot: Label | None = None
    given_by: Who | None = None
    source: DoseSource = "clinic"
    not_done_reason: Note | None = None
    idempotency_key: Who | None = None


class LabIn(_Body):
    test: Test
    value: Amount
    unit: Code
    date: dt.date


class SymptomsIn(_Body):
    date: dt.date
    overall: Overall
    scores: dict[Symptom, Annotated[int, Field(ge=0, le=3)]] = {}


class ReviewIn(_Body):
    date: dt.date
    decision: ReviewDecision
    note: Note = ""
    new_interval: Interval | None = None


class EnteredInErrorIn(_Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"^[^\x00]*\S[^\x00]*$")]


class ShareLinkIn(_Body):
    days: Annotated[int, Field(ge=1, le=365)] | None = None


class MembershipIn(_Body):
    """The user's role in one clinic."""

    clinic_id: Id
    role: Role


Memberships = Annotated[list[MembershipIn], Field(min_length=1, max_length=100)]


class UserIn(_Body):
    """A new user: ``role`` in each of ``clinic_ids``, or a role per clinic in ``memberships``."""

    username: Who
    password: Password
    role: Role | None = None
    clinic_ids: Annotated[list[Id], Field(min_length=1, max_length=100)] | None = None
    memberships: Memberships | None = None


class UserUpdate(_Body):
    """Changes to a user: ``memberships`` (the user's roles in the admin's clinics become exactly
    these), or ``clinic_ids`` and/or ``role``; ``password`` and ``disabled`` are the whole account's."""

    role: Role | None = None
    clinic_ids: Annotated[list[Id], Field(min_length=1, max_length=100)] | None = None
    memberships: Memberships | None = None
    password: Password | None = None
    disabled: bool | None = None
