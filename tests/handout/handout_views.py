"""Pure patient views for the handout tests (no database): the example case on a pack, with doses given."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from b12care.application.case_file import parse_case_json
from b12care.application.forecasting import forecast_case
from b12care.application.planning import choose_pack
from b12care.application.records import DoseRecord, PatientRecord, PlanVersionRecord, new_id
from b12care.application.treatment import PatientView, history_from
from b12care.domain.history import History
from b12care.domain.knowledge import Pack

CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
START = dt.date(2026, 1, 5)
LOADING = tuple(START + dt.timedelta(days=n) for n in (0, 2, 4, 7, 9, 11))
URL = "https://clinic.example/calendar/3f9a1c.ics"


def given(patient_id: str, day: dt.date) -> DoseRecord:
    return DoseRecord(
        new_id(),
        patient_id,
        day,
        "hydroxocobalamin",
        None,
        Decimal(1),
        "mg",
        "IM",
        None,
        None,
        None,
        "clinic",
        "completed",
        None,
        None,
        "nurse",
        NOW,
    )


def patient_view(
    *, case: dict[str, Any] | None = None, doses: tuple[dt.date, ...] = LOADING, as_of: dt.date = TODAY
) -> tuple[PatientView, History, Pack]:
    """The example case (or ``case``) with ``doses`` given, forecast on ``as_of``."""
    data = case if case is not None else json.loads(CASE.read_text(encoding="utf-8"))
    case_json = json.dumps(data)
    pack_id = str(data.get("pack") or "uk-nice-2024")
    patient_id = "0b6a2c1e-0000-4000-8000-000000000001"
    patient = PatientRecord(
        patient_id, "clinic-1", "H-0001", "Ann Example", dt.date(1958, 3, 14), "female", NOW, "admin"
    )
    version = PlanVersionRecord(
        new_id(), patient_id, 1, case_json, pack_id, "1.0.0", None, None, "admin", NOW
    )
    history = history_from([given(patient_id, day) for day in doses], [], [], [])
    forecast = forecast_case(parse_case_json(case_json), history, as_of=as_of, pack_id=pack_id)
    return PatientView(patient, version, forecast), history, choose_pack(None, pack_id)
