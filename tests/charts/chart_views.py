"""Pure patient views and records for the chart tests (no database): the example case on the UK pack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from b12care.application.case_file import parse_case_json
from b12care.application.forecasting import forecast_case
from b12care.application.planning import choose_pack
from b12care.application.records import (
    DoseRecord,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    SymptomCheckRecord,
    new_id,
)
from b12care.application.treatment import PatientView, history_from
from b12care.domain.knowledge import Pack

CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
START = dt.date(2026, 1, 5)
NURSE = "nurse.jones"


@dataclass(frozen=True)
class Record:
    view: PatientView
    doses: list[DoseRecord]
    labs: list[LabRecord]
    checks: list[SymptomCheckRecord]
    pack: Pack


def given(patient_id: str, day: dt.date, **changes: object) -> DoseRecord:
    record = DoseRecord(
        id=new_id(),
        patient_id=patient_id,
        date=day,
        drug="hydroxocobalamin",
        product=None,
        dose=Decimal(1),
        dose_unit="mg",
        route="IM",
        site=None,
        lot=None,
        given_by=NURSE,
        source="clinic",
        status="completed",
        not_done_reason=None,
        idempotency_key=None,
        recorded_by=NURSE,
        recorded_at=NOW,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def not_done(patient_id: str, day: dt.date) -> DoseRecord:
    return given(
        patient_id,
        day,
        status="not_done",
        drug=None,
        dose=None,
        dose_unit=None,
        route=None,
        not_done_reason="patient unwell",
    )


def in_error(record: DoseRecord) -> DoseRecord:
    return replace(record, entered_in_error=EnteredInError(NOW, NURSE, "wrong patient"))


def lab(patient_id: str, test: str, value: str, unit: str, day: dt.date) -> LabRecord:
    return LabRecord(new_id(), patient_id, test, Decimal(value), unit, day, NURSE, NOW)  # type: ignore[arg-type]


def check(patient_id: str, day: dt.date, overall: str, **scores: int) -> SymptomCheckRecord:
    return SymptomCheckRecord(new_id(), patient_id, day, overall, NURSE, NOW, scores)  # type: ignore[arg-type]


def build_record(
    doses: list[DoseRecord],
    labs: list[LabRecord],
    checks: list[SymptomCheckRecord],
    *,
    patient_id: str = "0b6a2c1e-0000-4000-8000-000000000001",
    pack_id: str = "uk-nice-2024",
    as_of: dt.date = TODAY,
) -> Record:
    case_json = CASE.read_text(encoding="utf-8")
    patient = PatientRecord(
        patient_id, "clinic-1", "H-0001", "Ann Example", dt.date(1958, 3, 14), "female", NOW, "admin"
    )
    version = PlanVersionRecord(
        new_id(), patient_id, 1, case_json, pack_id, "1.0.0", None, None, "admin", NOW
    )
    forecast = forecast_case(
        parse_case_json(case_json), history_from(doses, labs, checks, []), as_of=as_of, pack_id=pack_id
    )
    return Record(PatientView(patient, version, forecast), doses, labs, checks, choose_pack(None, pack_id))


def loading_record(patient_id: str = "0b6a2c1e-0000-4000-8000-000000000001") -> Record:
    """Six loading doses, one not done, one entered in error; B12, MMA and haemoglobin; three checks."""
    days = [START + dt.timedelta(days=n) for n in (0, 2, 4, 7, 9, 11)]
    doses = [given(patient_id, day) for day in days]
    doses.append(not_done(patient_id, START + dt.timedelta(days=14)))
    doses.append(in_error(given(patient_id, START + dt.timedelta(days=15))))
    labs = [
        lab(patient_id, "total_b12", "120", "ng/L", START - dt.timedelta(days=3)),
        lab(patient_id, "total_b12", "400", "ng/L", START + dt.timedelta(days=40)),
        lab(patient_id, "mma", "700", "nmol/L", START - dt.timedelta(days=3)),
        lab(patient_id, "haemoglobin", "10.1", "g/dL", START - dt.timedelta(days=3)),
        lab(patient_id, "haemoglobin", "125", "g/L", START + dt.timedelta(days=40)),
    ]
    checks = [
        check(patient_id, START, "same", fatigue=3, pins_and_needles=2),
        check(patient_id, START + dt.timedelta(days=14), "better", fatigue=2, pins_and_needles=1),
        check(patient_id, START + dt.timedelta(days=40), "worse", fatigue=2),
    ]
    return build_record(doses, labs, checks, patient_id=patient_id)
