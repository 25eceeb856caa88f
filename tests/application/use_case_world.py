"""The world of the application tests: a fixed clock, and a fake store holding one clinic and one patient."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fakes import FakeUnitOfWorkFactory, fake_deps

from b12care.application import patients
from b12care.application.commands import AddClinic, AddPatient
from b12care.application.ports import Deps

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
EXAMPLE_CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
"""Autoimmune gastritis (a lifelong cause), loading doses from 2026-01-05 under uk-nice-2024."""


@dataclass(frozen=True)
class World:
    """Ports over a fake store with one clinic and one patient (the example case) added."""

    deps: Deps
    store: FakeUnitOfWorkFactory
    clinic_id: str
    patient_id: str


def make_world() -> World:
    """Ports over a fresh fake store holding the North Surgery clinic and Ann Example (the example case)."""
    deps, factory = fake_deps(NOW)
    clinic = patients.add_clinic(AddClinic("North Surgery", "admin"), deps)
    patient = patients.add_patient(
        AddPatient(clinic.id, "H-1", "Ann Example", EXAMPLE_CASE.read_text(), "dr.smith"), deps
    )
    return World(deps, factory, clinic.id, patient.id)
