"""The assessment a plan is built from: patient facts, cause, symptoms, labs and preferences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from b12care.domain.vocabulary import Cause, Condition, Drug, Indication, Medication, Route, Test

__all__ = ["Case", "LabResult", "Patient", "age_on"]


@dataclass(frozen=True, slots=True)
class Patient:
    """What the plan needs to know about the person."""

    birth_date: date
    sex: str
    pregnant: bool = False
    breastfeeding: bool = False
    diet: str | None = None


@dataclass(frozen=True, slots=True)
class LabResult:
    """One laboratory result as reported (value in the lab's unit)."""

    test: Test
    value: Decimal
    unit: str
    date: date


@dataclass(frozen=True, slots=True)
class Case:
    """The plan input (the JSON contract's case file, parsed)."""

    start_date: date
    patient: Patient
    cause: Cause
    indication: Indication = "treatment"
    neurological_symptoms: bool = False
    conditions: frozenset[Condition] = field(default_factory=frozenset)
    medications: frozenset[Medication] = field(default_factory=frozenset)
    labs: tuple[LabResult, ...] = ()
    formulation: Drug | None = None
    route_preference: Route | None = None
    pack: str | None = None
    anaemic: bool | None = None
    regimen: str | None = None


def age_on(birth_date: date, day: date) -> int:
    """Age in completed years on ``day``."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)
