"""Builders of records for the database tests (plain functions, no fixtures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from b12care.application.records import (
    FORECAST_STATUSES,
    ClinicRecord,
    DoseRecord,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    RecallSegment,
    ReviewRecord,
    StoredForecast,
    SymptomCheckRecord,
    new_id,
)
from b12care.bootstrap import App
from b12care.domain.recall import on_recall

NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
NURSE = "nurse.jones"


def fixed_clock(at: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that always says ``at``."""
    return lambda: at


@dataclass(frozen=True)
class Seed:
    clinic: ClinicRecord
    patient: PatientRecord


def clinic(name: str = "North Surgery") -> ClinicRecord:
    return ClinicRecord(new_id(), name, NOW, "admin")


def patient(clinic_id: str, reference: str = "H-0001", name: str = "Ann Example") -> PatientRecord:
    return PatientRecord(new_id(), clinic_id, reference, name, dt.date(1958, 3, 14), "female", NOW, "admin")


def seed_patient(app: App) -> Seed:
    """Commit a clinic and a patient; return both."""
    with app.uow() as uow:
        new_clinic = uow.clinics.add(clinic())
        new_patient = uow.patients.add(patient(new_clinic.id))
        uow.commit()
    return Seed(new_clinic, new_patient)


def dose(patient_id: str, *, key: str | None = None, day: dt.date = TODAY, **changes: object) -> DoseRecord:
    record = DoseRecord(
        id=new_id(),
        patient_id=patient_id,
        date=day,
        drug="hydroxocobalamin",
        product="Cobalin-H 1 mg/1 mL",
        dose=Decimal("1.000"),
        dose_unit="mg",
        route="IM",
        site="left deltoid",
        lot="LOT-42A",
        given_by=NURSE,
        source="clinic",
        status="completed",
        not_done_reason=None,
        idempotency_key=key,
        recorded_by=NURSE,
        recorded_at=NOW,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def lab(patient_id: str, value: str = "120.50", **changes: object) -> LabRecord:
    record = LabRecord(new_id(), patient_id, "total_b12", Decimal(value), "ng/L", TODAY, NURSE, NOW)
    return replace(record, **changes)  # type: ignore[arg-type]


def symptom_check(patient_id: str) -> SymptomCheckRecord:
    return SymptomCheckRecord(
        id=new_id(),
        patient_id=patient_id,
        date=TODAY,
        overall="better",
        recorded_by=NURSE,
        recorded_at=NOW,
        scores={"fatigue": 2, "pins_and_needles": 1, "balance": 0, "memory": 3, "mood": 1, "vision": 0},
    )


def review(patient_id: str) -> ReviewRecord:
    return ReviewRecord(
        id=new_id(),
        patient_id=patient_id,
        date=TODAY,
        decision="lengthen_interval",
        note="Symptoms settled; move to every 3 months.",
        reviewed_by="dr.smith",
        recorded_at=NOW,
        new_interval="3m",
    )


def plan_version(patient_id: str, version: int = 1, review_id: str | None = None) -> PlanVersionRecord:
    return PlanVersionRecord(
        id=new_id(),
        patient_id=patient_id,
        version=version,
        case_json='{"pack": "uk-nice-2024", "start_date": "2026-01-05"}',
        pack_id="uk-nice-2024",
        pack_version="1.0.0",
        maintenance_interval="2m" if version > 1 else None,
        review_id=review_id,
        created_by="dr.smith",
        created_at=NOW,
    )


def forecast(
    patient_id: str,
    clinic_id: str,
    *,
    status: str = "due",
    due: dt.date | None = None,
    overdue: dt.date | None = None,
    flags: tuple[str, ...] = (),
    timeline: tuple[RecallSegment, ...] | None = None,
) -> StoredForecast:
    """A stored forecast; unless ``timeline`` is given, the status holds on every day."""
    if timeline is None:
        span = RecallSegment(
            dt.date.min,
            dt.date.max,
            status,  # type: ignore[arg-type]
            None if due is None else due - dt.timedelta(days=7),
            due,
            overdue,
            flags,
        )
        listed = status in FORECAST_STATUSES and on_recall(status, flags)  # type: ignore[arg-type]
        timeline = (span,) if listed else ()
    return StoredForecast(
        patient_id=patient_id,
        clinic_id=clinic_id,
        status=status,
        earliest=None if due is None else due - dt.timedelta(days=7),
        due=due,
        overdue=overdue,
        flags=flags,
        as_of=TODAY,
        pack_id="uk-nice-2024",
        pack_version="1.0.0",
        timeline=timeline,
    )
