"""Patients: create (with a case and its plan), list, show with plan and forecast, forecast, history,
plan versions and share links. Every route is limited to the user's clinics (404 for the others)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter

from b12care.application.accounts import Identity
from b12care.application.forecasting import forecast_to_dict
from b12care.application.plan_versions import add_plan_version
from b12care.application.records import PatientRecord
from b12care.application.treatment import Services
from b12care.domain.errors import InputError
from b12care.entrypoints.api._params import AsOf, ClinicFilter, Limit, Offset
from b12care.entrypoints.api.deps import (
    AccountsDep,
    CurrentUser,
    InScope,
    OfPatient,
    ServicesDep,
    SettingsDep,
    Somewhere,
    clinics_listed,
)
from b12care.entrypoints.api.models import PatientIn, PlanIn, ShareLinkIn, case_text, within_case
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import (
    HistoryOut,
    PatientPageOut,
    PatientShownOut,
    PlanVersionOut,
    ShareLinkOut,
)
from b12care.entrypoints.api.responses_plan import ForecastOut
from b12care.entrypoints.api.views import patient_json, plan_version_json, record_json

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/patients", tags=["patients"], responses=problem_responses(401, 403, 404, 409, 422)
)


def _shown(services: Services, patient: PatientRecord, as_of: dt.date | None) -> dict[str, Any]:
    view = services.view(patient.id, as_of)
    forecast = forecast_to_dict(view.forecast)
    return {
        "patient": patient_json(view.patient),
        "plan_version": plan_version_json(view.plan_version),
        "plan": forecast["plan"],
        "forecast": forecast,
    }


@router.post("", status_code=201, response_model=PatientShownOut)
def add_patient(
    body: PatientIn, user: Annotated[Identity, Somewhere("create_patient")], services: ServicesDep
) -> dict[str, Any]:
    """Create a patient of one of the user's clinics with plan version 1 built from the case."""
    if not user.sees(body.clinic_id):
        raise InputError("clinic_id", f"no clinic with id {body.clinic_id}")
    user.require("create_patient", body.clinic_id)
    case_json, _ = case_text(body.case)
    with within_case():
        patient = services.add_patient(
            clinic_id=body.clinic_id,
            reference=body.reference,
            name=body.name,
            case_json=case_json,
            actor=user.username,
            maintenance_interval=body.maintenance_interval,
            interval_reason=body.interval_reason,
        )
    return _shown(services, patient, None)


@router.get("", response_model=PatientPageOut)
def list_patients(
    *,
    user: Annotated[Identity, Somewhere("read_patient")],
    services: ServicesDep,
    clinic: ClinicFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The patients of the user's clinics (or one of them) by creation time; ``total`` counts them all."""
    found = [
        p
        for clinic_id in clinics_listed(user, clinic)
        for p in services.patients(clinic_id)
        if p.entered_in_error is None
    ]
    return {
        "items": [patient_json(p) for p in found[offset : offset + limit]],
        "total": len(found),
        "limit": limit,
        "offset": offset,
    }


@router.get("/{patient_id}", response_model=PatientShownOut)
def show_patient(patient: InScope, services: ServicesDep, as_of: AsOf = None) -> dict[str, Any]:
    """The patient, the plan version in force, its plan and the forecast on ``as_of``."""
    return _shown(services, patient, as_of)


@router.get("/{patient_id}/forecast", response_model=ForecastOut)
def forecast(patient: InScope, services: ServicesDep, as_of: AsOf = None) -> dict[str, Any]:
    """The forecast on ``as_of`` (``b12care forecast PATIENT --format json``)."""
    return forecast_to_dict(services.view(patient.id, as_of).forecast)


@router.get("/{patient_id}/history", response_model=HistoryOut)
def history(patient: InScope, services: ServicesDep) -> dict[str, Any]:
    """Every stored entry with its id, oldest first; entries marked entered-in-error carry the mark."""
    with services.uow() as uow:
        return {
            "patient_id": patient.id,
            "plan_versions": [plan_version_json(v) for v in uow.plans.list_for(patient.id)],
            "doses": [record_json(d) for d in uow.doses.list_for(patient.id)],
            "labs": [record_json(x) for x in uow.labs.list_for(patient.id)],
            "symptom_checks": [record_json(c) for c in uow.symptom_checks.list_for(patient.id)],
            "reviews": [record_json(r) for r in uow.reviews.list_for(patient.id)],
        }


@router.get("/{patient_id}/plans", response_model=list[PlanVersionOut])
def plan_versions(patient: InScope, services: ServicesDep) -> list[dict[str, Any]]:
    """Every plan version, oldest first."""
    with services.uow() as uow:
        return [plan_version_json(v) for v in uow.plans.list_for(patient.id)]


@router.post("/{patient_id}/plans", status_code=201, response_model=PatientShownOut)
def new_plan_version(
    patient: Annotated[PatientRecord, OfPatient("change_plan")],
    body: PlanIn,
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, Any]:
    """Accept a new plan from a new case: stored as the next version; the forecast follows it."""
    case_json, _ = case_text(body.case)
    with within_case():
        add_plan_version(
            services.uow,
            services.clock,
            patient_id=patient.id,
            case_json=case_json,
            actor=user.username,
            maintenance_interval=body.maintenance_interval,
            interval_reason=body.interval_reason,
        )
    return _shown(services, patient, None)


@router.post("/{patient_id}/share-links", status_code=201, response_model=ShareLinkOut)
def share_link(
    patient: Annotated[PatientRecord, OfPatient("share_patient")],
    user: CurrentUser,
    users: AccountsDep,
    settings: SettingsDep,
    body: ShareLinkIn | None = None,
) -> dict[str, Any]:
    """A signed, expiring, read-only link to the patient's own schedule (calendar feed, handout)."""
    days = body.days if body and body.days else settings.share_link_days
    expires = users.clock() + dt.timedelta(days=days)
    token = users.share_patient(patient.id, expires, user.username)
    url = f"{settings.public_url}/share/{token}"
    return {"token": token, "url": url, "calendar_url": f"{url}/calendar.ics", "expires": expires.isoformat()}
