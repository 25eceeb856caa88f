"""Stored records as JSON: every field of the record, dates ISO, Decimals as exact strings.

Plans and forecasts are not here: they use the CLI's contract (``plan_to_dict``, ``forecast_to_dict``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from typing import Any

from b12care.application.accounts import UserRecord
from b12care.application.records import PatientRecord, PlanVersionRecord, RecallEntry

__all__ = ["patient_json", "plain", "plan_version_json", "recall_json", "record_json", "user_json"]


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates ISO, Decimals as strings (exact), dataclasses and tuples expanded."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [plain(v) for v in value]
    return value


def record_json(record: object) -> dict[str, Any]:
    """Every field of a stored record (dose, lab, symptom check, review, clinic)."""
    found: dict[str, Any] = plain(record)
    return found


def patient_json(patient: PatientRecord) -> dict[str, Any]:
    """A patient (name and reference included: only for users of the patient's clinic)."""
    return record_json(patient)


def plan_version_json(version: PlanVersionRecord) -> dict[str, Any]:
    """A plan version without its case text (the plan itself is served from the case)."""
    found = record_json(version)
    found.pop("case_json")
    return found


def user_json(user: UserRecord) -> dict[str, Any]:
    """A user without the password hash: their role in each clinic shown (``staff.managed_view``
    leaves out the clinics the admin asking does not administer)."""
    return {
        "id": user.id,
        "username": user.username,
        "memberships": [{"clinic_id": m.clinic_id, "role": m.role} for m in user.memberships],
        "clinic_ids": list(user.clinic_ids),
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "created_by": user.created_by,
    }


def recall_json(entry: RecallEntry) -> dict[str, Any]:
    """One recall line, as ``b12care recall --format json`` prints it (flags a list here)."""
    return record_json(entry)
