"""Use cases of clinics and patients: create them (a patient with plan version 1 and its first stored
forecast), read one with its plan and forecast, list a clinic's.

Writes take ``(command, deps)``; reads take ``(deps, ...)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from b12care.application.case_file import parse_case_json
from b12care.application.commands import AddClinic, AddPatient
from b12care.application.history import current_forecast, refresh_forecast
from b12care.application.planning import plan_case
from b12care.application.ports import Deps
from b12care.application.records import (
    ClinicRecord,
    PatientRecord,
    PlanVersionRecord,
    Sex,
    new_id,
    new_plan_version,
)
from b12care.domain.forecast import Forecast

__all__ = ["PatientView", "add_clinic", "add_patient", "list_patients", "patient_ids", "view_patient"]


@dataclass(frozen=True, slots=True)
class PatientView:
    """A patient with the current plan version and forecast."""

    patient: PatientRecord
    plan_version: PlanVersionRecord
    forecast: Forecast


def add_clinic(command: AddClinic, deps: Deps) -> ClinicRecord:
    """Create a clinic."""
    with deps.uow() as uow:
        clinic = uow.clinics.add(ClinicRecord(new_id(), command.name, deps.clock(), command.actor))
        uow.commit()
    return clinic


def add_patient(command: AddPatient, deps: Deps) -> PatientRecord:
    """Create a patient with plan version 1 from the case file, and store the first forecast.

    The case is planned before anything is written (a case that cannot be planned, or an interval
    outside the licence without a reason, is refused); the reason is stored on the plan version.
    """
    reason = command.reason
    case = parse_case_json(command.case_json)
    plan = plan_case(  # refuses a case it cannot plan
        case, maintenance_interval=command.maintenance_interval, interval_reason=reason
    )
    at = deps.clock()
    sex = cast("Sex", case.patient.sex)  # the case-file contract allows only the record's codes
    record = PatientRecord(
        new_id(),
        command.clinic_id,
        command.reference,
        command.name,
        case.patient.birth_date,
        sex,
        at,
        command.actor,
    )
    with deps.uow() as uow:
        patient = uow.patients.add(record)
        version = new_plan_version(
            patient.id,
            1,
            command.case_json,
            plan,
            maintenance_interval=command.maintenance_interval,
            interval_reason=reason,
            actor=command.actor,
            at=at,
        )
        uow.plans.add(version)
        refresh_forecast(uow, patient, at.date(), actor=command.actor, at=at)
        uow.commit()
    return patient


def view_patient(deps: Deps, patient_id: str, as_of: dt.date | None = None) -> PatientView:
    """The patient, the plan version in force and the forecast on ``as_of`` (default today)."""
    with deps.uow(read_only=True) as uow:
        patient = uow.patients.get(patient_id)
        version, forecast = current_forecast(uow, patient_id, as_of or deps.today())
    return PatientView(patient, version, forecast)


def list_patients(deps: Deps, clinic_id: str) -> list[PatientRecord]:
    """A clinic's patients (RecordNotFoundError for an unknown clinic)."""
    with deps.uow(read_only=True) as uow:
        uow.clinics.get(clinic_id)
        return uow.patients.list_for_clinic(clinic_id)


def patient_ids(deps: Deps) -> list[str]:
    """Every patient id not marked entered-in-error, in id order (for jobs over the registry)."""
    with deps.uow(read_only=True) as uow:
        return uow.patients.all_ids()
